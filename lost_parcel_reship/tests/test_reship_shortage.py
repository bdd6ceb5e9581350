from unittest.mock import patch

from odoo import Command
from odoo.tests import new_test_user, tagged

from .reship_common import ReshipCommon


@tagged("post_install", "-at_install")
class TestReshipShortage(ReshipCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.vendor = cls.env["res.partner"].create({"name": "Samovar Works"})
        cls.purchaser = new_test_user(cls.env, "lp_purchaser", groups="stock.group_stock_user", name="Pia Purchaser")
        cls.samovar = cls.env["product.product"].create(
            {
                "name": "Brass Samovar",
                "is_storable": True,
                "list_price": 150.0,
                "standard_price": 60.0,
                "seller_ids": [Command.create({"partner_id": cls.vendor.id, "price": 55.0})],
            }
        )
        cls.samovar.with_company(cls.company).responsible_id = cls.purchaser
        # The last one in stock leaves with the order that gets lost.
        cls.env["stock.quant"]._update_available_quantity(cls.samovar, cls.stock_location, 1)

    def _activity(self, case):
        return case.activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref("lost_parcel_reship.mail_activity_type_shortage")
        )

    def test_shortage_waits_says_what_is_missing_and_asks_the_purchaser_for_an_rfq(self):
        case = self._lost_case("JD0STALLED6001", lines=[(self.samovar, 1), (self.product, 1)])

        result = case.action_reship_batch()

        reship = case.reship_picking_id
        self.assertEqual(case.state, "reshipped")
        states = {move.product_id: move.state for move in reship.move_ids}
        self.assertEqual(states, {self.samovar: "confirmed", self.product: "assigned"}, "the samovar waits for stock")
        self.assertEqual(case.reship_shortage, "Brass Samovar: 1.00 Units")
        self.assertIn("waiting for stock: Brass Samovar", case.message_ids[0].body)
        self.assertIn("1 wait for stock", result["params"]["message"])
        rfq = self.env["purchase.order"].search([("partner_id", "=", self.vendor.id), ("state", "=", "draft")])
        self.assertEqual(rfq.order_line.product_id, self.samovar)
        self.assertGreaterEqual(rfq.order_line.product_qty, 1.0)
        activity = self._activity(case)
        self.assertEqual(activity.user_id, self.purchaser)
        self.assertIn(rfq.name, str(activity.note))

        # The goods arrive: Odoo reserves them for the waiting reship.
        rfq.button_confirm()
        self._validate(rfq.picking_ids)
        self.assertEqual(reship.move_ids.mapped("state"), ["assigned", "assigned"])
        self.assertFalse(case.reship_shortage)
        self.assertFalse(self._activity(case), "the purchaser's activity is done")
        self.assertIn("Stock arrived", case.message_ids[0].body)

    def test_without_purchase_the_replenishment_report_gets_a_suggestion(self):
        Reship = type(self.env["lost.parcel.reship"])
        user = new_test_user(self.env, "lp_reshipper", groups="lost_parcel_reship.group_lost_parcel_user")
        with patch.object(Reship, "_purchase_enabled", return_value=False):
            case = self._lost_case("JD0STALLED6101", lines=[(self.samovar, 1)])
            case.with_user(user).action_reship()

        self.assertEqual(case.reship_picking_id.state, "confirmed")
        self.assertFalse(self.env["purchase.order.line"].search([("product_id", "=", self.samovar.id)]))
        orderpoint = self.env["stock.warehouse.orderpoint"].search(
            [("product_id", "=", self.samovar.id), ("location_id", "=", self.stock_location.id)]
        )
        self.assertEqual(orderpoint.trigger, "manual")
        self.assertGreaterEqual(orderpoint.qty_to_order, 1.0)
        activity = self._activity(case)
        self.assertEqual(activity.user_id, self.purchaser)
        self.assertIn("Inventory &gt; Replenishment", str(activity.note))
