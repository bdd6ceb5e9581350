from unittest.mock import patch

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .reship_common import ReshipCommon


@tagged("post_install", "-at_install")
class TestReshipBatch(ReshipCommon):
    def test_failing_cases_do_not_block_the_others_and_say_why(self):
        good = self._lost_case("JD0STALLED5001") | self._lost_case("JD0STALLED5002", lines=[(self.product_b, 2)])
        japan = self.env.ref("base.jp")
        customer_jp = self.customer_nl.copy({"name": "Yuki Tanaka", "country_id": japan.id, "zip": "100-0001"})
        # Nobody ships to Japan any more.
        (self.carrier | self.postnl | self.ups).country_ids = self.env.ref("base.nl") | self.env.ref("base.us")
        no_carrier = self._lost_case("JD0STALLED5003", partner=customer_jp)
        no_route = self._lost_case_without_route("JD0STALLED5004")
        dismissed = self._lost_case("JD0STALLED5005")
        dismissed.write({"state": "dismissed"})
        cases = good | no_carrier | no_route | dismissed

        result = cases.action_reship_batch()

        self.assertEqual(good.mapped("state"), ["reshipped", "reshipped"])
        self.assertTrue(all(picking.state == "assigned" for picking in good.reship_picking_id))
        self.assertEqual((no_carrier | no_route | dismissed).mapped("state"), ["confirmed", "confirmed", "dismissed"])
        self.assertFalse((no_carrier | no_route | dismissed).reship_picking_ids, "nothing half-created")
        message = result["params"]["message"]
        self.assertEqual(result["params"]["type"], "warning")
        self.assertIn("2 case(s) reshipped.", message)
        self.assertIn(f"Case {no_carrier.name}: no shipping method serves Japan", message)
        self.assertIn(f"Case {no_route.name}: No rule has been found", message)
        self.assertIn(f"Case {dismissed.name} is Dismissed", message)

    def _lost_case_without_route(self, tracking_ref):
        """A parcel shipped from a second warehouse whose delivery route was archived since."""
        warehouse = self.env["stock.warehouse"].create({"name": "Rotterdam", "code": "RTM"})
        self.env["stock.quant"]._update_available_quantity(self.product, warehouse.lot_stock_id, 5)
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer_nl.id,
                "warehouse_id": warehouse.id,
                "carrier_id": self.carrier.id,
                "order_line": [Command.create({"product_id": self.product.id, "product_uom_qty": 1})],
            }
        )
        order.action_confirm()
        picking = order.picking_ids
        self._validate(picking, tracking_ref)
        picking.date_done = self._days_ago(40)
        picking._update_tracking()
        case = self._confirm(self._detect().filtered(lambda c: c.picking_id == picking))
        warehouse.delivery_route_id.active = False
        return case

    def test_reship_from_the_delivery_list(self):
        first = self._lost_case("JD0STALLED5101")
        second = self._lost_case("JD0STALLED5102")
        _order, delivered = self._ship_order("JD0DELIVERED5103")
        pickings = first.picking_id | second.picking_id | delivered

        result = pickings.action_reship_lost_parcel()

        self.assertEqual((first | second).mapped("state"), ["reshipped", "reshipped"])
        self.assertIn("2 case(s) reshipped.", result["params"]["message"])
        self.assertIn(f"{delivered.name}: no case confirmed lost", result["params"]["message"])

    def test_batch_reuses_the_carrier_chosen_at_confirmation(self):
        cases = self._lost_case("JD0STALLED5201") | self._lost_case("JD0STALLED5202")
        cases[1].reship_carrier_id = self.ups
        result = cases.action_reship_batch()
        self.assertEqual(result["params"]["type"], "success")
        self.assertEqual(cases.reship_picking_id.mapped("carrier_id"), self.postnl | self.ups)

    def test_an_unforeseen_error_on_one_case_does_not_block_the_others(self):
        cases = self._lost_case("JD0STALLED5301") | self._lost_case("JD0STALLED5302")
        Picking = type(self.env["stock.picking"])
        assign = Picking.action_assign

        def action_assign(pickings):
            if cases[1] in pickings.lost_parcel_case_id:
                raise UserError(pickings.env._("The scanner of aisle 4 is offline."))
            return assign(pickings)

        with patch.object(Picking, "action_assign", action_assign):
            result = cases.action_reship_batch()

        self.assertEqual(cases.mapped("state"), ["reshipped", "confirmed"])
        self.assertFalse(cases[1].reship_picking_ids, "rolled back for that case only")
        self.assertIn(f"Case {cases[1].name}: The scanner of aisle 4 is offline.", result["params"]["message"])
