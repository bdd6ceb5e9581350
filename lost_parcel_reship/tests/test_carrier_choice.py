from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .reship_common import ReshipCommon


@tagged("post_install", "-at_install")
class TestCarrierChoice(ReshipCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The carrier that loses the parcels would win on price: it must still be left out.
        cls.carrier.fixed_price = 4.0

    def _rule(self, objective, **vals):
        return self.Rule.create({"name": f"Reship {objective}", "objective": objective, **vals})

    def _zip_prefixes(self, *names):
        Prefix = self.env["delivery.zip.prefix"]
        prefixes = Prefix.search([("name", "in", names)])
        prefixes |= Prefix.create([{"name": name} for name in names if name not in prefixes.mapped("name")])
        return [Command.set(prefixes.ids)]

    def _ship_history(self, carrier, count, lost=0):
        """``count`` parcels delivered to the Netherlands by ``carrier``, ``lost`` of them lost."""
        picking_type = self.warehouse.out_type_id
        destination = self.customer_nl.property_stock_customer
        pickings = self.env["stock.picking"].create(
            [
                {
                    "picking_type_id": picking_type.id,
                    "partner_id": self.customer_nl.id,
                    "carrier_id": carrier.id,
                    "location_id": self.stock_location.id,
                    "location_dest_id": destination.id,
                    "move_ids": [
                        Command.create(
                            {
                                "name": self.product_b.name,
                                "product_id": self.product_b.id,
                                "product_uom_qty": 1,
                                "location_id": self.stock_location.id,
                                "location_dest_id": destination.id,
                            }
                        )
                    ],
                }
                for _i in range(count)
            ]
        )
        pickings.action_confirm()
        pickings.action_assign()
        pickings.move_ids.picked = True
        pickings._action_done()
        self.Case.create([{"picking_id": picking.id, "state": "confirmed"} for picking in pickings[:lost]])
        return pickings

    def test_cheapest_rate_wins_and_the_losing_carrier_is_left_out(self):
        rule = self._rule("cheapest")
        case = self._lost_case("JD0STALLED4001")
        self.assertEqual(case.reship_carrier_id, self.postnl)
        self.assertEqual(case.reship_carrier_rule_id, rule)
        self.assertIn("PostNL (test) $\xa06.00; UPS Express (test) $\xa012.00", case.reship_carrier_reason)
        self.assertIn("DHL Express (test) lost this parcel and was left out", case.reship_carrier_reason)
        self.assertEqual(case.reship_shipping_estimate, 6.0)
        case.action_reship()
        self.assertEqual(case.reship_picking_id.carrier_id, self.postnl)

    def test_every_method_of_the_losing_carrier_is_left_out(self):
        self._rule("cheapest")
        dhl_economy = self._create_carrier("DHL Economy (test)", self.account)
        dhl_economy.fixed_price = 3.0
        case = self._lost_case("JD0STALLED4002")
        self.assertEqual(case.reship_carrier_id, self.postnl)
        self.assertIn(
            "DHL Express (test), DHL Economy (test) lost this parcel and was left out", case.reship_carrier_reason
        )

    def test_fastest_declared_transit_wins(self):
        self._rule("fastest")
        case = self._lost_case("JD0STALLED4101")
        self.assertEqual(case.reship_carrier_id, self.ups)
        self.assertIn("UPS Express (test) 1 days; PostNL (test) 3 days", case.reship_carrier_reason)

    def test_most_reliable_carrier_on_the_destination_wins(self):
        self._rule("reliable", loss_rate_min_shipments=5, carrier_ids=[Command.set((self.postnl | self.ups).ids)])
        self._ship_history(self.postnl, 10, lost=3)
        self._ship_history(self.ups, 10, lost=1)
        case = self._lost_case("JD0STALLED4201")
        self.assertEqual(case.reship_carrier_id, self.ups)
        self.assertIn("UPS Express (test) 10.0% lost (1 of 10); PostNL (test) 30.0% lost", case.reship_carrier_reason)

    def test_a_carrier_without_enough_history_ranks_after_measured_ones(self):
        self._rule("reliable", loss_rate_min_shipments=5)
        self._ship_history(self.postnl, 6, lost=2)
        self._ship_history(self.ups, 2)
        case = self._lost_case("JD0STALLED4202")
        self.assertEqual(case.reship_carrier_id, self.postnl, "33% measured beats an unmeasured carrier")
        self.assertIn("UPS Express (test) not measured (2 parcels)", case.reship_carrier_reason)

    def test_fixed_carrier(self):
        self._rule("fixed", fixed_carrier_id=self.ups.id)
        case = self._lost_case("JD0STALLED4301")
        self.assertEqual(case.reship_carrier_id, self.ups)
        self.assertIn("fixed carrier UPS Express (test)", case.reship_carrier_reason)

    def test_losing_carrier_is_kept_when_nothing_else_serves_the_address(self):
        self._rule("cheapest")
        (self.postnl | self.ups).country_ids = self.env.ref("base.us")
        case = self._lost_case("JD0STALLED4401")
        self.assertEqual(case.reship_carrier_id, self.carrier)
        self.assertIn("lost this parcel, but no other carrier serves it", case.reship_carrier_reason)

    def test_first_rule_whose_conditions_match_decides(self):
        category = self.env["product.category"].create({"name": "Fragile"})
        self._rule("fixed", sequence=1, fixed_carrier_id=self.postnl.id, product_categ_ids=[Command.set(category.ids)])
        self._rule(
            "fixed", sequence=2, fixed_carrier_id=self.postnl.id, country_ids=[Command.set(self.env.ref("base.us").ids)]
        )
        self._rule("fixed", sequence=3, fixed_carrier_id=self.postnl.id, value_max=10.0)
        self._rule("fixed", sequence=4, fixed_carrier_id=self.postnl.id, weight_min=5.0)
        self._rule("fixed", sequence=5, fixed_carrier_id=self.postnl.id, zip_prefix_ids=self._zip_prefixes("20", "30"))
        matching = self._rule(
            "fastest",
            sequence=6,
            country_ids=[Command.set(self.env.ref("base.nl").ids)],
            zip_prefix_ids=self._zip_prefixes("99", "1043"),
            weight_max=5.0,
            value_min=20.0,
            product_categ_ids=[Command.set(self.product.categ_id.ids)],
        )
        case = self._lost_case("JD0STALLED4501")
        self.assertEqual(case.reship_carrier_rule_id, matching)
        self.assertEqual(case.reship_carrier_id, self.ups)

    def test_user_overrides_the_carrier_until_the_reship_leaves(self):
        self._rule("cheapest")
        case = self._lost_case("JD0STALLED4601")
        with Form(case) as form:
            form.reship_carrier_id = self.ups
        self.assertTrue(case.reship_carrier_manual)
        self.assertIn("Set by hand", case.reship_carrier_reason)
        case.action_reship()
        reship = case.reship_picking_id
        self.assertEqual(reship.carrier_id, self.ups)
        self.assertEqual(case.reship_shipping_estimate, 12.0)

        with Form(case) as form:
            form.reship_carrier_id = self.carrier
        self.assertEqual(reship.carrier_id, self.carrier, "the waiting reship follows")

        case.action_choose_reship_carrier()
        self.assertFalse(case.reship_carrier_manual)
        self.assertEqual((case.reship_carrier_id, reship.carrier_id), (self.postnl, self.postnl))

        self._validate(reship, "JD0INTRANSIT4601")
        with self.assertRaisesRegex(UserError, "has left already"):
            case.reship_carrier_id = self.ups
        self.assertEqual(reship.carrier_id, self.postnl)

    def test_no_carrier_serving_the_address_is_said_on_the_case(self):
        (self.carrier | self.postnl | self.ups).country_ids = self.env.ref("base.us")
        case = self._lost_case("JD0STALLED4701")
        self.assertEqual(case.state, "confirmed", "confirming does not depend on a carrier")
        self.assertIn("no shipping method serves Netherlands", case.reship_carrier_reason)
        with self.assertRaisesRegex(UserError, "no shipping method serves Netherlands"):
            case.action_reship()
        self.assertFalse(case.reship_picking_ids)
