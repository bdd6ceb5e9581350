from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .claim_common import ClaimCommon


@tagged("post_install", "-at_install")
class TestInsurance(ClaimCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fragile = cls.env["product.category"].create({"name": "Fragile"})
        cls.product.categ_id = cls.env["product.category"].create({"name": "Ceramics", "parent_id": cls.fragile.id})
        cls.insurer = cls.env["res.partner"].create({"name": "ShipSure Insurance", "is_company": True})
        cls.InsuranceRule = cls.env["lost.parcel.insurance.rule"]
        cls.risky = cls.InsuranceRule.create(
            {
                "name": "High-risk destinations",
                "sequence": 5,
                "high_risk_destination": True,
                "insurer_id": cls.insurer.id,
                "premium_rate": 2.0,
            }
        )
        cls.valuable = cls.InsuranceRule.create(
            {
                "name": "Valuable parcels",
                "sequence": 10,
                "min_goods_value": 100.0,
                "insurer_id": cls.insurer.id,
                "premium_rate": 1.5,
                "premium_min": 2.0,
                "message": "Anything over 100 travels insured.",
            }
        )
        cls.fragile_abroad = cls.InsuranceRule.create(
            {
                "name": "Fragile abroad",
                "sequence": 20,
                "country_ids": [Command.set(cls.env.ref("base.nl").ids)],
                "category_ids": [Command.set(cls.fragile.ids)],
                "insurance_provider": "carrier",
                "premium_rate": 3.0,
            }
        )

    def _quotation(self, partner, lines):
        return self.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "carrier_id": self.carrier.id,
                "order_line": [Command.create({"product_id": p.id, "product_uom_qty": q}) for p, q in lines],
            }
        )

    def _delivery(self, order):
        return order.picking_ids.filtered(lambda p: p.picking_type_code == "outgoing")

    def test_advice_on_matching_orders_only(self):
        valuable = self._quotation(self.customer_us, [(self.product_b, 5)])
        cheap = self._quotation(self.customer_us, [(self.product_b, 1)])
        fragile_abroad = self._quotation(self.customer_nl, [(self.product, 1)])
        fragile_home = self._quotation(self.customer_us, [(self.product, 1)])

        self.assertTrue(valuable.lost_parcel_insurance_suggested)
        self.assertEqual(valuable.lost_parcel_insurance_rule_id, self.valuable, "no destination is high-risk")
        self.assertEqual(valuable.lost_parcel_suggested_premium, 2.0, "1.5 % of 125 is below the minimum")
        advice = valuable.lost_parcel_insurance_advice
        for expected in ("Valuable parcels", "goods value", "125.00", "ShipSure Insurance", "Anything over 100"):
            self.assertIn(expected, advice)

        self.assertFalse(cheap.lost_parcel_insurance_suggested)
        self.assertFalse(cheap.lost_parcel_insurance_advice)

        self.assertEqual(fragile_abroad.lost_parcel_insurance_rule_id, self.fragile_abroad)
        self.assertEqual(fragile_abroad.lost_parcel_suggested_premium, 1.2)
        self.assertIn("fragile: Ceramic Teapot", fragile_abroad.lost_parcel_insurance_advice)
        self.assertIn("the carrier (declared value)", fragile_abroad.lost_parcel_insurance_advice)
        self.assertFalse(fragile_home.lost_parcel_insurance_suggested)

        self.assertFalse(self.InsuranceRule._high_risk_destination(self.customer_nl, self.carrier))
        form = self.env["sale.order"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="lost_parcel_insurance_advice"', form)
        self.assertIn('name="action_lost_parcel_take_insurance"', form)

    def test_high_risk_destination_from_the_loss_statistics(self):
        rule = self.InsuranceRule.create(
            {"name": "Risky places", "sequence": 1, "high_risk_destination": True, "insurance_provider": "carrier"}
        )
        order = self._quotation(self.customer_nl, [(self.product_b, 1)])
        self.assertNotEqual(order.lost_parcel_insurance_rule_id, rule, "no region listed yet")
        self.env["lost.parcel.risk.region"].sudo().create(
            {
                "company_id": self.env.company.id,
                "kind": "country",
                "country_id": self.env.ref("base.nl").id,
                "shipped": 200,
                "lost": 16,
                "loss_rate": 8.0,
                "window_days": 90,
                "threshold": 5.0,
            }
        )
        order = self._quotation(self.customer_nl, [(self.product_b, 1)])
        self.assertEqual(order.lost_parcel_insurance_rule_id, rule)
        self.assertIn("8.0% of parcels lost over the last 90 days", order.lost_parcel_insurance_advice)
        self.assertFalse(self._quotation(self.customer_us, [(self.product_b, 1)]).lost_parcel_insurance_rule_id == rule)

    def test_insurance_taken_on_the_order_is_recorded_on_its_delivery(self):
        order = self._quotation(self.customer_nl, [(self.product, 3)])
        self.assertEqual(order.lost_parcel_insurance_rule_id, self.valuable)
        order.action_lost_parcel_take_insurance()
        self.assertTrue(order.lost_parcel_insure)
        self.assertFalse(order.lost_parcel_insurance_suggested)
        order.action_confirm()
        delivery = self._delivery(order)
        self.assertEqual(
            (
                delivery.lost_parcel_insured,
                delivery.lost_parcel_insurance_provider,
                delivery.lost_parcel_insurer_id,
                delivery.lost_parcel_insured_value,
                delivery.lost_parcel_insurance_premium,
                delivery.lost_parcel_insured_date,
            ),
            (True, "insurer", self.insurer, 120.0, 2.0, fields.Date.context_today(delivery)),
        )
        self.assertFalse(delivery.lost_parcel_insurance_suggested)
        self.assertIn("Insured for", delivery.message_ids[0].body)

    def test_insure_a_delivery_from_its_form_before_it_leaves(self):
        order = self._quotation(self.customer_us, [(self.product_b, 5)])
        order.action_confirm()
        delivery = self._delivery(order)
        self.assertTrue(delivery.lost_parcel_insurance_suggested)
        self.assertIn("Valuable parcels", delivery.lost_parcel_insurance_advice)
        delivery.action_lost_parcel_take_insurance()
        self.assertEqual((delivery.lost_parcel_insured_value, delivery.lost_parcel_insurance_premium), (125.0, 2.0))
        self.assertFalse(delivery.lost_parcel_insurance_suggested)

        cheap = self._quotation(self.customer_us, [(self.product_b, 1)])
        cheap.action_confirm()
        with self.assertRaisesRegex(UserError, "No insurance rule advises"):
            self._delivery(cheap).action_lost_parcel_take_insurance()
        shipped = self._validate(self._delivery(self._quotation_confirmed(5)), "JD0INTRANSIT6101")
        with self.assertRaisesRegex(UserError, "insurance is bought before shipping"):
            shipped.action_lost_parcel_take_insurance()

    def _quotation_confirmed(self, qty):
        order = self._quotation(self.customer_us, [(self.product_b, qty)])
        order.action_confirm()
        return order

    def test_insured_parcel_is_claimed_from_its_insurer_up_to_the_insured_value(self):
        order = self._quotation(self.customer_nl, [(self.product, 3)])
        order.action_lost_parcel_take_insurance()
        order.action_confirm()
        delivery = self._delivery(order)
        delivery.lost_parcel_insured_value = 100.0  # insured for less than the goods are worth
        self._validate(delivery, "JD0STALLED6201")
        delivery.date_done = fields.Datetime.now() - timedelta(days=40)
        delivery._update_tracking()
        case = self._detect().filtered(lambda c: c.picking_id == delivery)
        self._confirm(case)
        self.assertEqual((case.insured_value, case.insurer_id), (100.0, self.insurer))

        claim = self._claim_for(case)
        self.assertEqual((claim.claim_to, claim.insurer_id), ("insurer", self.insurer))
        self.assertEqual(claim.window_id, self.env.ref("lost_parcel_reship.claim_window_insurer"))
        self.assertEqual(
            (claim.line_ids.base_amount, claim.line_ids.cap_amount, claim.line_ids.cap_reason),
            (120.0, 100.0, "insured_value"),
        )
        self.assertEqual(claim.amount_requested, 100.0)
        self.assertIn("customer_statement", self._checklist(claim))

        # The insurer's own window (its policy pays at most 90 a parcel) wins over the generic one.
        claim.action_cancel()
        own = self.Window.create(
            {
                "name": "ShipSure policy",
                "claim_to": "insurer",
                "insurer_id": self.insurer.id,
                "company_id": self.company.id,
                "deadline_number": 6,
                "deadline_unit": "months",
                "liability_limit": 90.0,
                "document_ids": [Command.set(self.proof_of_value.ids)],
            }
        )
        claim = self._claim_for(case).filtered(lambda c: c.state == "draft")
        self.assertEqual(claim.window_id, own)
        self.assertEqual((claim.line_ids.cap_amount, claim.line_ids.cap_reason), (90.0, "liability"))
        self.assertEqual(self._checklist(claim), {"proof_of_value": False})

    def test_salespeople_see_the_advice_without_reading_the_rules(self):
        salesman = new_test_user(self.env, "ins_salesman", groups="sales_team.group_sale_salesman")
        order = self._quotation(self.customer_us, [(self.product_b, 5)]).with_user(salesman)
        self.assertIn("Valuable parcels", order.lost_parcel_insurance_advice)
        with self.assertRaises(AccessError):
            self.InsuranceRule.with_user(salesman).search([])

    def test_rules_of_another_company_give_no_advice(self):
        other = self.env["res.company"].create({"name": "Other Shop"})
        self.InsuranceRule.create(
            {"name": "Everything", "company_id": other.id, "min_goods_value": 1.0, "insurance_provider": "carrier"}
        )
        cheap = self._quotation(self.customer_us, [(self.product_b, 1)])
        self.assertFalse(cheap.lost_parcel_insurance_advice)
