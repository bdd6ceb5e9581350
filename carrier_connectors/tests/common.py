"""Shared test base: a running carrier sandbox, a tracking account and carrier on it, and
parcels shipped through Odoo's own flow (sale order → delivery → validate)."""

from contextlib import contextmanager
from datetime import datetime, timedelta
from unittest.mock import patch

from odoo import Command, fields
from odoo.tests import TransactionCase

from ..sandbox import scenarios
from ..sandbox.server import SandboxServer

_SANDBOX = None


def sandbox_server():
    """One sandbox per test process, started on a free port on 127.0.0.1."""
    global _SANDBOX
    if _SANDBOX is None:
        _SANDBOX = SandboxServer(timeout_delay=1.5).start()
    return _SANDBOX


@contextmanager
def frozen_sandbox_clock():
    """Sandbox timelines are relative to now: polled again a second later, a parcel would report
    every event a second later, as new events. A real carrier's events keep their time."""
    frozen = datetime.utcnow().replace(microsecond=0)

    class FrozenDatetime(datetime):
        @classmethod
        def utcnow(cls):
            return frozen

    with patch.object(scenarios, "datetime", FrozenDatetime):
        yield frozen


def ship_in_batch(env, refs, carrier, partner, product, source):
    """One validated delivery per tracking reference from ``source`` to ``partner``, through the
    stock flow but in batch (one create, confirm, reserve and validate for all): thousands of
    parcels in flight without a sale order each. The stock is added first. No chatter for the
    creation and the stock steps: the parcels' tracking is what the callers look at."""
    picking_type = source.warehouse_id.out_type_id
    destination = partner.property_stock_customer
    env["stock.quant"]._update_available_quantity(product, source, len(refs))
    quiet = env(context=dict(env.context, tracking_disable=True, mail_create_nolog=True))
    move = {
        "name": product.display_name,
        "product_id": product.id,
        "product_uom_qty": 1,
        "product_uom": product.uom_id.id,
        "location_id": source.id,
        "location_dest_id": destination.id,
    }
    pickings = quiet["stock.picking"].create(
        [
            {
                "picking_type_id": picking_type.id,
                "partner_id": partner.id,
                "carrier_id": carrier.id,
                "carrier_tracking_ref": ref,
                "location_id": source.id,
                "location_dest_id": destination.id,
                "move_ids": [Command.create(move)],
            }
            for ref in refs
        ]
    )
    pickings.action_confirm()
    pickings.action_assign()
    pickings.move_ids.picked = True
    pickings.button_validate()
    return pickings.with_env(env)


class TrackingCommon(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sandbox = sandbox_server()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=False))
        cls.company = cls.env.company
        cls.company.country_id = cls.env.ref("base.us")
        cls.stock_location = (
            cls.env["stock.warehouse"].search([("company_id", "=", cls.company.id)], limit=1).lot_stock_id
        )
        # The demo's shipping methods (eight providers) are not this test's world: a reship
        # carrier chosen among them would be polled at the real APIs.
        cls.env["delivery.carrier"].search([("tracking_account_id", "!=", False)]).active = False
        cls.account = cls._create_account("dhl", "DHL test", api_key="sandbox-key")
        cls.carrier = cls._create_carrier("DHL Express (test)", cls.account)
        cls.product = cls.env["product.product"].create(
            {
                "name": "Ceramic Teapot",
                "is_storable": True,
                "list_price": 40.0,
                "standard_price": 12.0,
                "weight": 1.2,
            }
        )
        cls.product_b = cls.env["product.product"].create(
            {
                "name": "Tea Cups (set of 4)",
                "is_storable": True,
                "list_price": 25.0,
                "standard_price": 7.5,
                "weight": 0.8,
            }
        )
        for product in (cls.product, cls.product_b):
            cls.env["stock.quant"]._update_available_quantity(product, cls.stock_location, 100)
        cls.customer_nl = cls.env["res.partner"].create(
            {
                "name": "Anna de Vries",
                "email": "anna@example.nl",
                "country_id": cls.env.ref("base.nl").id,
                "city": "Amsterdam",
                "street": "Oderweg 2",
                "zip": "1043 AG",
            }
        )
        cls.customer_us = cls.env["res.partner"].create(
            {
                "name": "Brandon Freeman",
                "email": "brandon@example.com",
                "country_id": cls.env.ref("base.us").id,
                "city": "Austin",
                "street": "1 Main St",
                "zip": "73301",
            }
        )

    def setUp(self):
        super().setUp()
        self.sandbox.state.reset()
        self.sandbox.state.fail_rate = 0.0

    @contextmanager
    def _recorded_client_sleeps(self):
        """Clients note the waits they ask for (Retry-After, backoff, rate limit) instead of sleeping."""
        waits = []
        Account = type(self.env["carrier.tracking.account"])
        get_options = Account._get_client_options

        def options_without_sleep(account):
            return {**get_options(account), "sleep": waits.append}

        with patch.object(Account, "_get_client_options", options_without_sleep):
            yield waits

    @classmethod
    def _create_account(cls, provider, name, **credentials):
        return cls.env["carrier.tracking.account"].create(
            {
                "name": name,
                "provider": provider,
                "base_url": sandbox_server().url,
                "rate_limit": 500,
                **credentials,
            }
        )

    @classmethod
    def _create_carrier(cls, name, account):
        product = cls.env["product.product"].create({"name": f"Shipping {name}", "type": "service"})
        return cls.env["delivery.carrier"].create(
            {
                "name": name,
                "delivery_type": "fixed",
                "fixed_price": 10.0,
                "product_id": product.id,
                "tracking_account_id": account.id,
            }
        )

    @classmethod
    def _ship_pickings_in_batch(cls, refs, carrier, partner=None, product=None):
        """One validated delivery per tracking reference (``ship_in_batch``), from this world's stock."""
        pickings = ship_in_batch(
            cls.env, refs, carrier, partner or cls.customer_nl, product or cls.product, cls.stock_location
        )
        return pickings.with_env(cls.env)

    @classmethod
    def _validate(cls, picking, tracking_ref=None):
        """Pick everything and validate, the delivery leaving with ``tracking_ref``."""
        if tracking_ref:
            picking.carrier_tracking_ref = tracking_ref
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
        picking.move_ids.picked = True
        picking.button_validate()
        return picking

    @classmethod
    def _ship_order(cls, tracking_ref, partner=None, carrier=None, lines=None, shipped_days_ago=0):
        """Sell, confirm, pick and validate: the delivery leaves with ``tracking_ref``."""
        partner = partner or cls.customer_nl
        lines = lines or [(cls.product, 1)]
        order = cls.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "carrier_id": (carrier or cls.carrier).id,
                "order_line": [Command.create({"product_id": p.id, "product_uom_qty": q}) for p, q in lines],
            }
        )
        order.action_confirm()
        picking = cls._validate(order.picking_ids.filtered(lambda p: p.picking_type_code == "outgoing"), tracking_ref)
        if shipped_days_ago:
            # The parcel left that many days ago: move the clock of this delivery back.
            picking.date_done = fields.Datetime.now() - timedelta(days=shipped_days_ago)
        return order, picking
