from odoo import fields, models


class LostParcelClaimGuide(models.Model):
    """How to file a claim with one carrier or insurer, step by step: shown on the claim form
    of every claim whose window points here. Installed for USPS, UPS, FedEx, DHL Express and
    EasyPost insurance from the carriers' public pages; managers edit them."""

    _name = "lost.parcel.claim.guide"
    _description = "Carrier Claim Guide"
    _order = "sequence, name, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", index=True, help="Empty: every company.")
    url = fields.Char("Claims Page", help="Where the carrier takes claims online.")
    contact = fields.Char(help="E-mail address or phone number of the carrier's claims department.")
    steps = fields.Html(translate=True, sanitize=True, help="The steps to file a claim with this carrier.")
    window_ids = fields.One2many("lost.parcel.claim.window", "guide_id", string="Claim Windows")
