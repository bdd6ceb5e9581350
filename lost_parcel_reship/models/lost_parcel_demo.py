from datetime import timedelta

from odoo import api, fields, models


class LostParcelDemo(models.AbstractModel):
    """Demo data only: what the demo XML cannot say by itself (shipping orders through the
    stock flow). Business code never calls it."""

    _name = "lost.parcel.demo"
    _description = "Lost Parcel Demo Data"

    @api.model
    def _ship_with_tracking(self, shipments):
        """Confirm orders and ship them with sandbox tracking numbers, as if the parcels had
        left ``days`` days ago. Polling and detection then run as for real.

        :param list shipments: [(sale.order id, tracking number, days ago)]
        """
        for order_id, tracking_ref, days in shipments:
            order = self.env["sale.order"].browse(order_id)
            order.action_confirm()
            for picking in order.picking_ids.filtered(lambda p: p.picking_type_code == "outgoing"):
                picking.carrier_tracking_ref = tracking_ref
                for move in picking.move_ids:
                    move.quantity = move.product_uom_qty
                picking.move_ids.picked = True
                picking.button_validate()
                picking.date_done = fields.Datetime.now() - timedelta(days=days)
