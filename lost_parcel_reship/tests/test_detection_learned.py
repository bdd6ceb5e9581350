"""Detection that knows each lane's normal: thresholds learned from the seller's own deliveries."""

from odoo.tests import tagged

from .report_common import ReportCommon


@tagged("post_install", "-at_install")
class TestLearnedThresholds(ReportCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Lane = cls.env["lost.parcel.lane"]
        cls.slow_carrier = cls.postnl
        # A fast lane: DHL to the Netherlands, 3 days door to door, an event every day.
        for i in range(10):
            shipped = cls._at(cls.now, days=-60 - i)
            _order, picking = cls._sell_and_ship(f"JD0DELIVERED95{i:02d}", shipped=shipped)
            cls._store_tracking(
                picking,
                "delivered",
                [(cls._at(shipped, days=day), "in_transit") for day in range(3)]
                + [(cls._at(shipped, days=3), "delivered")],
                delivered_at=cls._at(shipped, days=3),
            )
        # A slow lane: PostNL to the Netherlands, 15 days, a week between some events.
        for i in range(10):
            shipped = cls._at(cls.now, days=-70 - i)
            _order, picking = cls._sell_and_ship(f"JD0DELIVERED96{i:02d}", carrier=cls.slow_carrier, shipped=shipped)
            cls._store_tracking(
                picking,
                "delivered",
                [
                    (shipped, "in_transit"),
                    (cls._at(shipped, days=6), "in_transit"),
                    (cls._at(shipped, days=9), "in_transit"),
                    (cls._at(shipped, days=15), "delivered"),
                ],
                delivered_at=cls._at(shipped, days=15),
            )
        cls.Lane._compute_lanes(now=cls.now)
        cls.rule_international.write(
            {
                "threshold_mode": "learned",
                "learned_min_deliveries": 10,
                "stalled_days": 7,
                "eta_overdue_days": 0,
                "use_exceptions": False,
                "inquiry_count": 0,
            }
        )

    def _in_transit(self, tracking_ref, shipped_days_ago, last_event_days_ago, carrier=None):
        shipped = self._at(self.now, days=-shipped_days_ago)
        _order, picking = self._sell_and_ship(tracking_ref, carrier=carrier, shipped=shipped)
        return self._store_tracking(
            picking,
            "in_transit",
            [(shipped, "in_transit"), (self._at(self.now, days=-last_event_days_ago), "in_transit")],
        )

    def test_lanes_learn_transit_and_quiet_spells_per_carrier_and_destination(self):
        fast = self.Lane.search([("carrier_id", "=", self.carrier.id), ("country_id", "=", self.nl.id)])
        slow = self.Lane.search([("carrier_id", "=", self.slow_carrier.id), ("country_id", "=", self.nl.id)])
        self.assertEqual((fast.delivered, slow.delivered), (10, 10))
        self.assertAlmostEqual(fast.transit_p95, 3.0, places=3)
        self.assertAlmostEqual(fast.gap_p95, 1.0, places=3)
        self.assertAlmostEqual(slow.transit_p95, 15.0, places=3)
        self.assertAlmostEqual(slow.gap_p95, 6.0, places=3)
        carrier_wide = self.Lane.search([("carrier_id", "=", self.carrier.id), ("country_id", "=", False)])
        self.assertEqual(carrier_wide.delivered, 10)
        self.assertEqual(fast.display_name, "DHL Express (test) → Netherlands")

    def test_fast_lane_parcel_is_flagged_early_with_its_lane_figures(self):
        picking = self._in_transit("JD0INTRANSIT9701", shipped_days_ago=5, last_event_days_ago=2.5)
        case = self._case_of(self._detect(now=self.now), picking)
        reasons = {reason.signal: reason for reason in case.reason_ids}
        self.assertEqual(set(reasons), {"stalled", "late"})
        self.assertEqual(reasons["stalled"].threshold_days, 2.0, "the lane's 1 day, raised to the rule's floor")
        self.assertEqual(reasons["stalled"].lane_id.country_id, self.nl)
        self.assertIn("95% of 10 delivered parcels never went 1 days without an event", reasons["stalled"].evidence)
        self.assertIn("arrived within 3 days", reasons["late"].evidence)

    def test_slow_lane_parcel_within_its_normal_is_left_alone(self):
        picking = self._in_transit(
            "JD0INTRANSIT9702", shipped_days_ago=10, last_event_days_ago=5, carrier=self.slow_carrier
        )
        self.assertFalse(self._detect(now=self.now).filtered(lambda c: c.picking_id == picking))
        # The same parcel under a fixed 4-day rule raises an alarm the lane knows is normal.
        self.rule_international.write({"threshold_mode": "fixed", "stalled_days": 4})
        self.assertTrue(self._detect(now=self.now).filtered(lambda c: c.picking_id == picking))

    def test_lane_with_too_few_deliveries_falls_back_to_fixed_days(self):
        ups = self._create_carrier(
            "UPS (test)", self._create_account("aftership", "AfterShip 2", api_key="sandbox-key")
        )
        quiet = self._in_transit("JD0INTRANSIT9703", shipped_days_ago=12, last_event_days_ago=8, carrier=ups)
        recent = self._in_transit("JD0INTRANSIT9704", shipped_days_ago=12, last_event_days_ago=5, carrier=ups)
        cases = self._detect(now=self.now)
        case = self._case_of(cases, quiet)
        self.assertEqual(case.reason_ids.signal, "stalled")
        self.assertFalse(case.reason_ids.lane_id)
        self.assertEqual(case.reason_ids.threshold_days, 7.0)
        self.assertFalse(cases.filtered(lambda c: c.picking_id == recent))

    def test_lanes_stay_in_their_company(self):
        other = self.env["res.company"].create({"name": "Other Seller"})
        self.assertFalse(self.Lane.search([("company_id", "=", other.id)]))
        user = self.env["res.users"].create(
            {
                "name": "Other Reviewer",
                "login": "other_reviewer",
                "company_id": other.id,
                "company_ids": [(6, 0, other.ids)],
                "groups_id": [(4, self.env.ref("lost_parcel_reship.group_lost_parcel_user").id)],
            }
        )
        self.assertFalse(self.Lane.with_user(user).search([]))
        self.assertTrue(self.Lane.search([]))
