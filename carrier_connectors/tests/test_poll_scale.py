from datetime import timedelta

from odoo import fields
from odoo.tests import tagged
from odoo.tools import SQL

from ..clients import PROVIDERS, get_client_class
from ..clients.base import BaseClient
from ..sandbox.core import CREDENTIALS
from .common import TrackingCommon, frozen_sandbox_clock

PARCELS = 1000
FAIL_RATE = 0.1  # share of carrier calls the sandbox answers with a 429 or a 5xx
# Scenario in the tracking number → (status, error kind) the parcel must end with.
EXPECTED = {
    "DELIVERED": ("delivered", False),
    "INTRANSIT": ("in_transit", False),
    "STALLED": ("in_transit", False),
    "LOST": ("exception", False),
    "RETURNED": ("returned", False),
    "NOTFOUND": ("not_found", "not_found"),
    "FLAKY429": ("in_transit", False),
    "FLAKY500": ("in_transit", False),
}
SCENARIOS = list(EXPECTED)
TRANSIENT = ("rate_limited", "carrier_down")


@tagged("post_install", "-at_install")
class TestPollScale(TrackingCommon):
    """The acceptance test of the connectors: a thousand parcels in flight over the eight providers,
    one carrier call in ten failing, polled by the scheduled action."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.scenario_of = {}
        pickings = cls.env["stock.picking"]
        per_provider = PARCELS // len(PROVIDERS)
        for index, provider in enumerate(PROVIDERS):
            credentials = {name: CREDENTIALS[name] for name in get_client_class(provider).credential_fields}
            account = cls._create_account(provider, f"{provider} at scale", **credentials)
            account.write({"rate_limit": 10000, "concurrency": 4})
            refs = {}
            for number in range(per_provider):
                scenario = SCENARIOS[number % len(SCENARIOS)]
                refs[f"SCL{index}X{number:04d}{scenario}"] = scenario
            shipped = cls._ship_pickings_in_batch(list(refs), cls._create_carrier(f"{provider} scale", account))
            cls.scenario_of.update({picking: refs[picking.carrier_tracking_ref] for picking in shipped})
            pickings |= shipped
        cls.pickings = pickings

    def setUp(self):
        super().setUp()
        self.sandbox.state.fail_rate = FAIL_RATE

    def _event_counts(self):
        self.env.flush_all()
        [(stored, distinct_keys, distinct_facts)] = self.env.execute_query(
            SQL(
                """SELECT count(*),
                          count(DISTINCT (picking_id, event_key)),
                          count(DISTINCT (picking_id, occurred_at, raw_code, description, location))
                     FROM stock_tracking_event
                    WHERE picking_id IN %s""",
                tuple(self.pickings.ids),
            )
        )
        return stored, distinct_keys, distinct_facts

    def _assert_outcomes(self):
        """Each parcel has its scenario's status, or a transient carrier error it will retry soon."""
        soon = fields.Datetime.now() + timedelta(hours=1)
        transient = self.env["stock.picking"]
        for picking in self.pickings:
            if picking.tracking_error_kind in TRANSIENT:
                self.assertRegex(picking.tracking_error, r"HTTP (429|5\d\d)")
                self.assertLessEqual(picking.tracking_next_check, soon)
                transient |= picking
                continue
            expected_status, expected_error = EXPECTED[self.scenario_of[picking]]
            outcome = (picking.tracking_status, picking.tracking_error_kind)
            self.assertEqual(outcome, (expected_status, expected_error), picking.carrier_tracking_ref)
            self.assertTrue(picking.tracking_last_check)
            if expected_error:
                self.assertTrue(picking.tracking_error)
            else:
                self.assertTrue(picking.tracking_event_ids, picking.carrier_tracking_ref)
        # Four attempts per call make a call that still fails rare (0.1 %), but one such call of a
        # batching provider leaves up to 50 parcels on it: the bound catches retries not happening.
        self.assertLess(len(transient), PARCELS * 0.1, transient.mapped("tracking_error")[:5])
        return transient

    def test_cron_polls_a_thousand_parcels_through_carrier_failures(self):
        self.assertEqual(len(self.pickings), PARCELS)
        with frozen_sandbox_clock(), self._recorded_client_sleeps() as waits:
            # A budget no loaded test machine reaches: this test is about faults, not time.
            done = self.env["stock.picking"]._cron_update_tracking(time_budget=600)
            self.assertGreaterEqual(done, PARCELS)
            self.assertTrue(self.pickings.mapped("tracking_last_check"))
            self._assert_outcomes()
            stored, distinct_keys, distinct_facts = self._event_counts()
            self.assertGreater(stored, PARCELS * 2)
            self.assertEqual(stored, distinct_keys)
            self.assertEqual(stored, distinct_facts)

            # The carriers were asked within their rules: Retry-After honoured, batches used.
            self.assertIn(1.0, waits, "the sandbox's Retry-After: 1 was honoured")
            self.assertLessEqual(max(waits), BaseClient.backoff_max)
            requests = self.sandbox.state.requests
            for provider in PROVIDERS:
                if get_client_class(provider).batch_size > 1:
                    self.assertLess(requests[provider], PARCELS / len(PROVIDERS) / 2, provider)

            # Hours later the cron runs again over the parcels still in flight.
            events_before = {picking: set(picking.tracking_event_ids.mapped("event_key")) for picking in self.pickings}
            in_flight = self.pickings.filtered("tracking_next_check")
            self.assertTrue(self.pickings - in_flight, "delivered and returned parcels are not polled again")
            in_flight.tracking_next_check = fields.Datetime.now() - timedelta(minutes=1)
            self.assertGreaterEqual(self.env["stock.picking"]._cron_update_tracking(time_budget=600), len(in_flight))
            transient = self._assert_outcomes()

        stored_again, distinct_keys, distinct_facts = self._event_counts()
        self.assertEqual(stored_again, distinct_keys)
        self.assertEqual(stored_again, distinct_facts)
        for picking in self.pickings - transient:
            if events_before[picking]:
                self.assertEqual(set(picking.tracking_event_ids.mapped("event_key")), events_before[picking])
