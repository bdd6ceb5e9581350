from odoo.tests import tagged

from .common import LostParcelCommon


@tagged("post_install", "-at_install")
class TestWalkingSkeleton(LostParcelCommon):
    """The thin path: order → shipped with DHL → polled over HTTP → stalled → case →
    confirmed → reshipped from stock → customer told."""

    def test_stalled_parcel_is_detected_confirmed_reshipped_and_customer_told(self):
        order, picking = self._ship_order(
            "JD0STALLED0001", lines=[(self.product, 2), (self.product_b, 1)], shipped_days_ago=40
        )
        self.env["stock.picking"]._cron_update_tracking()
        self.assertEqual(picking.tracking_status, "in_transit")
        self.assertEqual(len(picking.tracking_event_ids), 3)

        cases = self.Case._cron_detect_lost_parcels()

        case = cases.filtered(lambda c: c.picking_id == picking)
        self.assertEqual(len(case), 1)
        self.assertEqual(case.state, "to_review", "re-verified with the carrier: still stalled")
        self.assertEqual(case.sale_id, order)
        self.assertEqual(case.partner_id, self.customer_nl)
        self.assertIn("stalled", case.reason_ids.mapped("signal"))
        self.assertIn("No tracking event for 30 days", " ".join(case.reason_ids.mapped("evidence")))
        self.assertEqual(case.goods_value_sale, 2 * 40.0 + 25.0)
        self.assertEqual(case.goods_value_cost, 2 * 12.0 + 7.5)

        self._confirm(case, ref="DHL-LOSS-4711")
        self.assertEqual(case.state, "confirmed")
        self.assertEqual(case.carrier_confirmation_ref, "DHL-LOSS-4711")

        case.action_reship()

        reship = case.reship_picking_id
        self.assertEqual(case.state, "reshipped")
        self.assertEqual(reship.state, "assigned", "reserved from available stock")
        self.assertEqual(reship.partner_id, picking.partner_id)
        self.assertEqual(reship.sale_id, order, "the sale order lists the reship")
        self.assertIn(reship, order.picking_ids)
        self.assertEqual(
            sorted((m.product_id.id, m.product_uom_qty) for m in reship.move_ids),
            sorted((m.product_id.id, m.quantity) for m in picking.move_ids),
        )
        self.assertEqual(order.order_line.mapped("qty_delivered"), [2.0, 1.0], "a reship is not a second sale")

        self._validate(reship, tracking_ref="JD0INTRANSIT7777")

        self.assertTrue(case.customer_notified)
        message = case.message_ids.filtered(lambda m: m.message_type == "comment" and self.customer_nl in m.partner_ids)
        self.assertEqual(len(message), 1)
        # Odoo sends the customer their own mail; followers of the case (its responsible) get another.
        mail = self.env["mail.mail"].search([("mail_message_id", "=", message.id)])
        mail = mail.filtered(lambda m: self.customer_nl in m.recipient_ids)
        self.assertEqual(mail.recipient_ids, self.customer_nl)
        for text in ("Anna de Vries", order.name, "Ceramic Teapot", "Tea Cups", "JD0INTRANSIT7777"):
            self.assertIn(text, mail.body_html)
        self.assertIn(order.name, mail.subject)

    def test_delivered_parcel_opens_no_case(self):
        _order, picking = self._shipped_and_polled("JD0DELIVERED0001", shipped_days_ago=40)
        self.assertEqual(picking.tracking_status, "delivered")
        cases = self.Case._cron_detect_lost_parcels()
        self.assertNotIn(picking, cases.picking_id)
        self.assertFalse(picking.lost_parcel_case_ids)
