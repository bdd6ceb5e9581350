"""Two pollers at once on committed data, as two Odoo servers' cron workers would run them: no
parcel is asked about twice, no event stored twice; a poller that dies in the middle of a batch
loses nothing, its parcels come back to the other one when their lease ends.

Each poller is a thread with its own database connection and transaction (what a second server
process adds beyond that is its own rate-limit buckets, see the carrier_connectors readme). These
tests commit, on purpose, on the throwaway database of ``tests/run.sh``; they switch the
database's other tracking accounts off while they run and back on afterwards.
"""

import threading
import time
import uuid
from unittest.mock import patch

import pytest

import odoo
from odoo import SUPERUSER_ID, Command, api
from odoo.modules.registry import Registry

PARCELS = 40


@pytest.fixture(scope="module")
def registry():
    name = odoo.tools.config["db_name"]
    if not name:
        pytest.fail("run through tests/run.sh (pytest-odoo with --odoo-database): these tests need a database")
    return Registry(name if isinstance(name, str) else name[0])


@pytest.fixture
def sandbox():
    from odoo.addons.carrier_connectors.sandbox.server import SandboxServer  # noqa: PLC0415

    # Each answer takes 50 ms, as over a network, so that the two pollers overlap.
    server = SandboxServer(latency=0.05).start()
    yield server
    server.stop()


@pytest.fixture
def parcels(registry, sandbox):
    """PARCELS deliveries in flight on a DHL account of their own, committed; the database's other
    accounts off meanwhile."""
    tag = uuid.uuid4().hex[:6].upper()
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
        others = env["carrier.tracking.account"].search([])
        others.active = False
        account = env["carrier.tracking.account"].create(
            {
                "name": f"DHL {tag}",
                "provider": "dhl",
                "base_url": sandbox.url,
                "api_key": "sandbox-key",
                "rate_limit": 500,
            }
        )
        carrier = env["delivery.carrier"].create(
            {
                "name": f"DHL {tag}",
                "product_id": env["product.product"].create({"name": f"Ship {tag}", "type": "service"}).id,
                "tracking_account_id": account.id,
            }
        )
        product = env["product.product"].create({"name": f"Teapot {tag}", "is_storable": True})
        warehouse = env["stock.warehouse"].search([("company_id", "=", env.company.id)], limit=1)
        env["stock.quant"]._update_available_quantity(product, warehouse.lot_stock_id, PARCELS)
        partner = env["res.partner"].create({"name": f"Customer {tag}", "country_id": env.ref("base.nl").id})
        move = {
            "name": product.name,
            "product_id": product.id,
            "product_uom_qty": 1,
            "product_uom": product.uom_id.id,
            "location_id": warehouse.lot_stock_id.id,
            "location_dest_id": partner.property_stock_customer.id,
        }
        pickings = env["stock.picking"].create(
            [
                {
                    "picking_type_id": warehouse.out_type_id.id,
                    "partner_id": partner.id,
                    "carrier_id": carrier.id,
                    "carrier_tracking_ref": f"JD{tag}{index:03d}INTRANSIT",
                    "location_id": warehouse.lot_stock_id.id,
                    "location_dest_id": partner.property_stock_customer.id,
                    "move_ids": [Command.create(move)],
                }
                for index in range(PARCELS)
            ]
        )
        pickings.action_confirm()
        pickings.action_assign()
        pickings.move_ids.picked = True
        pickings.button_validate()
        ids, other_ids = pickings.ids, others.ids
    sandbox.state.reset()
    yield ids
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        env["carrier.tracking.account"].browse(other_ids).active = True
        env["carrier.tracking.account"].search([("name", "=", f"DHL {tag}")]).active = False


def _poll(registry, errors, **kwargs):
    try:
        with registry.cursor() as cr:
            api.Environment(cr, SUPERUSER_ID, {})["stock.picking"]._cron_update_tracking(**kwargs)
    except Exception as exc:
        errors.append(exc)


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
    asked = [count for number, count in sandbox.state.calls.items() if "INTRANSIT" in number]
    assert len(asked) == PARCELS and set(asked) == {1}, "each number asked once, by one of the two"


def test_a_poller_that_dies_mid_batch_loses_nothing(registry, sandbox, parcels):
    Picking = registry["stock.picking"]
    store = Picking._store_polled_batch

    def store_or_die(self, results):
        if threading.current_thread().name == "dying":
            raise RuntimeError("the server was killed while storing its batch")
        return store(self, results)

    errors = []
    with patch.object(Picking, "_store_polled_batch", store_or_die):
        # The dying poller claims a batch of 10 (its lease committed), asks the carrier, and dies
        # before storing the answers; the other one polls everything it can claim meanwhile.
        _in_threads(("dying", lambda: _poll(registry, errors, batch_size=10, max_batches=1, time_budget=3)))
        assert [str(exc) for exc in errors] == ["the server was killed while storing its batch"]
        _in_threads(("survivor", lambda: _poll(registry, errors, batch_size=10, time_budget=60)))
        assert len(errors) == 1
        unanswered, _stored, _distinct = _outcome(registry, parcels)
        assert unanswered == 10, "the dead poller's parcels wait for their lease to end"

        # The lease of a 3-second run is 2 x 3 + 60 seconds: let it end, as time would.
        with registry.cursor() as cr:
            cr.execute(
                "UPDATE stock_picking SET tracking_next_check = tracking_next_check - interval '66 seconds'"
                " WHERE id = ANY(%s) AND tracking_status IS NULL",
                [parcels],
            )
        time.sleep(0.1)
        _in_threads(("survivor", lambda: _poll(registry, errors, batch_size=10, time_budget=60)))

    assert len(errors) == 1
    unanswered, stored, distinct = _outcome(registry, parcels)
    assert unanswered == 0, "nothing lost"
    assert stored == distinct, "nothing stored twice"
