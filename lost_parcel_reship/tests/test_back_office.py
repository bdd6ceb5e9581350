"""The review queue and the case as a warehouse user and a manager meet them."""

from odoo.tests import Form, tagged

from .reship_common import ReshipCommon


@tagged("post_install", "-at_install")
class TestBackOffice(ReshipCommon):
    def _open_case(self, tracking_ref, **kwargs):
        _order, picking = self._shipped_and_polled(tracking_ref, **kwargs)
        return self._detect().filtered(lambda c: c.picking_id == picking)

    def test_reverify_while_waiting_for_review_logs_what_the_carrier_said(self):
        case = self._open_case("JD0STALLED9801")
        case._reverify()
        self.assertEqual(case.state, "to_review")
        self.assertTrue(case.can_be_reverified, "re-verify stays available while the case waits for review")
        self.assertIn("Re-verified with the carrier: no movement", case.message_ids[0].body)
        self.sandbox.state.set_scenario("JD0STALLED9801", "in_transit")
        case.action_reverify()
        self.assertEqual(case.state, "false_alarm")
        self.assertIn("Closed as a false alarm", case.message_ids[0].body)

    def test_ask_carrier_says_what_it_planned(self):
        case = self._open_case("JD0STALLED9802")
        action = case.action_ask_carrier()
        self.assertEqual(action["tag"], "display_notification")
        self.assertIn("ask DHL test to trace JD0STALLED9802", action["params"]["message"])

    def test_confirm_and_reship_in_one_step(self):
        case = self._open_case("JD0STALLED9803")
        case._reverify()
        action = case.action_confirm_lost()
        wizard = Form(self.env[action["res_model"]].with_context(**action["context"]))
        wizard.carrier_confirmation_ref = "DHL-9803"
        result = wizard.save().action_confirm_and_reship()
        self.assertEqual(case.state, "reshipped")
        self.assertEqual(result["res_id"], case.reship_picking_id.id, "the user lands on the new delivery")
        self.assertEqual(case.reship_progress, "ready")
        self._validate(case.reship_picking_id, "JD0INTRANSIT9803")
        self.assertEqual(case.reship_progress, "shipped", "worded as what it means, not 'Done'")

    def test_waiting_reship_says_so(self):
        case = self._lost_case("JD0STALLED9804", lines=[(self.product_b, 1)])
        left = self.env["stock.quant"]._get_available_quantity(self.product_b, self.stock_location)
        self.env["stock.quant"]._update_available_quantity(self.product_b, self.stock_location, -left)
        case.action_reship()
        self.assertEqual(case.reship_progress, "waiting")

    def test_closed_states_fold_in_the_kanban(self):
        case = self._open_case("JD0STALLED9805")
        case._dismiss("Found in the warehouse")
        groups = self.Case.web_read_group([], ["state"], ["state"])["groups"]
        folded = {group["state"]: group["__fold"] for group in groups}
        self.assertTrue(folded["dismissed"] and folded["false_alarm"] and folded["reshipped"])
        self.assertFalse(folded["to_review"] or folded["confirmed"])

    def test_sales_channel_from_the_store_reference(self):
        order, picking = self._shipped_and_polled("JD0STALLED9806")
        order.client_order_ref = "EBAY-12-34567-89012"
        case = self._detect().filtered(lambda c: c.picking_id == picking)
        self.assertEqual((case.sales_channel, case.marketplace_order_ref), ("ebay", "EBAY-12-34567-89012"))
        order.client_order_ref = "112-1234567-1234567"
        self.assertEqual((case.sales_channel, case.marketplace_order_ref), ("amazon", "112-1234567-1234567"))

    def test_the_lost_parcels_own_shipping_cost_is_recorded(self):
        case = self._open_case("JD0STALLED9807")
        case.picking_id.carrier_price = 14.5
        self.assertEqual(case.lost_shipping_cost, 14.5)
        self.assertTrue(self.Case._fields["lost_shipping_cost"].store)
