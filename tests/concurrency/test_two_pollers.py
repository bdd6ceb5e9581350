"""Two pollers at once on committed data, as two Odoo servers' cron workers would run them: no
parcel is asked about twice, no event stored twice; a poller that dies in the middle of a batch
loses nothing, its parcels come back to the other one when their lease ends.

Each poller is a thread with its own database connection and transaction (what a second server
process adds beyond that is its own rate-limit buckets, see the carrier_connectors readme). These
tests commit, on purpose, on the throwaway database of ``tests/run.sh``; they switch the
database's other tracking accounts off while they run and back on afterwards.
"""

import logging
import threading
import time
from datetime import timedelta
from unittest.mock import patch

import psycopg2
import pytest

from .world import create_world, database_registry, new_tag, only_account, ship, superuser_env

PARCELS = 40
LEASE = timedelta(minutes=5)


@pytest.fixture(scope="module")
def registry():
    return database_registry()


@pytest.fixture
def sandbox():
    from odoo.addons.carrier_connectors.tests.common import sandbox_server  # noqa: PLC0415

    # Each answer takes 50 ms, as over a network, so that the two pollers overlap.
    server = sandbox_server()
    server.state.latency = 0.05
    yield server
    server.state.latency = 0.0


@pytest.fixture
def parcels(registry, sandbox):
    """PARCELS deliveries in flight on a DHL account of their own, committed; the database's other
    accounts off meanwhile."""
    tag = new_tag()
    with registry.cursor() as cr:
        env = superuser_env(cr, tracking_disable=True)
        account, carrier, _rule = create_world(env, "dhl", tag, api_key="sandbox-key")
        ids = ship(env, carrier, [f"JD{tag}{index:03d}INTRANSIT" for index in range(PARCELS)], tag).ids
    sandbox.state.reset()
    with only_account(registry, account.id):
        yield ids


def _poll(registry, errors, **kwargs):
    """One cron run in a transaction of its own: the parcels it counts as updated, or None with
    its exception added to ``errors``."""
    try:
        with registry.cursor() as cr:
            return superuser_env(cr)["stock.picking"]._cron_update_tracking(**kwargs)
    except Exception as exc:
        errors.append(exc)
        return None


def _in_threads(*targets):
    threads = [threading.Thread(target=target, name=name) for name, target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)


def _outcome(registry, ids):
    """(parcels still without an answer, events stored, distinct events)."""
    with registry.cursor() as cr:
        cr.execute("SELECT count(*) FROM stock_picking WHERE id = ANY(%s) AND tracking_status IS NULL", [ids])
        unanswered = cr.fetchone()[0]
        cr.execute(
            "SELECT count(*), count(DISTINCT (picking_id, event_key)) FROM stock_tracking_event"
            " WHERE picking_id = ANY(%s)",
            [ids],
        )
        stored, distinct = cr.fetchone()
    return unanswered, stored, distinct


def test_two_pollers_never_ask_about_the_same_parcel(registry, sandbox, parcels):
    errors = []
    _in_threads(
        ("poller-1", lambda: _poll(registry, errors, batch_size=5, time_budget=60)),
        ("poller-2", lambda: _poll(registry, errors, batch_size=5, time_budget=60)),
    )

    assert not errors, errors
    unanswered, stored, distinct = _outcome(registry, parcels)
    assert unanswered == 0
    assert stored == distinct and stored >= PARCELS * 3, (stored, distinct)
    with registry.cursor() as cr:
        numbers = set(superuser_env(cr)["stock.picking"].browse(parcels).mapped("carrier_tracking_ref"))
    asked = [count for number, count in sandbox.state.calls.items() if number in numbers]
    assert len(asked) == PARCELS and set(asked) == {1}, "each number asked once, by one of the two"


def test_a_poller_that_dies_mid_batch_loses_nothing(registry, sandbox, parcels):
    Picking = registry["stock.picking"]
    store = Picking._store_polled_batch

    dying = threading.Event()

    def store_or_die(self, results):
        # In the poller's thread or in one of its store transactions' threads.
        if dying.is_set():
            raise RuntimeError("the server was killed while storing its batch")
        return store(self, results)

    errors = []
    with patch.object(Picking, "_store_polled_batch", store_or_die):
        # The dying poller claims a batch of 10 (its lease committed), asks the carrier, and dies
        # before storing the answers; the other one polls everything it can claim meanwhile.
        dying.set()
        _in_threads(("dying", lambda: _poll(registry, errors, batch_size=10, max_batches=1, time_budget=3)))
        dying.clear()
        assert [str(exc) for exc in errors] == ["the server was killed while storing its batch"]
        _in_threads(("survivor", lambda: _poll(registry, errors, batch_size=10, time_budget=60)))
        assert len(errors) == 1
        unanswered, _stored, _distinct = _outcome(registry, parcels)
        assert unanswered == 10, "the dead poller's parcels wait for their lease to end"

        # The lease of a 3-second run is 2 x 3 + 60 seconds: let it end, as time would.
        with registry.cursor() as cr:
            cr.execute(
                "UPDATE stock_picking SET tracking_lease_until = tracking_lease_until - interval '66 seconds'"
                " WHERE id = ANY(%s) AND tracking_status IS NULL",
                [parcels],
            )
        time.sleep(0.1)
        _in_threads(("survivor", lambda: _poll(registry, errors, batch_size=10, time_budget=60)))

    assert len(errors) == 1
    unanswered, stored, distinct = _outcome(registry, parcels)
    assert unanswered == 0, "nothing lost"
    assert stored == distinct, "nothing stored twice"


