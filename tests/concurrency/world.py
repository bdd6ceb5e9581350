"""Committed test data for the concurrency tests: a tracking account on the carrier sandbox, a
shipping method on it, a detection rule for that method only, and parcels shipped through the
stock flow. Every name carries a fresh tag, so runs and tests never share their records."""

import uuid
from contextlib import contextmanager
from datetime import timedelta

import pytest

import odoo
from odoo import SUPERUSER_ID, Command, api, fields
from odoo.modules.registry import Registry

from odoo.addons.carrier_connectors.tests.common import sandbox_server, ship_in_batch


def database_registry():
    name = odoo.tools.config["db_name"]
    if not name:
        pytest.fail("run through tests/run.sh (pytest-odoo with --odoo-database): these tests need a database")
    return Registry(name if isinstance(name, str) else name[0])


def new_tag():
    return uuid.uuid4().hex[:8].upper()


def superuser_env(cr, **context):
    return api.Environment(cr, SUPERUSER_ID, context)


@contextmanager
def only_account(registry, account_id):
    """Only this tracking account polls meanwhile: the database's others (the demo's, other tests'
    committed ones) are switched off, and back on afterwards."""
    with registry.cursor() as cr:
        others = superuser_env(cr)["carrier.tracking.account"].search([("id", "!=", account_id)])
        others.active = False
        other_ids = others.ids
    try:
        yield
    finally:
        with registry.cursor() as cr:
            superuser_env(cr)["carrier.tracking.account"].browse(other_ids).active = True


def create_world(env, provider, tag, **account_vals):
    """(account, carrier, rule) of the main company; the rule watches this carrier only."""
    sandbox = sandbox_server()
    account = env["carrier.tracking.account"].create(
        {"name": f"{provider} {tag}", "provider": provider, "base_url": sandbox.url, "rate_limit": 500, **account_vals}
    )
    carrier = env["delivery.carrier"].create(
        {
            "name": f"Carrier {tag}",
            "delivery_type": "fixed",
            "fixed_price": 10.0,
            "product_id": env["product.product"].create({"name": f"Ship {tag}", "type": "service"}).id,
            "tracking_account_id": account.id,
        }
    )
    rule = env["lost.parcel.rule"].create(
        {"name": f"Rule {tag}", "company_id": env.company.id, "carrier_ids": [Command.set(carrier.ids)]}
    )
    return account, carrier, rule


def ship(env, carrier, refs, tag, shipped_days_ago=10):
    """One validated delivery to the Netherlands per tracking reference, shipped that long ago."""
    product = env["product.product"].create({"name": f"Teapot {tag}", "is_storable": True, "list_price": 40.0})
    warehouse = env["stock.warehouse"].search([("company_id", "=", env.company.id)], limit=1)
    partner = env["res.partner"].create(
        {"name": f"Customer {tag}", "email": "c@example.com", "country_id": env.ref("base.nl").id}
    )
    pickings = ship_in_batch(env, refs, carrier, partner, product, warehouse.lot_stock_id)
    pickings.date_done = fields.Datetime.now() - timedelta(days=shipped_days_ago)
    return pickings


def cases_per_parcel(env, pickings):
    """{picking id: number of cases that are not false alarms}."""
    groups = env["lost.parcel.case"]._read_group(
        [("picking_id", "in", pickings.ids), ("state", "!=", "false_alarm")], ["picking_id"], ["__count"]
    )
    counts = dict.fromkeys(pickings.ids, 0)
    counts.update({picking.id: count for picking, count in groups})
    return counts


def duplicate_events(env, pickings):
    """Events stored twice for one parcel (same carrier event), as [(picking id, key, count)]."""
    env.cr.execute(
        """SELECT picking_id, event_key, COUNT(*) FROM stock_tracking_event
            WHERE picking_id IN %s GROUP BY picking_id, event_key HAVING COUNT(*) > 1""",
        [tuple(pickings.ids)],
    )
    return env.cr.fetchall()
