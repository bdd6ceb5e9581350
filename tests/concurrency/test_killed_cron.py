"""A scheduled action killed in the middle of a batch (worker restarted, out of memory, timeout)
resumes on its next run without doing anything twice: each batch is its own transaction, the
killed one rolls back whole, and the next run takes up exactly what it left.

Committed data on purpose (a test transaction cannot show what a commit keeps), on the throwaway
database of ``tests/run.sh``; every record is tagged for this run. Each run is a thread of its own
with its own connection, as a cron worker runs it (so the crons commit per batch). The kill is a
``BaseException`` raised in that thread once the batch's work is done and before its commit:
nothing of ours catches it, as nothing catches a killed process.
"""

import threading
from datetime import datetime
from unittest.mock import patch

import pytest

from .world import (
    cases_per_parcel,
    create_world,
    database_registry,
    duplicate_events,
    new_tag,
    only_account,
    ship,
    superuser_env,
)

LONG_AGO = datetime(2000, 1, 1)  # due (or queued) before any other parcel of the database


class Killed(BaseException):
    """The worker dies: the transaction ends without a commit."""


@pytest.fixture(scope="module")
def registry():
    return database_registry()


def _as_cron_worker(registry, job):
    """Run ``job(env)`` in a thread of its own with its own connection, committed when it returns.
    -> its return value, or "Killed"."""
    outcome = []

    def run():
        try:
            with registry.cursor() as cr:
                outcome.append(job(superuser_env(cr)))
        except Killed:
            outcome.append("Killed")

    thread = threading.Thread(target=run, name="cron-worker")
    thread.start()
    thread.join(timeout=300)
    assert outcome, "the run did not end"
    return outcome[0]


