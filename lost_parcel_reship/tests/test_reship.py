from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .reship_common import ReshipCommon


@tagged("post_install", "-at_install")
class TestReship(ReshipCommon):
    def test_one_click_reships_every_line_to_the_same_address_without_touching_the_order(self):
        case = self._lost_case("JD0STALLED3001", lines=[(self.product, 2), (self.product_b, 3)])
        order = case.sale_id
        lines_before = order.order_line

        action = case.action_reship()

        reship = case.reship_picking_id
        self.assertEqual(action["res_id"], reship.id, "the user lands on the new delivery")
        self.assertEqual(case.state, "reshipped")
        self.assertEqual(self._reship_moves_summary(reship), [("Ceramic Teapot", 2.0), ("Tea Cups (set of 4)", 3.0)])
        self.assertEqual(reship.state, "assigned", "reserved from available stock")
        self.assertEqual(reship.partner_id, case.picking_id.partner_id)
        self.assertEqual(reship.group_id, case.picking_id.group_id, "same procurement group")
        self.assertEqual(reship.sale_id, order)
        self.assertIn(reship, order.picking_ids, "the order lists the reship")
        self.assertIn(order.name, reship.origin)
        self.assertIn(case.name, reship.origin)
        self.assertEqual(reship.priority, "1", "a reship is urgent")
        self.assertEqual(reship.carrier_id, self.postnl, "the carrier that lost it is avoided")
        self.assertIn("reserved from stock", case.message_ids[0].body)

        self._validate(reship, "JD0INTRANSIT3001")

        self.assertEqual(order.order_line, lines_before, "a reship adds no line to the order")
        self.assertEqual(order.order_line.mapped("qty_delivered"), [2.0, 3.0], "and is not a second delivery")
        self.assertTrue(case.customer_notified)

    def test_partial_loss_reships_the_chosen_quantities(self):
        case = self._lost_case("JD0STALLED3101", lines=[(self.product, 3), (self.product_b, 1)])
        action = case.action_open_reship_wizard()
        wizard = Form(self.env[action["res_model"]].with_context(**action["context"]))
        self.assertEqual(wizard.carrier_id, self.postnl)
        with wizard.line_ids.edit(0) as line:
            self.assertEqual(line.shipped_quantity, 3.0)
            line.quantity = 1
        with wizard.line_ids.edit(1) as line:
            line.quantity = 0
        wizard.save().action_reship()

        self.assertEqual(self._reship_moves_summary(case.reship_picking_id), [("Ceramic Teapot", 1.0)])

    def test_partial_reship_refuses_more_than_was_shipped(self):
        case = self._lost_case("JD0STALLED3102", lines=[(self.product, 1)])
        move = case.picking_id.move_ids
        with self.assertRaisesRegex(UserError, "you cannot reship more"):
            case._action_reship_quantities({move.id: 5})
        with self.assertRaisesRegex(UserError, "nothing to reship"):
            case._action_reship_quantities({move.id: 0})
        self.assertEqual(case.state, "confirmed")
        self.assertFalse(case.reship_picking_ids)

    def test_kit_is_reshipped_as_its_components_and_stays_delivered_once(self):
        kit = self._create_kit()
        case = self._lost_case("JD0STALLED3201", lines=[(kit, 1)])
        kit_line = case.sale_id.order_line
        self.assertEqual(kit_line.qty_delivered, 1.0)

        case.action_reship()
        reship = case.reship_picking_id
        self.assertEqual(self._reship_moves_summary(reship), [("Ceramic Teapot", 1.0), ("Tea Cups (set of 4)", 2.0)])
        self._validate(reship, "JD0INTRANSIT3201")

        self.assertEqual(case.sale_id.order_line, kit_line)
        self.assertEqual(kit_line.qty_delivered, 1.0)

    def test_pick_pack_ship_reship_follows_every_step_with_the_reship_carrier(self):
        self.warehouse.delivery_steps = "pick_pack_ship"
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer_nl.id,
                "carrier_id": self.carrier.id,
                "order_line": [(0, 0, {"product_id": self.product.id, "product_uom_qty": 2})],
            }
        )
        order.action_confirm()
        shipped = self._process_chain(order.picking_ids, "JD0STALLED3301")
        shipped.date_done = self._days_ago(40)
        shipped._update_tracking()
        case = self._confirm(self._detect().filtered(lambda c: c.picking_id == shipped))

        case.action_reship()

        pick = case.reship_picking_id
        self.assertEqual(pick.picking_type_id, self.warehouse.pick_type_id, "the first step is created first")
        self.assertEqual((pick.lost_parcel_case_id, pick.carrier_id), (case, self.postnl))
        self._validate(pick)
        pack = pick.move_ids.move_dest_ids.picking_id
        self.assertEqual(pack.lost_parcel_case_id, case, "the pushed step belongs to the reship")
        self._validate(pack)
        ship = pack.move_ids.move_dest_ids.picking_id
        self.assertEqual((ship.lost_parcel_case_id, ship.carrier_id), (case, self.postnl))
        self.assertNotEqual(ship, shipped)
        self.assertEqual(case.reship_picking_id, ship, "the case follows its reship to the customer")
        self._validate(ship, "JD0INTRANSIT3301")

        self.assertTrue(case.customer_notified)
        self.assertEqual(order.order_line.qty_delivered, 2.0)
        self.assertEqual(len(order.order_line), 1)

    def test_double_call_creates_one_reship(self):
        case = self._lost_case("JD0STALLED3401")
        first = case.action_reship()
        second = case.action_reship()
        self.assertEqual(first, second, "a second click opens the same reship")
        self.assertEqual(len(case.reship_picking_ids), 1)
        self.assertEqual(len(self.env["stock.picking"].search([("lost_parcel_case_id", "=", case.id)])), 1)
        result = case.action_reship_batch()
        self.assertIn("0 case(s) reshipped", result["params"]["message"])
        self.assertEqual(len(case.reship_picking_ids), 1)

    def test_marketplace_order_reference_is_carried_to_the_reship(self):
        amazon = self.env["crm.team"].create({"name": "Amazon EU"})
        order, picking = self._shipped_and_polled("JD0STALLED3501")
        order.write({"team_id": amazon.id, "client_order_ref": "302-1234567-7654321"})
        case = self._confirm(self._detect().filtered(lambda c: c.picking_id == picking))
        self.assertEqual((case.sales_channel, case.marketplace_order_ref), ("amazon", "302-1234567-7654321"))

        case.action_reship()

        reship = case.reship_picking_id
        self.assertEqual(reship.lost_parcel_sales_channel, "amazon")
        self.assertEqual(reship.lost_parcel_marketplace_ref, "302-1234567-7654321")
        self.assertEqual(reship.sale_id.partner_id, self.customer_nl, "same customer")

    def test_cancelled_reship_leaves_the_case_ready_to_reship_again(self):
        case = self._lost_case("JD0STALLED3601")
        case.action_reship()
        first = case.reship_picking_id
        first.action_cancel()
        self.assertEqual(case.state, "confirmed")
        case.action_reship()
        self.assertNotEqual(case.reship_picking_id, first)
        self.assertEqual(case.reship_picking_id.state, "assigned")

    def test_lost_reship_opens_a_linked_case_that_reships_again(self):
        case = self._lost_case("JD0STALLED3701", lines=[(self.product, 2)])
        order = case.sale_id
        case.action_reship()
        reship = self._validate(case.reship_picking_id, "JD0STALLED3702")
        reship.date_done = self._days_ago(40)
        reship._update_tracking()
        second = self._confirm(self._detect().filtered(lambda c: c.picking_id == reship))
        self.assertEqual(second.parent_case_id, case)

        second.action_reship()
        self.assertEqual(self._reship_moves_summary(second.reship_picking_id), [("Ceramic Teapot", 2.0)])
        self.assertEqual(second.reship_carrier_id, self.carrier, "PostNL lost the reship: back to DHL")
        self._validate(second.reship_picking_id, "JD0INTRANSIT3702")
        self.assertEqual(order.order_line.qty_delivered, 2.0)
        self.assertEqual(len(order.order_line), 1)
