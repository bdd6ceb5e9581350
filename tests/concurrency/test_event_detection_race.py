"""Two AfterShip pushes saying "lost" for one parcel arrive at the same moment, then the detection
they trigger races the scheduled full run: the parcel ends with one set of events and one case.

Committed data on purpose, each thread with its own database connection (see
``test_two_connections.py``); every record is tagged for this run. The pushes go through what the
webhook controller runs after reading the request (signature check, parsing,
``carrier.tracking.account._apply_webhook_results``, which stores with ``keep_newer``), inside
``odoo.service.model.retrying`` as Odoo runs every HTTP request: a serialization failure rolls
back and retries the request.
"""

import threading
from functools import partial
from unittest.mock import patch

import psycopg2
import pytest

from odoo.service.model import retrying

from odoo.addons.carrier_connectors.clients import get_webhook_handlers
from odoo.addons.carrier_connectors.sandbox.providers import aftership as aftership_sandbox
from odoo.addons.carrier_connectors.tests.common import sandbox_server

from .world import cases_per_parcel, create_world, database_registry, duplicate_events, new_tag, ship, superuser_env


@pytest.fixture(scope="module")
def registry():
    return database_registry()


def _in_threads(registry, *jobs):
    """Run each ``job(env)`` in its own thread and connection, released together; committed when
    it returns. -> the outcome of each: its return value, or the name of the exception it raised."""
    start = threading.Barrier(len(jobs))
    outcomes = [None] * len(jobs)

    def run(index, job):
        if isinstance(job, tuple):
            threading.current_thread().name, job = job
        try:
            with registry.cursor() as cr:
                env = superuser_env(cr)
                start.wait(timeout=60)
                outcomes[index] = job(env)
        except (psycopg2.Error, threading.BrokenBarrierError) as exc:
            outcomes[index] = type(exc).__name__

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "a thread is still waiting"
    return outcomes


def test_two_lost_pushes_at_once_then_both_detections_racing_open_one_case(registry):
    tag = new_tag()
    secret = f"whsec-{tag}"
    number = f"CN0LOST{tag}"
    with registry.cursor() as cr:
        env = superuser_env(cr)
        account, carrier, _rule = create_world(env, "aftership", tag, api_key="sandbox-key", webhook_secret=secret)
        picking = ship(env, carrier, [number], tag)
        account_id, picking_id = account.id, picking.id
    state = sandbox_server().state
    pushes = [aftership_sandbox.signed_webhook(state, number, secret) for _push in range(2)]
    assert pushes[0][0] != pushes[1][0], "two pushes (their own event id and time), the same news"

    # 1. Both pushes at once, each as its own request (what the controller does once the body is read).
    def receive(body, headers, env):
        def process():
            account = env["carrier.tracking.account"].browse(account_id)
            verify, parse = get_webhook_handlers(account.provider)
            assert verify(body, headers, account.webhook_secret), "signed with the account's secret"
            return len(account._apply_webhook_results(parse(body)))

        return retrying(process, env)

    updated = _in_threads(registry, *(partial(receive, body, headers) for body, headers in pushes))
    assert updated == [1, 1], f"each push finds its parcel: {updated}"
    with registry.cursor() as cr:
        env = superuser_env(cr)
        picking = env["stock.picking"].browse(picking_id)
        assert (picking.tracking_status, picking.tracking_exception_kind) == ("exception", "lost")
        assert picking.tracking_event_ids and not duplicate_events(env, picking)
        assert not picking.tracking_error
        notes = picking.message_ids.filtered(lambda m: "Tracking:" in str(m.body))
        assert len(notes) == 1, f"the status change is told once, not once per push: {notes.mapped('body')}"
        assert picking.lost_parcel_detect_requested, "queued for the event-driven detection"
        assert not picking.lost_parcel_case_ids, "no detection inside the webhook's request"

    # 2. The detection the pushes triggered and the scheduled full run, at once. Both flag the
    # parcel; each waits for the other to be about to open its cases, then both insert together:
    # the worst interleaving, not left to chance. The event-driven run claimed the parcel first
    # (its row lock), so the full run's case waits for it and then finds the parcel changed.
    Case = registry["lost.parcel.case"]  # the model class every cursor's environment uses
    create_from_detection = Case._create_from_detection
    both_ready = threading.Barrier(2, timeout=60)
    met = []

    def meet_then_create(self, found, now):
        if picking_id in found:
            try:
                both_ready.wait()
                met.append(threading.current_thread().name)
            except threading.BrokenBarrierError:
                pass  # the other path did not flag the parcel: reported below
        return create_from_detection(self, found, now)

    with patch.object(Case, "_create_from_detection", meet_then_create):
        outcomes = _in_threads(
            registry,
            ("event", lambda env: len(env["lost.parcel.case"]._cron_detect_changed_parcels())),
            ("full", lambda env: len(env["lost.parcel.case"]._cron_detect_lost_parcels())),
        )
    assert sorted(met) == ["event", "full"], f"both paths flagged the parcel: {outcomes}"
    with registry.cursor() as cr:
        env = superuser_env(cr)
        picking = env["stock.picking"].browse(picking_id)
        if cases_per_parcel(env, picking) == {picking_id: 0}:
            # The rare interleaving where both runs, retrying parcel by parcel, deadlock on it
            # again and both skip it (``_create_one_per_parcel``): never two cases, and the
            # next scheduled run opens the one.
            assert outcomes == [0, 0], outcomes
            env["lost.parcel.case"]._cron_detect_lost_parcels()
            env.invalidate_all()
        assert cases_per_parcel(env, picking) == {picking_id: 1}, outcomes
        assert len(picking.lost_parcel_case_ids) == 1, outcomes
        assert "exception" in picking.lost_parcel_case_ids.reason_ids.mapped("signal")
        assert not picking.lost_parcel_detect_requested, "checked by the event-driven run"
    # The run that came second skipped the taken parcel and finished, its other cases kept.
    assert all(isinstance(outcome, int) for outcome in outcomes), outcomes
