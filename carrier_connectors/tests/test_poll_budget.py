"""The polling cron under the carriers' real limits: a time budget per run, each account's share
sized from its rate limit, long Retry-After waits requeued instead of slept through, and the
calls spent on the parcels where a check matters."""

import gc
import time
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.tests import tagged

from ..clients.calls import TrackingCalls
from ..clients.seventeen_track import parse_track_info
from ..models.poll_gc import POLL_GC_THRESHOLD, fewer_gc_passes
from ..models.stock_picking import PICKING_FILLFACTOR
from .common import TrackingCommon


@tagged("post_install", "-at_install")
class TestPollBudget(TrackingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Only this test's parcels are due: the demo's accounts are switched off.
        cls.env["carrier.tracking.account"].search([("id", "!=", cls.account.id)]).active = False
        cls.fast_account = cls._create_account("aftership", "AfterShip fast", api_key="sandbox-key")
        cls.fast_carrier = cls._create_carrier("Royal Mail (test)", cls.fast_account)

    def setUp(self):
        super().setUp()
        self.sandbox.state.retry_after = None
        self.addCleanup(setattr, self.sandbox.state, "retry_after", None)

    def _due(self, pickings):
        return pickings.filtered_domain(self.env["stock.picking"]._tracking_due_domain())

    @staticmethod
    def _seventeen_track_answer(picking, status, sub_status, *events):
        """17TRACK's answer about the picking's number: its latest status and these events."""
        return parse_track_info(
            picking.carrier_tracking_ref,
            {
                "number": picking.carrier_tracking_ref,
                "track_info": {
                    "latest_status": {"status": status, "sub_status": sub_status},
                    "tracking": {"providers": [{"events": list(events)}]},
                },
            },
        ).finalize()

    def test_a_slow_account_gets_the_share_of_the_run_its_rate_limit_allows(self):
        # DHL at one call every two seconds, one number a call: a 4-second run can ask about 2 of
        # its 5 parcels (a full bucket of one call, plus one more within 90 % of the budget); the
        # fast account's parcels in the same batches are all asked.
        self.account.rate_limit = 0.5
        slow = self._ship_pickings_in_batch([f"JD0INTRANSIT95{i:02d}" for i in range(5)], self.carrier)
        fast = self._ship_pickings_in_batch([f"RM0INTRANSIT95{i:02d}" for i in range(5)], self.fast_carrier)

        start = time.monotonic()
        self.env["stock.picking"]._cron_update_tracking(time_budget=4)
        elapsed = time.monotonic() - start

        self.assertEqual(len(slow.filtered("tracking_last_check")), 2)
        self.assertEqual(len(self._due(slow)), 3, "the others stay due for the next run, untouched")
        self.assertFalse(slow.filtered(lambda p: not p.tracking_last_check and p.tracking_error))
        self.assertEqual(fast.mapped("tracking_status"), ["in_transit"] * 5)
        self.assertLess(elapsed, 4 + 3, "the run ends near its budget, not when the slow carrier is done")

    def test_an_account_out_of_budget_is_not_asked_after_the_deadline(self):
        # A 1-second budget: the slow account's capacity is its full bucket (one call); nothing
        # waits for the next token past the deadline.
        self.account.rate_limit = 0.2
        slow = self._ship_pickings_in_batch([f"JD0INTRANSIT96{i:02d}" for i in range(3)], self.carrier)

        done = self.env["stock.picking"]._cron_update_tracking(time_budget=1)

        self.assertEqual(done, 1)
        self.assertEqual(len(self._due(slow)), 2)

    def test_a_long_retry_after_requeues_the_parcels_for_that_time(self):
        self.sandbox.state.retry_after = 120
        limited = self._ship_pickings_in_batch(["JD0RATELIMIT9701"], self.carrier)
        moving = self._ship_pickings_in_batch(["JD0INTRANSIT9701"], self.carrier)

        with self._recorded_client_sleeps() as waits:
            before = fields.Datetime.now()
            self.env["stock.picking"]._cron_update_tracking(time_budget=30)

        self.assertNotIn(120.0, waits, "a 2-minute Retry-After is not slept through in a thread")
        self.assertEqual(limited.tracking_error_kind, "rate_limited")
        waited = (limited.tracking_next_check - before).total_seconds()
        self.assertAlmostEqual(waited, 120, delta=5, msg="asked again when the carrier said")
        self.assertEqual(moving.tracking_status, "in_transit", "the account's other parcels went on")

    def test_a_short_retry_after_is_waited_for_and_the_parcel_answered(self):
        self.sandbox.state.retry_after = 2
        picking = self._ship_pickings_in_batch(["JD0FLAKY4299801"], self.carrier)

        with self._recorded_client_sleeps() as waits:
            self.env["stock.picking"]._cron_update_tracking(time_budget=30)

        self.assertIn(2.0, waits)
        self.assertEqual(picking.tracking_status, "in_transit")

    def test_parcels_in_trouble_are_asked_first_and_more_often(self):
        pickings = self._ship_pickings_in_batch(
            ["RM0LATE9901", "RM0STALLED9901", "RM0FAILED9901", "RM0INFO9901"], self.fast_carrier
        )
        late, stalled, failed, info = pickings
        now = fields.Datetime.now()
        self.env["stock.picking"]._cron_update_tracking(time_budget=30)

        def hours_to_next_check(picking):
            return round((picking.tracking_next_check - now).total_seconds() / 3600)

        # The account polls every 6 hours: trouble every 2, quiet for days every 3, a parcel moving
        # with its delivery days ahead every 12 (INFO: expected in 6 days, last scan 5 hours ago),
        # but not one whose first promise passed (LATE: estimate moved 3 days ahead, still moving).
        self.assertEqual(hours_to_next_check(failed), 2)
        self.assertEqual(hours_to_next_check(stalled), 3)
        self.assertEqual(hours_to_next_check(info), 12)
        self.assertEqual(hours_to_next_check(late), 6)
        self.assertGreater(failed.tracking_priority, stalled.tracking_priority)
        self.assertGreater(stalled.tracking_priority, late.tracking_priority)
        self.assertGreater(late.tracking_priority, info.tracking_priority)

        # All due again at once, and room for one parcel a run: the failed delivery goes first,
        # then the stalled one.
        pickings.write({"tracking_next_check": now - timedelta(minutes=1)})
        self.env["stock.picking"]._cron_update_tracking(batch_size=1, max_batches=1, time_budget=30)
        self.assertEqual(self._due(pickings), late | stalled | info)
        self.env["stock.picking"]._cron_update_tracking(batch_size=1, max_batches=1, time_budget=30)
        self.assertEqual(self._due(pickings), late | info)

    def test_a_parcel_whose_tracking_expired_is_still_asked_about_slowly(self):
        """17TRACK's Expired is a parcel "in transit for an extended period and not yet delivered":
        it was a final status, so polling stopped for good and its late delivery was never seen."""
        (picking,) = self._ship_pickings_in_batch(["YT2300000000000001"], self.fast_carrier)

        def answer(status, sub_status, *events):
            return self._seventeen_track_answer(picking, status, sub_status, *events)

        departed = {"time_utc": "2026-10-01T00:00:00Z", "description": "Departed", "sub_status": "InTransit_Other"}
        now = fields.Datetime.now()
        picking._apply_tracking_results({picking.id: answer("Expired", "Expired_Other", departed)})

        self.assertEqual(picking.tracking_status, "expired")
        self.assertTrue(picking.tracking_next_check, "still asked about")
        interval = picking.tracking_account_id.poll_interval_hours
        self.assertAlmostEqual((picking.tracking_next_check - now).total_seconds() / 3600, 4 * interval, delta=0.1)
        later = picking.tracking_next_check + timedelta(seconds=1)
        self.assertTrue(picking.filtered_domain(picking._tracking_due_domain(now=later)), "due again then")

        delivered = {"time_utc": "2026-11-20T09:00:00Z", "description": "Delivered", "sub_status": "Delivered_Other"}
        picking._apply_tracking_results({picking.id: answer("Delivered", "Delivered_Other", departed, delivered)})
        self.assertEqual(picking.tracking_status, "delivered")
        self.assertFalse(picking.tracking_next_check, "delivered: no next check")

    def test_claimed_parcels_are_leased_so_no_other_poller_takes_them(self):
        pickings = self._ship_pickings_in_batch(["JD0INTRANSIT9801", "JD0INTRANSIT9802"], self.carrier)
        Picking = self.env["stock.picking"]

        due_at = pickings[0].tracking_next_check

        claimed = Picking._claim_for_tracking(1, lease=timedelta(minutes=5))

        self.assertEqual(len(claimed), 1)
        self.assertGreater(claimed.tracking_lease_until, fields.Datetime.now() + timedelta(minutes=4))
        self.assertEqual(claimed.tracking_next_check, due_at, "the claim leaves the next check where it was")
        self.assertEqual(self._due(pickings), pickings - claimed, "another poller sees only the other one")
        self.assertEqual(Picking._claim_for_tracking(5), pickings - claimed)

        claimed._store_polled_batch(claimed._fetch_tracking(claimed.grouped("tracking_account_id")))
        self.assertFalse(claimed.tracking_lease_until, "the answer stored, the lease ends")
        self.assertGreater(claimed.tracking_next_check, fields.Datetime.now(), "and the next check moves on")

    def test_a_late_push_leaves_a_pollers_lease_alone(self):
        # A poller has claimed the parcel and is asking the carrier when an older push arrives:
        # the push's events are stored, the lease stays, and no other poller takes the parcel.
        (picking,) = self._ship_pickings_in_batch(["YT2300000000000002"], self.fast_carrier)

        def answer(*events):
            return self._seventeen_track_answer(picking, "InTransit", "InTransit_Other", *events)

        departed = {"time_utc": "2026-10-01T00:00:00Z", "description": "Departed", "sub_status": "InTransit_Other"}
        arrived = {"time_utc": "2026-10-05T00:00:00Z", "description": "Arrived", "sub_status": "InTransit_Other"}
        picking._apply_tracking_results({picking.id: answer(departed, arrived)})
        picking.tracking_next_check = fields.Datetime.now() - timedelta(minutes=1)
        claimed = self.env["stock.picking"]._claim_for_tracking(1, lease=timedelta(minutes=5))
        self.assertEqual(claimed, picking)

        sorted_at = {"time_utc": "2026-10-02T00:00:00Z", "description": "Sorted", "sub_status": "InTransit_Other"}
        picking._apply_tracking_results({picking.id: answer(departed, sorted_at)}, keep_newer=True)

        self.assertIn("Sorted", picking.tracking_event_ids.mapped("description"))
        self.assertTrue(picking.tracking_lease_until, "still the poller's")
        self.assertFalse(self._due(picking), "no other poller takes it")

    def test_a_lease_that_ends_gives_the_parcel_back_in_its_place(self):
        pickings = self._ship_pickings_in_batch(["JD0INTRANSIT9811", "JD0INTRANSIT9812"], self.carrier)
        Picking = self.env["stock.picking"]
        claimed = Picking._claim_for_tracking(1, lease=timedelta(minutes=5))
        due_at = claimed.tracking_next_check
        self.assertEqual(self._due(pickings), pickings - claimed)

        # Its poller died: nothing stored, the lease ends.
        claimed.flush_recordset()
        self.env.cr.execute(
            "UPDATE stock_picking SET tracking_lease_until = now() at time zone 'UTC' - interval '1 second'"
            " WHERE id = %s",
            [claimed.id],
        )
        claimed.invalidate_recordset(["tracking_lease_until"])
        self.assertEqual(self._due(pickings), pickings)
        self.assertEqual(claimed.tracking_next_check, due_at, "its next check is the one it was claimed with")
        self.assertEqual(Picking._claim_for_tracking(1), claimed, "first again, as before its claim")

    def test_the_lease_is_in_no_index_so_a_claim_rewrites_none(self):
        # A claim's UPDATE that changes no indexed column (nor one an index's condition reads) is
        # a HOT update: no new entry in each of the delivery's indexes. An index on the lease
        # would make every claim rewrite them all.
        self.env.cr.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index"
            " WHERE indrelid = 'stock_picking'::regclass"
        )
        indexes = dict(self.env.cr.fetchall())
        self.assertIn("stock_picking_tracking_claim_index", indexes)
        self.assertEqual([name for name, text in indexes.items() if "tracking_lease_until" in text], [])
        # And each page keeps room for the lease's new row version, which a HOT update needs.
        self.env.cr.execute("SELECT reloptions FROM pg_class WHERE oid = 'stock_picking'::regclass")
        self.assertIn(f"fillfactor={PICKING_FILLFACTOR}", self.env.cr.fetchone()[0] or [])
        self.assertLess(PICKING_FILLFACTOR, 100)

    def test_a_batch_left_by_an_account_with_few_parcels_goes_to_the_others(self):
        # A batch of 6 over two accounts: DHL has 1 parcel due, AfterShip 8; AfterShip gets the
        # other 5 places of the same batch.
        few = self._ship_pickings_in_batch(["JD0INTRANSIT9901"], self.carrier)
        many = self._ship_pickings_in_batch([f"RM0INTRANSIT99{i:02d}" for i in range(8)], self.fast_carrier)

        claimed = self.env["stock.picking"]._claim_for_tracking(6, lease=timedelta(minutes=5))

        self.assertEqual(claimed & few, few)
        self.assertEqual(len(claimed & many), 5)

    def test_a_fast_account_is_asked_throughout_while_a_slow_one_waits_for_its_limit(self):
        # DHL at one call a second, AfterShip unlimited: in a 5-second run whose batches hold 4
        # parcels, AfterShip's 40 parcels do not wait behind DHL's calls; every one is asked while
        # DHL is asked as often as its limit allows.
        self.account.rate_limit = 1
        slow = self._ship_pickings_in_batch([f"JD0INTRANSIT97{i:02d}" for i in range(10)], self.carrier)
        fast = self._ship_pickings_in_batch([f"RM0INTRANSIT97{i:02d}" for i in range(40)], self.fast_carrier)

        self.env["stock.picking"]._cron_update_tracking(batch_size=4, time_budget=5)

        self.assertEqual(fast.mapped("tracking_status"), ["in_transit"] * 40)
        self.assertGreaterEqual(len(slow.filtered("tracking_last_check")), 4)
        self.assertFalse(slow.filtered(lambda p: p.tracking_error), "not asked in time is not an error")

    def test_the_budget_follows_the_cron_time_limit_or_the_parameter(self):
        Picking = self.env["stock.picking"]
        params = self.env["ir.config_parameter"].sudo()
        self.assertGreaterEqual(Picking._tracking_time_budget(), 10)
        params.set_param("carrier_connectors.poll_time_budget", "42")
        self.assertEqual(Picking._tracking_time_budget(), 42)

    def test_the_cycle_collector_runs_less_often_while_a_poll_runs_and_as_before_after_it(self):
        # At Python's default pace (every 700 new objects, and a full pass of the process's heap
        # now and then) the collector took a quarter of a large poll's time.
        parcels = self._ship_pickings_in_batch([f"JD0INTRANSIT97{i:02d}" for i in range(3)], self.carrier)
        before = gc.get_threshold()
        self.assertLess(before[0], POLL_GC_THRESHOLD, "Python's default (700)")
        during = []
        add = TrackingCalls.add

        def add_and_look(calls_self, calls):
            during.append(gc.get_threshold())
            return add(calls_self, calls)

        with patch.object(TrackingCalls, "add", add_and_look):
            self.env["stock.picking"]._cron_update_tracking(time_budget=10)
        self.assertEqual(parcels.mapped("tracking_status"), ["in_transit"] * 3)
        self.assertEqual(during[0], (POLL_GC_THRESHOLD, *before[1:]), "raised while the carriers are asked")
        self.assertEqual(gc.get_threshold(), before, "put back when the poll ends")

        self._ship_pickings_in_batch(["JD0INTRANSIT9703"], self.carrier)
        with patch.object(TrackingCalls, "add", side_effect=RuntimeError("boom")), self.assertRaises(RuntimeError):
            self.env["stock.picking"]._cron_update_tracking(time_budget=10)
        self.assertEqual(gc.get_threshold(), before, "put back when the poll fails too")

    def test_overlapping_polls_put_the_threshold_back_once_the_last_one_ends(self):
        before = gc.get_threshold()
        first, second = fewer_gc_passes(), fewer_gc_passes()
        first.__enter__()
        second.__enter__()
        first.__exit__(None, None, None)
        self.assertEqual(gc.get_threshold()[0], POLL_GC_THRESHOLD, "the second poll still runs")
        second.__exit__(None, None, None)
        self.assertEqual(gc.get_threshold(), before)
        # A process that switched the collector off (threshold 0) keeps it off.
        gc.set_threshold(0, *before[1:])
        try:
            with fewer_gc_passes():
                self.assertEqual(gc.get_threshold()[0], 0)
        finally:
            gc.set_threshold(*before)
