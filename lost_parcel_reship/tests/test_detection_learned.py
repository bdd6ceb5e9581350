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
        # A lane with one long leg: China Post to the Netherlands, a scan a day except 8 quiet days
        # between the first two days and the last two (the flight and customs), 11 days in all.
        cls.leg_carrier = cls._create_carrier(
            "China Post (test)", cls._create_account("aftership", "AfterShip long leg", api_key="sandbox-key")
        )
        for i in range(10):
            shipped = cls._at(cls.now, days=-80 - i)
            _order, picking = cls._sell_and_ship(f"JD0DELIVERED97{i:02d}", carrier=cls.leg_carrier, shipped=shipped)
            cls._store_tracking(
                picking,
                "delivered",
                [(cls._at(shipped, days=day), "in_transit") for day in (0, 1, 9, 10)]
                + [(cls._at(shipped, days=11), "delivered")],
                delivered_at=cls._at(shipped, days=11),
            )
        cls.Lane._compute_lanes(now=cls.now)
        cls.rule_international.write(
            {
                "threshold_mode": "learned",
                "learned_stalled_floor_days": 2.0,
                "learned_use_late": True,
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

    def test_lanes_learn_the_second_longest_quiet_spell(self):
        leg = self.Lane.search([("carrier_id", "=", self.leg_carrier.id), ("country_id", "=", self.nl.id)])
        fast = self.Lane.search([("carrier_id", "=", self.carrier.id), ("country_id", "=", self.nl.id)])
        slow = self.Lane.search([("carrier_id", "=", self.slow_carrier.id), ("country_id", "=", self.nl.id)])
        self.assertAlmostEqual(leg.gap_p95, 8.0, places=3)
        self.assertAlmostEqual(leg.second_gap_p95, 1.0, places=3, msg="one long leg, then a scan a day")
        self.assertAlmostEqual(fast.second_gap_p95, 1.0, places=3)
        self.assertAlmostEqual(slow.second_gap_p95, 6.0, places=3, msg="two 6-day spells: the second is normal too")

    def test_quiet_spell_after_the_long_leg_is_flagged_early(self):
        """A quiet spell the lane knows as its long leg is left alone; the same spell after the
        parcel already went through its long leg is not normal any more."""
        in_leg = self._in_transit("JD0INTRANSIT9705", 7, 6, carrier=self.leg_carrier)
        shipped = self._at(self.now, days=-14)
        _order, after_leg = self._sell_and_ship("JD0INTRANSIT9706", carrier=self.leg_carrier, shipped=shipped)
        self._store_tracking(
            after_leg,
            "in_transit",
            [(self._at(shipped, days=day), "in_transit") for day in (0, 1, 9)],
        )
        cases = self._detect(now=self.now)
        self.assertFalse(cases.filtered(lambda c: c.picking_id == in_leg), "6 quiet days in an 8-day leg are normal")
        reason = self._case_of(cases, after_leg).reason_ids.filtered(lambda r: r.signal == "stalled")
        self.assertEqual(reason.threshold_days, 2.0, "the lane's second-longest spell, 1 day, raised to the floor")
        self.assertEqual(reason.after_quiet_days, 8.0)
        self.assertEqual(reason.lane_id.carrier_id, self.leg_carrier)
        self.assertIn("already went 8 days without an event (its long leg)", reason.evidence)
        self.assertIn("95% of 10 delivered parcels never had a second quiet spell over 1 days", reason.evidence)

    def test_late_needs_a_quiet_spell_and_is_off_by_default(self):
        # Past the lane's 3-day transit but scanned 12 hours ago: late but still moving.
        scanning = self._in_transit("JD0INTRANSIT9707", shipped_days_ago=6, last_event_days_ago=0.5)
        quiet = self._in_transit("JD0INTRANSIT9708", shipped_days_ago=6, last_event_days_ago=2.5)
        cases = self._detect(now=self.now)
        self.assertFalse(cases.filtered(lambda c: c.picking_id == scanning))
        self.assertEqual(set(self._case_of(cases, quiet).reason_ids.mapped("signal")), {"stalled", "late"})
        cases.unlink()
        # As a new rule has it.
        self.rule_international.learned_use_late = (
            self.env["lost.parcel.rule"].default_get(["learned_use_late"]).get("learned_use_late", False)
        )
        cases = self._detect(now=self.now)
        self.assertEqual(self._case_of(cases, quiet).reason_ids.mapped("signal"), ["stalled"])

    def test_default_floor_leaves_a_long_weekend_without_scans_alone(self):
        floor = self.env["lost.parcel.rule"].default_get(["learned_stalled_floor_days"])["learned_stalled_floor_days"]
        self.rule_international.learned_stalled_floor_days = floor
        weekend = self._in_transit("JD0INTRANSIT9709", shipped_days_ago=5, last_event_days_ago=3.5)
        longer = self._in_transit("JD0INTRANSIT9710", shipped_days_ago=6, last_event_days_ago=4.5)
        cases = self._detect(now=self.now)
        self.assertFalse(cases.filtered(lambda c: c.picking_id == weekend), "3.5 quiet days on a 1-day lane")
        reason = self._case_of(cases, longer).reason_ids.filtered(lambda r: r.signal == "stalled")
        self.assertEqual(reason.threshold_days, 4.0)
