from odoo import fields, models

from .lost_parcel_rule import SIGNALS


class LostParcelCaseReason(models.Model):
    _name = "lost.parcel.case.reason"
    _description = "Why a Parcel Was Flagged"
    _order = "score desc, id"

    case_id = fields.Many2one("lost.parcel.case", required=True, ondelete="cascade", index=True)
    rule_id = fields.Many2one("lost.parcel.rule", ondelete="set null")
    signal = fields.Selection(SIGNALS, required=True)
    signal_date = fields.Datetime(help="When the signal first held (a threshold crossed, the carrier's news).")
    evidence = fields.Char(required=True)
    score = fields.Integer()
