from odoo.exceptions import UserError
from odoo.tests import Form, new_test_user, tagged

from .reship_common import ReshipCommon


@tagged("post_install", "-at_install")
class TestRefund(ReshipCommon):
    def _refund_form(self, case, reason):
        action = case.action_refund()
        wizard = Form(self.env[action["res_model"]].with_context(**action["context"]))
        wizard.reason = reason
        return wizard

    def test_invoiced_order_gets_a_credit_note_for_the_lost_lines_only(self):
        case = self._lost_case("JD0STALLED7001", lines=[(self.product, 2), (self.product_b, 1)])
        order = case.sale_id
        order.set_delivery_line(self.carrier, 10.0)
        invoice = order._create_invoices()
        invoice.action_post()
        case.action_reship()
        pending = case.reship_picking_id

        wizard = self._refund_form(case, "The customer bought a teapot elsewhere and wants the money back")
        self.assertTrue(wizard.invoiced)
        action = wizard.save().action_refund()

        credit_note = case.refund_move_ids
        self.assertEqual(action["res_id"], credit_note.id, "the user lands on the credit note")
        self.assertEqual((credit_note.move_type, credit_note.state), ("out_refund", "posted"))
        self.assertEqual(credit_note.reversed_entry_id, invoice, "made by Odoo's invoice reversal")
        self.assertEqual(
            sorted((line.product_id.name, line.quantity) for line in credit_note.invoice_line_ids),
            [("Ceramic Teapot", 2.0), ("Tea Cups (set of 4)", 1.0)],
            "the lost lines, not the shipping",
        )
        self.assertEqual(credit_note.amount_untaxed, 105.0)
        self.assertIn("wants the money back", credit_note.ref)
        self.assertEqual(case.state, "refunded")
        self.assertEqual(case.refund_amount, 105.0)
        self.assertIn("money back", case.refund_reason)
        self.assertEqual(pending.state, "cancel", "the pending reship is cancelled")
        product_lines = order.order_line.filtered(lambda line: not line.is_delivery)
        self.assertEqual(product_lines.mapped("qty_delivered"), [0.0, 0.0])
        self.assertEqual(product_lines.mapped("qty_invoiced"), [0.0, 0.0])
        self.assertEqual(product_lines.mapped("qty_to_invoice"), [0.0, 0.0])
        self.assertEqual(order.invoice_status, "invoiced", "nothing left to invoice on the order")
        self.assertEqual(case.refund_write_off_move_ids.location_dest_id.usage, "inventory")
        self.assertIn("Credit note", case.message_ids[0].body)

    def test_order_not_invoiced_is_adjusted_for_the_refunded_quantity(self):
        self.product.invoice_policy = "delivery"
        case = self._lost_case("JD0STALLED7101", lines=[(self.product, 2)])
        line = case.sale_id.order_line
        wizard = self._refund_form(case, "One teapot arrived broken in another parcel; refund one")
        self.assertFalse(wizard.invoiced)
        with wizard.line_ids.edit(0) as wizard_line:
            wizard_line.quantity = 1
        wizard.save().action_refund()

        self.assertFalse(case.refund_move_ids)
        self.assertEqual((line.product_uom_qty, line.qty_delivered, line.qty_to_invoice), (1.0, 1.0, 1.0))
        self.assertEqual(case.refund_amount, 40.0)
        self.assertEqual(case.state, "refunded")
        self.assertIn("quantities were lowered", case.message_ids[0].body)

    def test_kit_refund_takes_the_kit_off_the_order(self):
        kit = self._create_kit()
        case = self._lost_case("JD0STALLED7201", lines=[(kit, 1)])
        kit_line = case.sale_id.order_line
        self._refund_form(case, "Gift for a date that has passed").save().action_refund()
        self.assertEqual((kit_line.product_uom_qty, kit_line.qty_delivered), (0.0, 0.0))
        self.assertEqual(case.refund_amount, 60.0)

    def test_refund_after_the_replacement_left_credits_and_keeps_the_reship(self):
        case = self._lost_case("JD0STALLED7501", lines=[(self.product, 2)])
        order = case.sale_id
        order._create_invoices().action_post()
        case.action_reship()
        reship = self._validate(case.reship_picking_id, "JD0INTRANSIT7501")
        line = order.order_line.filtered(lambda order_line: not order_line.is_delivery)
        self.assertTrue(case.can_be_refunded, "the customer insists: refund stays possible")

        wizard = self._refund_form(case, "The replacement came too late for the event")
        self.assertTrue(wizard.reship_left)
        wizard.save().action_refund()

        self.assertEqual(case.state, "refunded")
        self.assertEqual(case.refund_move_ids.state, "posted")
        self.assertEqual(case.refund_amount, 80.0)
        self.assertEqual(reship.state, "done", "the replacement stays with the customer")
        self.assertFalse(case.refund_write_off_move_ids)
        self.assertEqual(line.qty_delivered, 2.0)
        self.assertIn("stays with the customer", case.message_ids[0].body)

    def test_refund_guards(self):
        case = self._lost_case("JD0STALLED7301")
        with self.assertRaisesRegex(UserError, "Say why"):
            case._refund("  ")
        case.action_reship()
        self._validate(case.reship_picking_id, "JD0INTRANSIT7301")
        self.assertFalse(case.can_be_refunded, "nothing invoiced and the replacement left: no Refund button")
        with self.assertRaisesRegex(UserError, "has left already"):
            case.action_refund()
        self.assertEqual(case.state, "reshipped")
        dismissed = self._lost_case("JD0STALLED7302")
        dismissed.state = "dismissed"
        self.assertFalse(dismissed.can_be_refunded)
        with self.assertRaisesRegex(UserError, "only a parcel confirmed lost is refunded"):
            dismissed._refund("Because")

    def test_a_lost_parcel_user_with_sales_and_billing_rights_refunds(self):
        user = new_test_user(
            self.env,
            "lp_biller",
            groups="lost_parcel_reship.group_lost_parcel_user,sales_team.group_sale_salesman,account.group_account_invoice",
        )
        case = self._lost_case("JD0STALLED7401", lines=[(self.product, 1)])
        case.sale_id._create_invoices().action_post()
        self._refund_form(case.with_user(user), "Customer cancelled").save().action_refund()
        self.assertEqual(case.state, "refunded")
        self.assertEqual(case.refund_move_ids.state, "posted")
