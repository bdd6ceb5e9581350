from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .report_common import ReportCommon


@tagged("post_install", "-at_install")
class TestReportCarrier(ReportCommon):
    """Carrier performance: a known history of eight parcels, every figure asserted.

    DHL to the Netherlands: P1 delivered on time (4 days), P2 delivered late (6 days), P3 lost
    (case confirmed and reshipped), P4 returned (case dismissed), P5 in transit. PostNL to the
    Netherlands: P6 delivered on time (2 days), P7 stalled then moving again (false alarm). DHL
    to Germany: P8, an order in EUR, lost and refunded. Company B, which counts in EUR, ships two
    DHL parcels to the Netherlands that company A never sees: B1 delivered, B2 lost (a case opened
    by hand, confirmed, 30 EUR of compensation given).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.usd, cls.eur = cls.env.ref("base.USD"), cls.env.ref("base.EUR")
        cls.eur.active = True
        rate_key = {"currency_id": cls.eur.id, "company_id": cls.company.id, "name": fields.Date.today()}
        rate = cls.env["res.currency.rate"].search([(key, "=", value) for key, value in rate_key.items()])
        if rate:
            rate.rate = 0.8
        else:
            rate.create(dict(rate_key, rate=0.8))
        cls.pricelist_eur = cls.env["product.pricelist"].create({"name": "Euro shop", "currency_id": cls.eur.id})
        cls.team_amazon = cls.env["crm.team"].create({"name": "Amazon EU"})
        cls.product.invoice_policy = "delivery"
        cls.shipped = T = cls._at(cls.now, days=-30)

        cls.order1, cls.p1 = cls._sell_and_ship(
            "RPT-DELIVERED-P1", shipped=T, order_vals={"team_id": cls.team_amazon.id}
        )
        cls._store_tracking(
            cls.p1,
            "delivered",
            [(T, "in_transit"), (cls._at(T, 1), "in_transit"), (cls._at(T, 4), "delivered")],
            eta=cls._at(T, 5),
        )
        cls.order2, cls.p2 = cls._sell_and_ship("RPT-DELIVERED-P2", shipped=T)
        cls._store_tracking(
            cls.p2,
            "delivered",
            [(cls._at(T, 0, 12), "in_transit"), (cls._at(T, 2), "in_transit"), (cls._at(T, 6), "delivered")],
            eta=cls._at(T, 3),
        )
        # Polled from the carrier sandbox: lost, returned, in transit.
        cls.order3, cls.p3 = cls._sell_and_ship("RPTLOST0003", partner=cls.customer_rotterdam, shipped=T)
        cls.order4, cls.p4 = cls._sell_and_ship("RPTRETURNED0004", shipped=T)
        cls.order5, cls.p5 = cls._sell_and_ship("RPTINTRANSIT0005", shipped=T)
        cls.order6, cls.p6 = cls._sell_and_ship("RPT-DELIVERED-P6", carrier=cls.postnl, shipped=T)
        cls._store_tracking(
            cls.p6, "delivered", [(cls._at(T, 0, 6), "in_transit"), (cls._at(T, 2), "delivered")], eta=cls._at(T, 4)
        )
        # Stalled since its second day; the carrier reports movement when re-verified.
        cls.order7, cls.p7 = cls._sell_and_ship("RPTINTRANSIT0007", carrier=cls.postnl, shipped=T)
        cls._store_tracking(cls.p7, "in_transit", [(cls._at(T, 1), "in_transit")])
        cls.order8, cls.p8 = cls._sell_and_ship(
            "RPTLOST0008",
            partner=cls.customer_de,
            shipped=T,
            order_vals={"pricelist_id": cls.pricelist_eur.id},
            price=50.0,
        )
        (cls.p3 | cls.p4 | cls.p5 | cls.p8)._update_tracking()

        cases = cls.env["lost.parcel.rule"]._detect_lost_parcels()
        cls.case3, cls.case4, cls.case7, cls.case8 = (
            cases.filtered(lambda c, p=p: c.picking_id == p) for p in (cls.p3, cls.p4, cls.p7, cls.p8)
        )
        (cls.case3 | cls.case4 | cls.case7 | cls.case8)._reverify()
        for case in (cls.case3, cls.case8):
            case._confirm_lost(fields.Date.today(), "DHL-LOSS")
        cls.case3.action_reship()
        cls.case4._dismiss("Back at the warehouse: the customer will order again")
        cls.case8._refund("The customer wants the money back")

        # Company B: one delivered DHL parcel to the Netherlands, through its own warehouse.
        cls.company_b = cls.env["res.company"].create({"name": "Other Shop", "currency_id": cls.eur.id})
        cls.p_b = cls._ship_in_company(cls.company_b, "RPT-DELIVERED-B1", T)
        cls._store_tracking(cls.p_b, "delivered", [(T, "in_transit"), (cls._at(T, 9), "delivered")], eta=cls._at(T, 10))
        cls.p_b2 = cls._ship_in_company(cls.company_b, "RPT-LOST-B2", T)
        cls._store_tracking(
            cls.p_b2, "exception", [(T, "in_transit"), (cls._at(T, 3), "exception")], exception_kind="lost"
        )
        cls.case_b2 = cls.env["lost.parcel.case"].create({"picking_id": cls.p_b2.id, "company_id": cls.company_b.id})
        cls.case_b2._confirm_lost(fields.Date.today(), "DHL-LOSS-B")
        cls.case_b2.compensation_amount = 30.0

    @classmethod
    def _ship_in_company(cls, company, tracking_ref, shipped):
        env = cls.env(context=dict(cls.env.context, allowed_company_ids=[company.id]))
        warehouse = env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
        env["stock.quant"]._update_available_quantity(cls.product, warehouse.lot_stock_id, 1)
        picking = env["stock.picking"].create(
            {
                "picking_type_id": warehouse.out_type_id.id,
                "partner_id": cls.customer_nl.id,
                "carrier_id": cls.carrier.id,
                "location_id": warehouse.lot_stock_id.id,
                "location_dest_id": cls.customer_nl.property_stock_customer.id,
                "move_ids": [
                    Command.create(
                        {
                            "name": cls.product.name,
                            "product_id": cls.product.id,
                            "product_uom_qty": 1,
                            "product_uom": cls.product.uom_id.id,
                            "location_id": warehouse.lot_stock_id.id,
                            "location_dest_id": cls.customer_nl.property_stock_customer.id,
                        }
                    )
                ],
            }
        )
        picking.action_confirm()
        cls._validate(picking, tracking_ref)
        picking.date_done = shipped
        return picking.with_env(cls.env)

    def _since(self):
        return self._at(self.shipped, -1)

    def _my_carriers(self):
        return [("carrier_id", "in", (self.carrier | self.postnl).ids), ("company_id", "=", self.company.id)]

    # ------------------------------------------------------------------ the history itself
    def test_history_went_through_the_flow(self):
        self.assertEqual(self.company.currency_id, self.usd, "the test company counts in USD")
        self.assertEqual(
            [c.state for c in (self.case3, self.case4, self.case7, self.case8)],
            ["reshipped", "dismissed", "false_alarm", "refunded"],
        )
        self.assertEqual((self.p3.tracking_exception_kind, self.p4.tracking_status), ("lost", "returned"))
        self.assertEqual(self.order8.currency_id, self.eur)
        self.assertEqual(self.order1.lost_parcel_sales_channel, "amazon")
        self.assertEqual(self.order2.lost_parcel_sales_channel, "other")

    # ------------------------------------------------------------------ rows of the view
    def test_one_row_per_parcel_with_its_outcome(self):
        rows = {
            row.picking_id: row
            for row in self.Report.search([("picking_id", "in", (self.p1 | self.p2 | self.p3 | self.p8).ids)])
        }
        p1, p2, p3, p8 = (rows[p] for p in (self.p1, self.p2, self.p3, self.p8))
        self.assertEqual(
            (p1.delivered_count, p1.delayed_count, p1.transit_days, p1.delay_rate, p1.date_promised),
            (1, 0, 4.0, 0.0, self._at(self.shipped, 5)),
        )
        self.assertEqual((p1.zip_prefix, p1.sales_channel, p1.sale_id), ("104", "amazon", self.order1))
        self.assertEqual((p2.delivered_count, p2.delayed_count, p2.transit_days, p2.delay_rate), (1, 1, 6.0, 100.0))
        self.assertEqual(p2.date_delivered, self._at(self.shipped, 6))
        self.assertEqual((p3.lost_count, p3.loss_rate, p3.case_count, p3.zip_prefix), (1, 100.0, 1, "301"))
        self.assertEqual(p3.money_lost, self.case3.total_cost)
        self.assertGreater(p3.money_lost, 0.0, "the reship's goods and shipping")
        self.assertEqual(p3.currency_id, self.usd)
        # 50 EUR refunded at 0.8 EUR per USD: 62.50 USD lost, in the company currency.
        self.assertEqual(self.case8.refund_amount, 62.5)
        self.assertEqual((p8.lost_count, p8.money_lost, p8.country_id), (1, 62.5, self.de))
        reship = self.case3.reship_picking_id
        self.assertFalse(self.Report.search([("picking_id", "=", reship.id)]), "a reship not yet shipped")

    def test_pivot_by_carrier_country_and_month(self):
        groups = self.Report.read_group(
            self._my_carriers(),
            [
                "parcel_count",
                "delivered_count",
                "lost_count",
                "returned_count",
                "delayed_count",
                "loss_rate",
                "delay_rate",
                "transit_days",
                "case_count",
                "false_alarm_count",
                "money_lost",
            ],
            ["carrier_id", "country_id", "date_shipped:month"],
            lazy=False,
        )
        figures = {
            (g["carrier_id"][0], g["country_id"][0]): (
                g["parcel_count"],
                g["delivered_count"],
                g["lost_count"],
                g["returned_count"],
                g["delayed_count"],
                g["loss_rate"],
                g["delay_rate"],
                g["transit_days"],
                g["case_count"],
                g["false_alarm_count"],
                g["money_lost"],
            )
            for g in groups
        }
        self.assertEqual(len(groups), 3, "one month: the three lanes")
        dhl, postnl = self.carrier.id, self.postnl.id
        self.assertEqual(figures[dhl, self.nl.id], (5, 2, 1, 1, 1, 20.0, 50.0, 5.0, 2, 0, self.case3.total_cost))
        self.assertEqual(figures[postnl, self.nl.id], (2, 1, 0, 0, 0, 0.0, 0.0, 2.0, 1, 1, 0.0))
        # Nothing delivered to Germany: no delay rate and no transit time, rather than zeros.
        self.assertEqual(figures[dhl, self.de.id], (1, 0, 1, 0, 0, 100.0, False, False, 1, 0, 62.5))

        by_channel = self.Report.read_group(
            self._my_carriers(), ["parcel_count", "lost_count"], ["sales_channel"], lazy=False
        )
        self.assertEqual(
            {g["sales_channel"]: (g["parcel_count"], g["lost_count"]) for g in by_channel},
            {"amazon": (1, 0), "other": (7, 2)},
        )
        by_zip = self.Report.read_group(
            [*self._my_carriers(), ("country_id", "=", self.nl.id)], ["parcel_count"], ["zip_prefix"], lazy=False
        )
        self.assertEqual({g["zip_prefix"]: g["parcel_count"] for g in by_zip}, {"104": 6, "301": 1})

    def test_zero_volume(self):
        ups = self._create_carrier("UPS (test)", self.account)
        self.assertEqual(self.Report.read_group([("carrier_id", "=", ups.id)], ["loss_rate"], ["carrier_id"]), [])
        self.assertEqual(self.Report._loss_stats(ups, self.nl, self._since()), {})
        stats = self.Report._lane_statistics(self._since(), domain=[("carrier_id", "=", ups.id)])
        self.assertEqual(stats, {})
        stats = self.Report._lane_statistics(self._at(self.now, 1), domain=self._my_carriers())
        self.assertEqual(stats, {}, "nothing shipped after today")

    # ------------------------------------------------------------------ lane statistics
    def test_lane_statistics(self):
        stats = self.Report._lane_statistics(self._since(), domain=self._my_carriers())
        self.assertEqual(
            set(stats), {(self.carrier.id, self.nl.id), (self.postnl.id, self.nl.id), (self.carrier.id, self.de.id)}
        )
        dhl_nl = stats[self.carrier.id, self.nl.id]
        self.assertEqual(
            {k: dhl_nl[k] for k in ("shipped", "delivered", "lost", "returned", "delayed", "cases", "false_alarms")},
            {"shipped": 5, "delivered": 2, "lost": 1, "returned": 1, "delayed": 1, "cases": 2, "false_alarms": 0},
        )
        self.assertEqual((dhl_nl["loss_rate"], dhl_nl["delay_rate"]), (0.2, 0.5))
        # Transit of the delivered parcels: 4 and 6 days; their longest gaps between events: 3 and 4 days.
        for key, expected in (
            ("transit_mean", 5.0),
            ("transit_p50", 5.0),
            ("transit_p90", 5.8),
            ("transit_p95", 5.9),
            ("gap_p95", 3.95),
        ):
            self.assertAlmostEqual(dhl_nl[key], expected, places=6, msg=key)
        self.assertAlmostEqual(dhl_nl["money_lost"], self.case3.total_cost)
        postnl_nl = stats[self.postnl.id, self.nl.id]
        self.assertEqual((postnl_nl["loss_rate"], postnl_nl["delay_rate"], postnl_nl["false_alarms"]), (0.0, 0.0, 1))
        self.assertAlmostEqual(postnl_nl["transit_p90"], 2.0)
        self.assertAlmostEqual(postnl_nl["gap_p95"], 1.75)
        dhl_de = stats[self.carrier.id, self.de.id]
        self.assertEqual(
            (dhl_de["loss_rate"], dhl_de["delay_rate"], dhl_de["transit_p90"], dhl_de["gap_p95"], dhl_de["money_lost"]),
            (1.0, None, None, None, 62.5),
        )
        by_carrier = self.Report._lane_statistics(self._since(), ("carrier_id",), self._my_carriers())
        self.assertEqual((by_carrier[self.carrier.id,]["shipped"], by_carrier[self.carrier.id,]["lost"]), (6, 2))
        with self.assertRaisesRegex(UserError, "not by picking_id"):
            self.Report._lane_statistics(self._since(), ("picking_id",))

    def test_lane_statistics_in_one_query(self):
        self.env.flush_all()
        with self.assertQueryCount(1):
            self.Report._lane_statistics(self._since(), domain=self._my_carriers())
        with self.assertQueryCount(1):
            self.Report._lane_statistics(self._since(), ("company_id", "carrier_id", "zip_prefix", "sales_channel"))

    def test_reliable_carrier_choice_reads_the_same_figures(self):
        stats = self.Report._loss_stats(self.carrier | self.postnl, self.nl, self._since(), company=self.company)
        self.assertEqual(stats, {self.carrier.id: (1, 5), self.postnl.id: (0, 2)})
        self.assertEqual(
            self.Report._loss_stats(self.carrier, self.nl, self._since(), company=self.company_b),
            {self.carrier.id: (1, 2)},
            "company B's own parcels only",
        )

    # ------------------------------------------------------------------ scorecards
    def test_scorecard_per_carrier(self):
        cards = self.env["lost.parcel.carrier.scorecard"].search(
            [*self._my_carriers(), ("company_id", "=", self.company.id)]
        )
        dhl = cards.filtered(lambda c: c.carrier_id == self.carrier)
        postnl = cards.filtered(lambda c: c.carrier_id == self.postnl)
        self.assertEqual(
            (dhl.shipped, dhl.delivered, dhl.lost, dhl.returned, dhl.delayed, dhl.cases, dhl.window_days),
            (6, 2, 2, 1, 1, 3, 90),
        )
        self.assertAlmostEqual(dhl.loss_rate, 100.0 * 2 / 6)
        self.assertEqual((dhl.delay_rate, dhl.transit_p50), (50.0, 5.0))
        self.assertAlmostEqual(dhl.transit_p90, 5.8)
        self.assertAlmostEqual(dhl.money_lost, self.case3.total_cost + 62.5)
        self.assertEqual((postnl.shipped, postnl.loss_rate, postnl.false_alarms, postnl.transit_p90), (2, 0.0, 1, 2.0))
        action = dhl.action_open_parcels()
        parcels = self.Report.search(action["domain"])
        self.assertEqual(
            set(parcels.picking_id.ids), set((self.p1 | self.p2 | self.p3 | self.p4 | self.p5 | self.p8).ids)
        )

        self.assertEqual((dhl.delay_measured, dhl.transit_measured), (2, 2))

        self.env["ir.config_parameter"].set_param("lost_parcel_reship.report_window_days", 20)
        self.assertFalse(
            self.env["lost.parcel.carrier.scorecard"].search(self._my_carriers()),
            "the parcels left 30 days ago: not in a 20-day dashboard",
        )

    def test_p90_transit_per_carrier_and_destination_country(self):
        manager = new_test_user(self.env, "rpt_lane_boss", groups="lost_parcel_reship.group_lost_parcel_manager")
        dhl_card = self.env["lost.parcel.carrier.scorecard"].search(
            [("carrier_id", "=", self.carrier.id), ("company_id", "=", self.company.id)]
        )
        action = dhl_card.with_user(manager).action_open_lanes()
        self.assertEqual(action["res_model"], "lost.parcel.carrier.lane.report")
        lanes = self.env[action["res_model"]].with_user(manager).search(action["domain"])
        self.assertEqual(lanes.country_id, self.nl | self.de, "DHL's two destinations, not company B's lane")
        nl = lanes.filtered(lambda lane: lane.country_id == self.nl)
        de = lanes.filtered(lambda lane: lane.country_id == self.de)
        # Delivered to the Netherlands in 4 and 6 days: mean 5, p90 5.8.
        self.assertEqual((nl.shipped, nl.delivered, nl.lost, nl.transit_measured, nl.delay_measured), (5, 2, 1, 2, 2))
        self.assertAlmostEqual(nl.loss_rate, 20.0)
        self.assertAlmostEqual(nl.delay_rate, 50.0)
        self.assertAlmostEqual(nl.transit_mean, 5.0)
        self.assertAlmostEqual(nl.transit_p90, 5.8)
        self.assertAlmostEqual(nl.money_lost, self.case3.total_cost)
        # Nothing delivered to Germany: no parcel timed, so the views show no transit figure at all.
        self.assertEqual(
            (de.shipped, de.lost, de.transit_measured, de.delay_measured, de.money_lost), (1, 1, 0, 0, 62.5)
        )
        postnl = self.env["lost.parcel.carrier.lane.report"].search(
            [("carrier_id", "=", self.postnl.id), ("company_id", "=", self.company.id)]
        )
        self.assertEqual((postnl.country_id, postnl.shipped, postnl.false_alarms), (self.nl, 2, 1))
        self.assertAlmostEqual(postnl.transit_p90, 2.0)
        # The same figures as the lane statistics the carrier choice and learned thresholds read.
        stats = self.Report._lane_statistics(self._at(self.now, -90), domain=self._my_carriers())
        self.assertAlmostEqual(stats[self.carrier.id, self.nl.id]["transit_p90"], nl.transit_p90)
        parcels = self.Report.search(nl.action_open_parcels()["domain"])
        self.assertEqual(set(parcels.picking_id.ids), set((self.p1 | self.p2 | self.p3 | self.p4 | self.p5).ids))

    def test_unmeasured_figures_are_hidden_not_zero(self):
        """A float column reads NULL as 0.00: every view hides a rate or transit figure whose
        count of measured parcels is zero."""
        for model, view_types in (
            ("lost.parcel.carrier.scorecard", ("list", "form")),
            ("lost.parcel.carrier.lane.report", ("list",)),
        ):
            views = self.env[model].get_views([(False, view_type) for view_type in view_types])["views"]
            for view_type in view_types:
                arch = views[view_type]["arch"]
                for name, measured in (
                    ("delay_rate", "delay_measured"),
                    ("transit_mean", "transit_measured"),
                    ("transit_p50", "transit_measured"),
                    ("transit_p90", "transit_measured"),
                ):
                    with self.subTest(model=model, view=view_type, field=name):
                        self.assertRegex(arch, rf'<field name="{name}"[^>]*invisible="not {measured}"')
        kanban = self.env["lost.parcel.carrier.scorecard"].get_views([(False, "kanban")])["views"]["kanban"]["arch"]
        self.assertIn('t-if="record.delay_measured.raw_value"', kanban)
        self.assertIn('t-if="record.transit_measured.raw_value"', kanban)

    # ------------------------------------------------------------------ security
    def test_users_read_reports_of_their_company_only(self):
        user = new_test_user(
            self.env, "rpt_user", groups="lost_parcel_reship.group_lost_parcel_user", company_id=self.company.id
        )
        user_b = new_test_user(
            self.env,
            "rpt_user_b",
            groups="lost_parcel_reship.group_lost_parcel_user",
            company_id=self.company_b.id,
            company_ids=[Command.set(self.company_b.ids)],
        )
        report_a = self.Report.with_user(user)
        self.assertEqual(report_a.search_count([("carrier_id", "=", self.carrier.id)]), 6)
        self.assertFalse(report_a.search([("picking_id", "=", self.p_b.id)]))
        report_b = self.Report.with_user(user_b)
        self.assertEqual(report_b.search([]).picking_id, self.p_b | self.p_b2, "company B sees its parcels only")
        stats_b = report_b._lane_statistics(self._since(), ("company_id", "carrier_id"))
        self.assertEqual(list(stats_b), [(self.company_b.id, self.carrier.id)])
        cards_b = self.env["lost.parcel.carrier.scorecard"].with_user(user_b).search([])
        self.assertEqual(
            [(c.company_id, c.carrier_id, c.shipped, c.lost, c.transit_p90) for c in cards_b],
            [(self.company_b, self.carrier, 2, 1, 9.0)],
        )
        lanes_b = self.env["lost.parcel.carrier.lane.report"].with_user(user_b).search([])
        self.assertEqual(
            [(lane.company_id, lane.country_id, lane.shipped) for lane in lanes_b], [(self.company_b, self.nl, 2)]
        )
        with self.assertRaises(AccessError):
            self.env["lost.parcel.case.handling.report"].with_user(user).search([])
        with self.assertRaises(AccessError):
            report_a.search([], limit=1).write({"lost_count": 0})

    # ------------------------------------------------------------------ currencies
    def test_money_per_company_in_its_currency(self):
        """Company A counts in USD (its EUR order's refund converted), company B in EUR: every
        money figure is in its company's currency and never summed across companies."""
        self.assertEqual((self.company.currency_id, self.company_b.currency_id), (self.usd, self.eur))
        self.assertEqual(
            (self.case_b2.state, self.case_b2.total_cost, self.case_b2.currency_id), ("confirmed", 30.0, self.eur)
        )
        money_a = self.case3.total_cost + 62.5
        rows = self.Report.search([("picking_id", "in", (self.p8 | self.p_b2).ids)])
        self.assertEqual(
            {(row.company_id, row.currency_id, row.money_lost) for row in rows},
            {(self.company, self.usd, 62.5), (self.company_b, self.eur, 30.0)},
        )
        all_companies = self.Report.with_context(allowed_company_ids=(self.company | self.company_b).ids)
        groups = all_companies.read_group(
            [("carrier_id", "=", self.carrier.id)], ["money_lost:sum"], ["company_id", "currency_id"], lazy=False
        )
        self.assertEqual(
            {(g["company_id"][0], g["currency_id"][0]): g["money_lost"] for g in groups},
            {(self.company.id, self.usd.id): money_a, (self.company_b.id, self.eur.id): 30.0},
        )
        stats = self.Report._lane_statistics(
            self._since(), ("company_id", "carrier_id"), [("carrier_id", "=", self.carrier.id)]
        )
        self.assertAlmostEqual(stats[self.company.id, self.carrier.id]["money_lost"], money_a)
        self.assertEqual(stats[self.company_b.id, self.carrier.id]["money_lost"], 30.0)
        cards = self.env["lost.parcel.carrier.scorecard"].search([("carrier_id", "=", self.carrier.id)])
        self.assertEqual(
            {(card.company_id, card.currency_id, card.currency_id.round(card.money_lost)) for card in cards},
            {(self.company, self.usd, self.usd.round(money_a)), (self.company_b, self.eur, 30.0)},
        )
        lane_b = self.env["lost.parcel.carrier.lane.report"].search([("company_id", "=", self.company_b.id)])
        self.assertEqual((lane_b.country_id, lane_b.currency_id, lane_b.money_lost), (self.nl, self.eur, 30.0))

    # ------------------------------------------------------------------ sales channel
    def test_sales_channel_decided_by_the_order(self):
        self.assertEqual(self.case3.sales_channel, "other")
        self.order3.team_id = self.team_amazon
        self.assertEqual(self.order3.lost_parcel_sales_channel, "amazon")
        self.assertEqual(self.case3.sales_channel, "amazon", "the case reads the order's channel")
        self.env.flush_all()
        row = self.Report.search([("picking_id", "=", self.p3.id)])
        self.assertEqual(row.sales_channel, "amazon")
        self.assertEqual(
            self.Report._lane_statistics(self._since(), ("sales_channel",), self._my_carriers())["amazon",]["lost"], 1
        )
