"""Two users click Reship (or Refund) on one case at the same moment, from two database
connections, on committed data: one reship delivery, one credit note.

These tests commit, on purpose: a test transaction cannot show what two connections do. They
run on the throwaway database of ``tests/run.sh`` (dropped afterwards), after the addons' tests,
and need pytest-odoo (``--odoo-database``); each case they create is their own.
"""

import threading
import uuid

import psycopg2
import pytest

import odoo
from odoo import SUPERUSER_ID, Command, api, fields
from odoo.exceptions import UserError
from odoo.modules.registry import Registry


@pytest.fixture(scope="module")
def registry():
    name = odoo.tools.config["db_name"]
    if not name:
        pytest.fail("run through tests/run.sh (pytest-odoo with --odoo-database): these tests need a database")
    return Registry(name if isinstance(name, str) else name[0])


def _confirmed_case(registry, invoiced=False):
    """Sell, ship with a tracking number, (invoice,) and open a confirmed lost-parcel case: committed."""
    tag = uuid.uuid4().hex[:8].upper()
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
        product = env["product.product"].create(
            {"name": f"Teapot {tag}", "is_storable": True, "list_price": 40.0, "invoice_policy": "order"}
        )
        warehouse = env["stock.warehouse"].search([("company_id", "=", env.company.id)], limit=1)
        env["stock.quant"]._update_available_quantity(product, warehouse.lot_stock_id, 10)
        carrier = env["delivery.carrier"].create(
            {"name": f"Carrier {tag}", "product_id": env["product.product"].create({"name": f"Ship {tag}"}).id}
        )
        partner = env["res.partner"].create(
            {"name": f"Customer {tag}", "email": "c@example.com", "country_id": env.ref("base.nl").id}
        )
        order = env["sale.order"].create(
            {
                "partner_id": partner.id,
                "carrier_id": carrier.id,
                "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 1})],
            }
        )
        order.action_confirm()
        if invoiced:
            order._create_invoices().action_post()
        picking = order.picking_ids
        picking.carrier_tracking_ref = f"JD0STALLED{tag}"
        picking.move_ids.quantity = 1
        picking.move_ids.picked = True
        picking.button_validate()
        case = env["lost.parcel.case"].create({"picking_id": picking.id, "state": "to_review"})
        case._confirm_lost(fields.Date.today(), f"DHL-{tag}", env["ir.attachment"])
        assert case.state == "confirmed"
        return case.id


def _at_once(registry, case_id, action):
    """Run ``action(case)`` in two threads, each with its own connection, released together."""
    barrier = threading.Barrier(2)
    outcomes = []

    def click():
        try:
            with registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                case = env["lost.parcel.case"].browse(case_id)
                case.state  # noqa: B018 - take the snapshot before the race, as a request would
                barrier.wait()
                action(case)
            outcomes.append("done")
        except (UserError, psycopg2.Error) as exc:  # refused: locked, or changed by the other click
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def _read(registry, case_id, fn):
    with registry.cursor() as cr:
        return fn(api.Environment(cr, SUPERUSER_ID, {})["lost.parcel.case"].browse(case_id))


def test_reship_clicked_twice_at_once_makes_one_delivery(registry):
    case_id = _confirmed_case(registry)
    outcomes = _at_once(registry, case_id, lambda case: case.action_reship())
    assert "done" in outcomes, outcomes
    reships = _read(registry, case_id, lambda case: (case.state, len(case.reship_picking_ids)))
    assert reships == ("reshipped", 1), (reships, outcomes)


def test_refund_clicked_twice_at_once_makes_one_credit_note(registry):
    case_id = _confirmed_case(registry, invoiced=True)
    outcomes = _at_once(registry, case_id, lambda case: case._refund("The customer asked for the money"))
    assert "done" in outcomes, outcomes
    refunds = _read(
        registry,
        case_id,
        lambda case: (case.state, len(case.sale_id.invoice_ids.filtered(lambda m: m.move_type == "out_refund"))),
    )
    assert refunds == ("refunded", 1), (refunds, outcomes)
