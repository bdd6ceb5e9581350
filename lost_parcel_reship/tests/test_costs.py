from odoo.tests import Form, tagged

from .reship_common import ReshipCommon


@tagged("post_install", "-at_install")
class TestCosts(ReshipCommon):
    def test_reship_costs_come_from_stock_valuation_and_the_carrier(self):
        self.postnl.invoice_policy = "real"
        case = self._lost_case("JD0STALLED8001", lines=[(self.product, 2), (self.product_b, 1)])
        order = case.sale_id
        lines_before = order.order_line
        case.action_reship()
        reship = case.reship_picking_id
        self.assertEqual(case.reship_goods_cost, 2 * 12.0 + 7.5, "at product cost until the goods leave")
        self.assertEqual(case.reship_shipping_cost, 6.0, "the chosen carrier's rate")

        reship.send_to_shipper()
        self.assertEqual(reship.carrier_price, 6.0)
        self.assertEqual(order.order_line, lines_before, "the customer is not charged the reship's shipping")
        self._validate(reship, "JD0INTRANSIT8001")
        self.product.standard_price = 20.0
        self.assertEqual(case.reship_goods_cost, 31.5, "valued by the stock valuation layers once shipped")

        with Form(case) as form:
            form.compensation_amount = 5.0
        self.assertEqual(case.total_cost, 31.5 + 6.0 + 5.0)
        self.assertEqual(case.claimable_amount, 2 * 40.0 + 25.0, "the invoice value of the lost goods")

    def test_costs_add_up_in_the_list_and_pivot(self):
        reshipped = self._lost_case("JD0STALLED8101")
        reshipped.action_reship()
        refunded = self._lost_case("JD0STALLED8102", lines=[(self.product_b, 2)])
        refunded._refund("Customer cancelled")
        cases = reshipped | refunded
        self.assertEqual(refunded.total_cost, 50.0, "the refund is a cost")
        [(total, claimable)] = self.Case._read_group(
            [("id", "in", cases.ids)], [], ["total_cost:sum", "claimable_amount:sum"]
        )
        self.assertEqual(total, 12.0 + 6.0 + 50.0)
        self.assertEqual(claimable, 40.0 + 50.0)
        pivot = self.Case.get_views([(False, "pivot")])["views"]["pivot"]["arch"]
        self.assertIn('name="total_cost"', pivot)
        listed = self.Case.get_views([(False, "list")])["views"]["list"]["arch"]
        self.assertIn('name="total_cost"', listed)

    def test_nothing_is_claimable_before_the_loss_is_confirmed(self):
        _order, picking = self._shipped_and_polled("JD0STALLED8201", lines=[(self.product, 1)])
        picking.carrier_price = 9.0
        case = self._detect().filtered(lambda c: c.picking_id == picking)
        self.assertEqual(case.state, "detected")
        self.assertFalse(case.is_lost, "no Costs page on a case under review")
        self.assertEqual(case.claimable_amount, 0.0)
        self._confirm(case)
        self.assertTrue(case.is_lost)
        self.assertEqual(case.claimable_amount, 40.0 + 9.0, "the lost goods and their shipping")
        case._dismiss("Found at the depot")
        self.assertFalse(case.is_lost)
        self.assertEqual(case.claimable_amount, 0.0, "a parcel found is not claimed")
        form = self.Case.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="costs" invisible="not is_lost"', form)
