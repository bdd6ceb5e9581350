from odoo import Command, fields
from odoo.tests import Form, new_test_user, tagged

from .report_common import ReportCommon


@tagged("post_install", "-at_install")
class TestReportRisk(ReportCommon):
    """High-risk regions from a known history, shipped 10 days ago (threshold 10 %, at least
    5 parcels, 90 days):

    ===============================  =======  ====  ===================================
    carrier                          to       sent  lost
    ===============================  =======  ====  ===================================
    DHL                              1043 AG  10    3
    PostNL                           1043 AG  10    1
    DE Post (serves Germany only)    1043 AG  6     0
    UPS                              1043 AG  2     0 (too few to be measured)
    DHL                              3011 AD  4     0
    ===============================  =======  ====  ===================================

    The Netherlands: 4 of 32 lost (12.5 %); Noord-Holland and zip 104: 4 of 28 (14.29 %); the
    route DHL to the Netherlands: 3 of 14 (21.43 %); PostNL to the Netherlands exactly 10 %, not
    above. The safer carrier is PostNL (10 %): DE Post lost nothing but does not serve the
    Netherlands.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        param = cls.env["ir.config_parameter"].set_param
        param("lost_parcel_reship.risk_threshold", 10.0)
        param("lost_parcel_reship.risk_min_parcels", 5)
        param("lost_parcel_reship.risk_window_days", 90)
        # Parcels shipped before (the demo's) left long ago: out of the window.
        cls.env["stock.picking"].search([("state", "=", "done"), ("picking_type_code", "=", "outgoing")]).write(
            {"date_done": cls._at(cls.now, -800)}
        )
        cls.noord_holland = cls.env.ref("base.state_nl_nh")
        cls.customer_nl.state_id = cls.noord_holland
        cls.postnl.country_ids = cls.nl | cls.de
        cls.depost = cls._create_carrier("DE Post (test)", cls.account)
        cls.depost.country_ids = cls.de
        cls.ups = cls._create_carrier("UPS (test)", cls.account)
        cls.shipped = cls._at(cls.now, -10)
        cls._ship_history(
            [
                (cls.carrier, cls.customer_nl, 10, 3),
                (cls.postnl, cls.customer_nl, 10, 1),
                (cls.depost, cls.customer_nl, 6, 0),
                (cls.ups, cls.customer_nl, 2, 0),
                (cls.carrier, cls.customer_rotterdam, 4, 0),
            ]
        )
        cls.Region = cls.env["lost.parcel.risk.region"]

    @classmethod
    def _ship_history(cls, lanes):
        lost_pickings = cls.env["stock.picking"]
        for carrier, partner, sent, lost in lanes:
            refs = [f"RPT{carrier.id}{partner.id}{'LOST' if i < lost else 'DELIVERED'}{i:03d}" for i in range(sent)]
            pickings = cls._ship_pickings_in_batch(refs, carrier, partner)
            pickings.date_done = cls.shipped
            lost_pickings |= pickings.filtered(lambda p: "LOST" in p.carrier_tracking_ref)
        lost_pickings._update_tracking()
        cases = cls.env["lost.parcel.rule"]._detect_lost_parcels().filtered(lambda c: c.picking_id in lost_pickings)
        assert len(cases) == len(lost_pickings), "every lost parcel opens a case"
        cases._reverify()
        for case in cases:
            case._confirm_lost(fields.Date.today(), "LOSS")

    def _regions(self):
        return {
            (r.kind, r.carrier_id, r.state_id, r.zip_prefix or False): r
            for r in self.Region.search([("company_id", "=", self.company.id)])
        }

    def test_high_risk_destinations_and_routes(self):
        created = self.Region._compute_risk_regions(self.company)
        regions = self._regions()
        self.assertEqual(set(regions.values()), set(created))
        no = self.env["res.country.state"]
        none = self.env["delivery.carrier"]
        self.assertEqual(
            set(regions),
            {
                ("country", none, no, False),
                ("state", none, self.noord_holland, False),
                ("zip", none, no, "104"),
                ("route", self.carrier, no, False),
            },
        )
        expected = {
            "country": (32, 4, 12.5),
            "state": (28, 4, 100 * 4 / 28),
            "zip": (28, 4, 100 * 4 / 28),
            "route": (14, 3, 100 * 3 / 14),
        }
        for region in regions.values():
            shipped, lost, rate = expected[region.kind]
            self.assertEqual((region.shipped, region.lost, region.country_id), (shipped, lost, self.nl), region.kind)
            self.assertAlmostEqual(region.loss_rate, rate, places=2, msg=region.kind)
            self.assertEqual(region.suggested_carrier_id, self.postnl, f"{region.kind}: DE Post does not serve NL")
            self.assertAlmostEqual(region.suggested_loss_rate, 10.0)
            self.assertEqual((region.window_days, region.threshold), (90, 10.0))
        self.assertEqual(regions["route", self.carrier, no, False].name, "DHL Express (test) → Netherlands")
        self.assertEqual(regions["zip", none, no, "104"].name, "Netherlands 104…")

    def _count_queries(self, func):
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        func()
        self.env.flush_all()
        return self.env.cr.sql_log_count - before

    def test_recompute_replaces_the_list_in_constant_queries(self):
        self.Region._cron_compute_risk_regions()
        first = self.Region.search([("company_id", "=", self.company.id)])
        queries = self._count_queries(lambda: self.Region._compute_risk_regions(self.company))
        self.assertFalse(first.exists(), "the old list is replaced")
        self.assertEqual(self.Region.search_count([("company_id", "=", self.company.id)]), 4)
        # One grouped query for the figures, one delete, one insert, and the ORM's reads of the
        # records they name (companies, currencies, countries, carriers) and of what an unlink
        # checks (external ids, attachments, defaults): none per parcel or region.
        self.assertLessEqual(queries, 20)
        # Three times the parcels (to Germany, where nothing is lost): the same queries.
        self._ship_history([(self.postnl, self.customer_de, 30, 0), (self.depost, self.customer_de, 30, 0)])
        self.assertEqual(self._count_queries(lambda: self.Region._compute_risk_regions(self.company)), queries)

    def test_threshold_and_volume_come_from_the_settings(self):
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(
            (
                settings.lost_parcel_risk_threshold,
                settings.lost_parcel_risk_min_parcels,
                settings.lost_parcel_risk_window_days,
            ),
            (10.0, 5, 90),
        )
        settings.lost_parcel_risk_threshold = 20.0
        settings.execute()
        kinds = {r.kind for r in self.Region._compute_risk_regions(self.company)}
        self.assertEqual(kinds, {"route"}, "only DHL to the Netherlands loses more than 20 %")
        self.env["ir.config_parameter"].set_param("lost_parcel_reship.risk_min_parcels", 15)
        self.assertFalse(self.Region._compute_risk_regions(self.company), "14 parcels are too few now")
        self.env["ir.config_parameter"].set_param("lost_parcel_reship.risk_window_days", 5)
        self.env["ir.config_parameter"].set_param("lost_parcel_reship.risk_min_parcels", 1)
        self.assertFalse(self.Region._compute_risk_regions(self.company), "nothing shipped in the last 5 days")

    def test_new_orders_and_deliveries_warn(self):
        self.Region._compute_risk_regions(self.company)
        order = Form(self.env["sale.order"])
        order.partner_id = self.customer_nl
        with order.order_line.new() as line:
            line.product_id = self.product
        order = order.save()
        order.carrier_id = self.carrier
        warning = order.lost_parcel_risk_warning
        self.assertIn("High-risk destination", warning)
        self.assertIn(
            "DHL Express (test) → Netherlands: 21.4% of parcels lost over the last 90 days (3 of 14)", warning
        )
        self.assertIn("Noord-Holland, Netherlands: 14.3%", warning)
        self.assertIn("Netherlands 104…: 14.3%", warning)
        self.assertIn("Netherlands: 12.5% of parcels lost over the last 90 days (4 of 32)", warning)
        self.assertIn("Safer carrier: PostNL (test) (10.0% lost).", warning)
        self.assertLess(warning.index("21.4%"), warning.index("12.5%"), "riskiest first")
        self.assertTrue(
            warning.endswith("Consider insuring the parcel: no insurance rule covers high-risk destinations yet."),
            "no insurance rule yet: the warning still suggests insurance",
        )

        rotterdam = self.env["sale.order"].create(
            {
                "partner_id": self.customer_rotterdam.id,
                "carrier_id": self.postnl.id,
                "order_line": [Command.create({"product_id": self.product.id})],
            }
        )
        self.assertIn("Netherlands: 12.5%", rotterdam.lost_parcel_risk_warning)
        self.assertNotIn("Safer carrier", rotterdam.lost_parcel_risk_warning, "it already ships with PostNL")
        self.assertNotIn("→", rotterdam.lost_parcel_risk_warning, "PostNL's own route is not high-risk")
        germany = self.env["sale.order"].create(
            {"partner_id": self.customer_de.id, "order_line": [Command.create({"product_id": self.product.id})]}
        )
        self.assertFalse(germany.lost_parcel_risk_warning)

        order.action_confirm()
        self.assertFalse(order.lost_parcel_risk_warning, "a confirmed order: the delivery warns now")
        delivery = order.picking_ids
        self.assertIn("Safer carrier: PostNL (test)", delivery.lost_parcel_risk_warning)
        self._validate(delivery, "RPTINTRANSIT9001")
        self.assertFalse(delivery.lost_parcel_risk_warning, "shipped: nothing left to decide")

    def test_high_risk_warning_suggests_the_insurance_of_the_rules(self):
        self.Region._compute_risk_regions(self.company)
        insurer = self.env["res.partner"].create({"name": "ShipSure Insurance", "is_company": True})
        InsuranceRule = self.env["lost.parcel.insurance.rule"]
        common = {"company_id": self.company.id, "insurer_id": insurer.id, "premium_rate": 1.5, "premium_min": 4.0}
        # Rules that do not fit this shipment: another carrier's, another country's, not for high risk.
        InsuranceRule.create(
            {**common, "name": "UPS only", "sequence": 1, "high_risk_destination": True, "carrier_ids": self.ups.ids}
        )
        InsuranceRule.create(
            {**common, "name": "Germany", "sequence": 2, "high_risk_destination": True, "country_ids": self.de.ids}
        )
        InsuranceRule.create({**common, "name": "Valuable goods", "sequence": 3, "min_goods_value": 500.0})
        InsuranceRule.create({**common, "name": "Risky destinations", "sequence": 4, "high_risk_destination": True})
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer_nl.id,
                "carrier_id": self.carrier.id,
                "order_line": [Command.create({"product_id": self.product.id})],
            }
        )
        expected = (
            "Insure the parcel (Risky destinations): with ShipSure Insurance, premium 1.5% of the goods value, "
            "at least $\N{NO-BREAK SPACE}4.00."
        )
        self.assertIn("Safer carrier: PostNL (test)", order.lost_parcel_risk_warning)
        self.assertEqual(order.lost_parcel_risk_warning.splitlines()[-1], expected)
        order.action_confirm()
        self.assertEqual(order.picking_ids.lost_parcel_risk_warning.splitlines()[-1], expected, "the delivery too")

    def test_salesman_outside_lost_parcels_sees_the_warning(self):
        self.Region._compute_risk_regions(self.company)
        salesman = new_test_user(self.env, "rpt_salesman", groups="sales_team.group_sale_salesman")
        order = (
            self.env["sale.order"]
            .with_user(salesman)
            .create(
                {
                    "partner_id": self.customer_nl.id,
                    "carrier_id": self.carrier.id,
                    "order_line": [Command.create({"product_id": self.product.id})],
                }
            )
        )
        self.assertIn("Safer carrier: PostNL (test)", order.lost_parcel_risk_warning)
        self.assertFalse(self.Region.with_user(salesman).has_access("read"), "the list itself is for Lost Parcels")

    def test_other_companies_see_nothing(self):
        self.Region._compute_risk_regions(self.company)
        company_b = self.env["res.company"].create({"name": "Other Shop"})
        user_b = new_test_user(
            self.env,
            "rpt_risk_b",
            groups="lost_parcel_reship.group_lost_parcel_manager",
            company_id=company_b.id,
            company_ids=[Command.set(company_b.ids)],
        )
        self.assertFalse(self.Region.with_user(user_b).search([]))
        self.Region.with_user(user_b).with_context(allowed_company_ids=company_b.ids).action_recompute()
        self.assertEqual(self.Region.search_count([("company_id", "=", self.company.id)]), 4, "A's list kept")
        user_a = new_test_user(self.env, "rpt_risk_a", groups="lost_parcel_reship.group_lost_parcel_user")
        self.assertEqual(len(self.Region.with_user(user_a).search([])), 4)
