from datetime import timedelta

from odoo import api, fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    lost_parcel_case_ids = fields.One2many("lost.parcel.case", "sale_id", string="Lost Parcel Cases")
    lost_parcel_case_count = fields.Integer(compute="_compute_lost_parcel_case_count")

    @api.depends("lost_parcel_case_ids")
    def _compute_lost_parcel_case_count(self):
        counts = dict(self.env["lost.parcel.case"]._read_group([("sale_id", "in", self.ids)], ["sale_id"], ["__count"]))
        for order in self:
            order.lost_parcel_case_count = counts.get(order, 0)

    def action_view_lost_parcel_cases(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("lost_parcel_reship.action_lost_parcel_case")
        action["domain"] = [("sale_id", "=", self.id)]
        return action

    def _report_parcel_not_received(self, message=None):
        """The customer says the parcel never arrived (portal button): a message from the
        customer on the order, which the inquiry signal of the detection rules counts."""
        self.ensure_one()
        body = self.env._("I have not received my parcel.")
        if message and message.strip():
            body = f"{body}\n{message.strip()}"
        return self.message_post(
            body=body, author_id=self.partner_id.id, message_type="comment", subtype_xmlid="mail.mt_comment"
        )

    @api.model
    def _demo_ship_with_tracking(self, shipments):
        """Demo data: confirm orders and ship them with sandbox tracking numbers, as if the
        parcels had left ``days`` days ago. Polling and detection then run as for real."""
        for order_id, tracking_ref, days in shipments:
            order = self.browse(order_id)
            order.action_confirm()
            for picking in order.picking_ids.filtered(lambda p: p.picking_type_code == "outgoing"):
                picking.carrier_tracking_ref = tracking_ref
                for move in picking.move_ids:
                    move.quantity = move.product_uom_qty
                picking.move_ids.picked = True
                picking.button_validate()
                picking.date_done = fields.Datetime.now() - timedelta(days=days)