@pytest.fixture
def store_workers(registry):
    """The poll's answers stored by three transactions at once (``TrackingStores``)."""
    key = "carrier_connectors.poll_store_workers"
    with registry.cursor() as cr:
        params = superuser_env(cr)["ir.config_parameter"]
        before = params.get_param(key)
        params.set_param(key, 3)
    yield 3
    with registry.cursor() as cr:
        superuser_env(cr)["ir.config_parameter"].set_param(key, before or False)


def test_answers_stored_by_several_transactions_are_each_stored_once(registry, sandbox, parcels, store_workers):
    stored_in = set()
    Picking = registry["stock.picking"]
    store = Picking._store_polled_batch

    def store_and_note(self, results):
        stored_in.add((threading.current_thread().name, id(self.env.cr)))
        return store(self, results)

    errors, done = [], []
    with patch.object(Picking, "_store_polled_batch", store_and_note):
        _in_threads(("poller", lambda: done.append(_poll(registry, errors, batch_size=5, time_budget=60))))

    assert not errors, errors
    assert done == [PARCELS], "the run counts every parcel its store transactions stored"
    unanswered, stored, distinct = _outcome(registry, parcels)
    assert unanswered == 0
    assert stored == distinct and stored >= PARCELS * 3, (stored, distinct)
    threads = {name for name, _cr in stored_in}
    assert threads and all(name.startswith("tracking-store") for name in threads), threads
    assert len(stored_in) > 1, "each set of answers in a transaction of its own"
    with registry.cursor() as cr:
        pickings = superuser_env(cr)["stock.picking"].browse(parcels)
        assert all(p.tracking_next_check and p.tracking_last_check for p in pickings)


def test_a_store_refused_by_postgresql_is_tried_again_in_a_new_transaction(registry, sandbox, parcels, store_workers):
    Picking = registry["stock.picking"]
    store = Picking._store_polled_batch
    refused = []

    def refuse_once(self, results):
        outcome = store(self, results)  # stored, then refused at the end, as a conflict would be
        if not refused:
            refused.append(sorted(results))
            raise psycopg2.errors.SerializationFailure("could not serialize access due to concurrent update")
        return outcome

    errors, done = [], []
    with patch.object(Picking, "_store_polled_batch", refuse_once):
        _in_threads(("poller", lambda: done.append(_poll(registry, errors, batch_size=5, time_budget=60))))

    assert not errors, errors
    assert refused and done == [PARCELS]
    unanswered, stored, distinct = _outcome(registry, parcels)
    assert unanswered == 0, "the refused set was stored by its second transaction"
    assert stored == distinct, "its first transaction's events were rolled back, none stored twice"


def test_a_claim_that_another_pollers_lease_overtakes_takes_what_is_left_at_once(registry, parcels, caplog):
    # The late poller's claim has begun (its first statement ran) when the other leases half of
    # the parcels and commits; then the late one locks its rows. At Odoo's repeatable read,
    # PostgreSQL refused that (a serialization failure, logged as a bad query, claimed again);
    # the claim's read committed transaction checks those rows again and skips them.
    Picking = registry["stock.picking"]
    claim_parcels = Picking._claim_account_parcels
    began, leased = threading.Event(), threading.Event()
    claimed, statements = {}, []

    def overtaken_claim(self, *args, **kwargs):
        if threading.current_thread().name == "late":
            statements.append(1)
            if not began.is_set():
                began.set()
                assert leased.wait(timeout=60)
        return claim_parcels(self, *args, **kwargs)

    def late(env):
        return env["stock.picking"]._claim_tracking_batch(PARCELS, {}, time.monotonic() + 60, LEASE, 60).ids

    def early(env):
        assert began.wait(timeout=60)
        ids = env["stock.picking"]._claim_tracking_batch(PARCELS // 2, {}, time.monotonic() + 60, LEASE, 60).ids
        env.cr.commit()  # the lease (the claim commits it itself: no-op then)
        leased.set()
        return ids

    def run(name, job):
        with registry.cursor() as cr:
            claimed[name] = job(superuser_env(cr))

    with (
        patch.object(Picking, "_claim_account_parcels", overtaken_claim),
        caplog.at_level(logging.INFO, logger="odoo"),
    ):
        _in_threads(("late", lambda: run("late", late)), ("early", lambda: run("early", early)))

    assert len(claimed["early"]) == PARCELS // 2
    assert sorted(claimed["late"] + claimed["early"]) == sorted(parcels), "each parcel claimed once, by one of them"
    assert len(statements) == 1, "claimed at the first try"
    assert not [r for r in caplog.records if "bad query" in r.getMessage() or "claiming again" in r.getMessage()]
