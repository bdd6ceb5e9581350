from odoo import fields, models

from odoo.addons.carrier_connectors.clients.status import EXCEPTION_KINDS, STATUS_SELECTION


class LostParcelExceptionKind(models.Model):
    """A tracking outcome that counts as a loss signal: a normalized status (``returned``,
    ``expired``…) or a finer exception kind recognised by the connectors (``lost``,
    ``damaged``…)."""

    _name = "lost.parcel.exception.kind"
    _description = "Loss Signal from Tracking"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    match_on = fields.Selection([("status", "Tracking Status"), ("kind", "Exception Kind")], required=True)
    status = fields.Selection(STATUS_SELECTION)
    exception_kind = fields.Selection(EXCEPTION_KINDS)
    score = fields.Integer(default=50, help="Weight of this signal in the review queue's score.")

    _sql_constraints = [
        (
            "value_set",
            "CHECK((match_on = 'status' AND status IS NOT NULL) OR (match_on = 'kind' AND exception_kind IS NOT NULL))",
            "Choose the status or exception kind this signal matches.",
        ),
    ]