def _killed_after(model_class, method, when):
    """Patch ``method`` to run, then kill the worker thread when ``when(records)`` holds."""
    original = getattr(model_class, method)

    def run_then_die(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        # In the worker's thread, or in one of its poll's store transactions (``TrackingStores``),
        # whose failure is the run's.
        name = threading.current_thread().name
        if (name == "cron-worker" or name.startswith("tracking-store")) and when(self):
            raise Killed
        return result

    return patch.object(model_class, method, run_then_die)


def test_a_poll_killed_mid_batch_resumes_without_polling_or_storing_twice(registry):
    tag, size = new_tag(), 4
    with registry.cursor() as cr:
        env = superuser_env(cr, tracking_disable=True)
        account, carrier, _rule = create_world(env, "dhl", tag, api_key="sandbox-key")
        pickings = ship(env, carrier, [f"JD0INTRANSIT{tag}{i:02d}" for i in range(2 * size)], tag)
        pickings.tracking_next_check = LONG_AGO
        first_ids, second_ids = pickings.ids[:size], pickings.ids[size:]
    with only_account(registry, account.id):
        _poll_killed_mid_batch(registry, size, first_ids, second_ids)


def _poll_killed_mid_batch(registry, size, first_ids, second_ids):

    def poll_one_batch(env):
        return env["stock.picking"]._cron_update_tracking(batch_size=size, max_batches=1, time_budget=60)

    assert _as_cron_worker(registry, poll_one_batch) == size
    with registry.cursor() as cr:
        env = superuser_env(cr)
        first_checks = dict(env["stock.picking"].browse(first_ids).mapped(lambda p: (p.id, p.tracking_last_check)))
        assert all(first_checks.values()), "the first batch is committed"

    # The next batch dies once the carriers' answers are stored, before its commit.
    Picking = registry["stock.picking"]
    with _killed_after(Picking, "_hook_tracking_updated", lambda pickings: set(pickings.ids) & set(second_ids)):
        assert _as_cron_worker(registry, poll_one_batch) == "Killed"
    with registry.cursor() as cr:
        second = superuser_env(cr)["stock.picking"].browse(second_ids)
        assert not second.tracking_event_ids and not any(second.mapped("tracking_last_check")), "rolled back whole"

    # The killed batch was leased (committed before the carrier was asked): no other run takes it
    # until the lease ends (2 x the 60-second budget + 60 s), as time would make it end here.
    assert _as_cron_worker(registry, poll_one_batch) == 0, "leased to the dead worker for now"
    with registry.cursor() as cr:
        cr.execute(
            "UPDATE stock_picking SET tracking_lease_until = tracking_lease_until - interval '181 seconds'"
            " WHERE id = ANY(%s)",
            [second_ids],
        )
    assert _as_cron_worker(registry, poll_one_batch) == size, "the next run takes up the killed batch"
    with registry.cursor() as cr:
        env = superuser_env(cr)
        pickings = env["stock.picking"].browse(first_ids + second_ids)
        assert set(pickings.mapped("tracking_status")) == {"in_transit"}
        assert not any(pickings.mapped("tracking_error"))
        assert dict(pickings[:size].mapped(lambda p: (p.id, p.tracking_last_check))) == first_checks, (
            "the first batch was not polled again"
        )
        events = {len(picking.tracking_event_ids) for picking in pickings}
        assert len(events) == 1 and events != {0}, f"every parcel has its timeline once: {events}"
        assert not duplicate_events(env, pickings)
        for picking in pickings:
            notes = picking.message_ids.filtered(lambda m: "Tracking:" in str(m.body))
            assert len(notes) == 1, f"{picking.carrier_tracking_ref} updated once: {notes.mapped('body')}"


def test_a_detection_killed_before_its_commit_resumes_with_one_case_per_parcel(registry):
    tag, size = new_tag(), 3
    with registry.cursor() as cr:
        env = superuser_env(cr, tracking_disable=True)
        _account, carrier, _rule = create_world(env, "dhl", tag, api_key="sandbox-key")
        pickings = ship(env, carrier, [f"JD0LOST{tag}{i:02d}" for i in range(2 * size)], tag)
        pickings._update_tracking()  # the carrier says lost: each parcel is queued for detection
        assert set(pickings.mapped("tracking_exception_kind")) == {"lost"}
        assert all(pickings.mapped("lost_parcel_detect_requested"))
        pickings.lost_parcel_detect_requested = LONG_AGO  # checked before any other queued parcel
        first_ids, second_ids = pickings.ids[:size], pickings.ids[size:]

    def detect(env):
        return len(env["lost.parcel.case"]._cron_detect_changed_parcels(batch_size=size))

    # The second batch dies once its cases are opened and re-verified, before its commit.
    Case = registry["lost.parcel.case"]
    with _killed_after(Case, "_reverify", lambda cases: set(cases.picking_id.ids) & set(second_ids)):
        assert _as_cron_worker(registry, detect) == "Killed"
    with registry.cursor() as cr:
        env = superuser_env(cr)
        first, second = env["stock.picking"].browse(first_ids), env["stock.picking"].browse(second_ids)
        assert set(cases_per_parcel(env, first).values()) == {1}, "the first batch is committed"
        first_cases = first.lost_parcel_case_ids.ids
        assert set(cases_per_parcel(env, second).values()) == {0}, "the killed batch rolled back whole"
        assert all(second.mapped("lost_parcel_detect_requested")), "and its parcels are still queued"

    assert _as_cron_worker(registry, detect) >= size, "the next run takes up the killed batch"
    with registry.cursor() as cr:
        env = superuser_env(cr)
        pickings = env["stock.picking"].browse(first_ids + second_ids)
        assert set(cases_per_parcel(env, pickings).values()) == {1}, cases_per_parcel(env, pickings)
        assert len(pickings.lost_parcel_case_ids) == 2 * size
        kept = sorted(pickings[:size].lost_parcel_case_ids.ids)
        assert kept == sorted(first_cases), "the first batch's cases were kept"
        assert not any(pickings.mapped("lost_parcel_detect_requested"))
