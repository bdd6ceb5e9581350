from odoo import fields, models


class DeliveryCarrier(models.Model):
    _inherit = "delivery.carrier"

    tracking_account_id = fields.Many2one(
        "carrier.tracking.account",
        string="Tracking Account",
        index=True,
        check_company=True,
        help="Parcels shipped with this method are tracked through this account.",
    )
    tracking_provider = fields.Selection(related="tracking_account_id.provider", string="Tracking Provider")

    def get_tracking_link(self, picking):
        link = super().get_tracking_link(picking)
        if not link and self.tracking_account_id and picking.carrier_tracking_ref:
            # The provider's public page is no secret: salespeople without inventory rights see it too.
            link = self.tracking_account_id.sudo()._get_tracking_link(picking.carrier_tracking_ref)
        return link
