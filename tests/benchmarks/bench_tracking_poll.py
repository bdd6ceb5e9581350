#!/usr/bin/env python3
"""Benchmark of the tracking poll: N parcels in flight over the eight providers, polled by the
scheduled action against the carrier sandbox (started in this process).

    python3 tests/benchmarks/bench_tracking_poll.py --db DB [-c odoo.conf] [--parcels 1000] [--fail-rate 0.1]

It boots the Odoo registry of DB (carrier_connectors installed) and works in one transaction
that is rolled back at the end: the cron's per-batch commits become savepoints (Odoo's
``TestCursor``), so nothing is committed. Only PostgreSQL sequences (delivery numbers) advance.
"""

import argparse
import logging
import time
from collections import Counter
from contextlib import contextmanager
from unittest.mock import patch

from bench_common import boot, rolled_back_env

SCENARIOS = ["DELIVERED", "INTRANSIT", "STALLED", "LOST", "RETURNED", "NOTFOUND", "FLAKY429", "FLAKY500"]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--db", required=True, help="a database with carrier_connectors (left unchanged)")
    parser.add_argument("-c", "--config", help="Odoo configuration file (addons path, database access)")
    parser.add_argument("--parcels", type=int, default=1000)
    parser.add_argument("--fail-rate", type=float, default=0.1, help="share of carrier calls answered 429/5xx")
    parser.add_argument("--rate-limit", type=float, default=1000.0, help="calls per second allowed per account")
    parser.add_argument("--concurrency", type=int, default=4, help="parallel requests per account")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds each carrier answer takes (network)")
    parser.add_argument("--batch-size", type=int, default=200, help="parcels claimed per cron batch")
    parser.add_argument(
        "--scenarios",
        default=",".join(SCENARIOS),
        help="sandbox scenario keywords given in turn to the parcels (default: %(default)s)",
    )
    return parser.parse_args()


@contextmanager
def counted_sleeps(env, waits):
    """Clients sleep as usual (Retry-After, backoff, rate limit) and note each wait in ``waits``."""
    Account = type(env["carrier.tracking.account"])
    get_options = Account._get_client_options

    def sleep(seconds):
        waits.append(seconds)
        time.sleep(seconds)

    with patch.object(Account, "_get_client_options", lambda account: {**get_options(account), "sleep": sleep}):
        yield


@contextmanager
def timed(model, method, totals):
    """Add the time spent in ``model.method`` to ``totals[method]``."""
    original = getattr(type(model), method)

    def wrapper(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return original(self, *args, **kwargs)
        finally:
            totals[method] += time.perf_counter() - start

    with patch.object(type(model), method, wrapper):
        yield


def ship_parcels(env, sandbox_url, args):
    """Accounts and carriers on the sandbox, and ``--parcels`` validated deliveries in flight."""
    from odoo import Command  # noqa: PLC0415

    from odoo.addons.carrier_connectors.clients import PROVIDERS, get_client_class  # noqa: PLC0415
    from odoo.addons.carrier_connectors.sandbox.core import CREDENTIALS  # noqa: PLC0415

    env = env(context=dict(env.context, tracking_disable=True, mail_create_nolog=True))
    warehouse = env["stock.warehouse"].search([("company_id", "=", env.company.id)], limit=1)
    stock, picking_type = warehouse.lot_stock_id, warehouse.out_type_id
    customer = env["res.partner"].create({"name": "Benchmark customer", "country_id": env.ref("base.nl").id})
    product = env["product.product"].create({"name": "Benchmark parcel", "is_storable": True, "weight": 1.0})
    env["stock.quant"]._update_available_quantity(product, stock, args.parcels)
    carriers = []
    for provider in PROVIDERS:
        credentials = {name: CREDENTIALS[name] for name in get_client_class(provider).credential_fields}
        account = env["carrier.tracking.account"].create(
            {
                "name": f"Benchmark {provider}",
                "provider": provider,
                "base_url": sandbox_url,
                "rate_limit": args.rate_limit,
                "concurrency": args.concurrency,
                **credentials,
            }
        )
        shipping = env["product.product"].create({"name": f"Benchmark shipping {provider}", "type": "service"})
        carriers.append(
            env["delivery.carrier"].create(
                {
                    "name": f"Benchmark {provider}",
                    "delivery_type": "fixed",
                    "product_id": shipping.id,
                    "tracking_account_id": account.id,
                }
            )
        )
    scenarios = args.scenarios.upper().split(",")
    destination = customer.property_stock_customer
    move = {
        "name": product.display_name,
        "product_id": product.id,
        "product_uom_qty": 1,
        "product_uom": product.uom_id.id,
        "location_id": stock.id,
        "location_dest_id": destination.id,
    }
    pickings = env["stock.picking"].create(
        [
            {
                "picking_type_id": picking_type.id,
                "partner_id": customer.id,
                "carrier_id": carriers[index % len(carriers)].id,
                "carrier_tracking_ref": f"BENCH{index:06d}{scenarios[index // len(carriers) % len(scenarios)]}",
                "location_id": stock.id,
                "location_dest_id": destination.id,
                "move_ids": [Command.create(move)],
            }
            for index in range(args.parcels)
        ]
    )
    pickings.action_confirm()
    pickings.action_assign()
    pickings.move_ids.picked = True
    pickings.button_validate()
    return pickings.with_env(env(context={}))


def main():
    args = parse_args()
    registry = boot(args)
    from odoo.addons.carrier_connectors.sandbox.server import SandboxServer  # noqa: PLC0415

    sandbox = SandboxServer(latency=args.latency).start()
    try:
        with rolled_back_env(registry) as env:
            started = time.perf_counter()
            pickings = ship_parcels(env, sandbox.url, args)
            setup_seconds = time.perf_counter() - started
            due = env["stock.picking"].search_count(env["stock.picking"]._tracking_due_domain())
            env["ir.config_parameter"].set_param("carrier_connectors.poll_batch_size", args.batch_size)
            env.cr.commit()  # a savepoint: the poll starts from a flushed, clean state like a real cron
            sandbox.state.reset()
            sandbox.state.fail_rate = args.fail_rate

            phases, waits = Counter(), []
            Picking = env["stock.picking"]
            queries = env.cr.sql_log_count
            started = time.perf_counter()
            with (
                counted_sleeps(env, waits),
                timed(Picking, "_fetch_tracking", phases),
                timed(Picking, "_apply_tracking_results", phases),
            ):
                polled = Picking._cron_update_tracking()
            seconds = time.perf_counter() - started
            queries = env.cr.sql_log_count - queries

            pickings.invalidate_recordset()
            env.cr.execute("SELECT count(*) FROM stock_tracking_event WHERE picking_id = ANY(%s)", [pickings.ids])
            report(
                args,
                {
                    "setup_seconds": setup_seconds,
                    "due": due,
                    "polled": polled,
                    "seconds": seconds,
                    "queries": queries,
                    "phases": phases,
                    "waits": waits,
                    "requests": sandbox.state.requests,
                    "events": env.cr.fetchone()[0],
                    "statuses": Counter(pickings.mapped("tracking_status")),
                    "errors": Counter(pickings.filtered("tracking_error").mapped("tracking_error_kind")),
                },
            )
    finally:
        sandbox.stop()


def report(args, figures):
    polled = max(figures["polled"], 1)
    calls = sum(figures["requests"].values())
    lines = [
        ("parcels shipped (setup)", f"{args.parcels} in {figures['setup_seconds']:.1f} s"),
        ("parcels due / polled", f"{figures['due']} / {figures['polled']}"),
        (
            "carrier calls failing",
            f"{args.fail_rate:.0%} (limit {args.rate_limit:g} calls/s, {args.concurrency} threads, "
            f"{args.latency * 1000:g} ms per answer)",
        ),
        ("poll time", f"{figures['seconds']:.1f} s ({figures['polled'] / figures['seconds']:.1f} parcels/s)"),
        ("  in HTTP (threads)", f"{figures['phases']['_fetch_tracking']:.1f} s"),
        ("  threads asleep (waits)", f"{sum(figures['waits']):.1f} s ({len(figures['waits'])} waits)"),
        ("  storing results", f"{figures['phases']['_apply_tracking_results']:.1f} s"),
        ("SQL queries", f"{figures['queries']} ({figures['queries'] / polled:.2f} per parcel)"),
        ("events stored", str(figures["events"])),
        ("HTTP calls", f"{calls} ({calls / polled:.2f} per parcel)"),
    ]
    lines += [(f"  {provider}", str(count)) for provider, count in sorted(figures["requests"].items())]
    lines += [
        ("statuses", ", ".join(f"{key}: {value}" for key, value in figures["statuses"].most_common())),
        ("errors by kind", ", ".join(f"{key}: {value}" for key, value in figures["errors"].most_common()) or "none"),
    ]
    for label, value in lines:
        print(f"{label:<28}{value}")


if __name__ == "__main__":
    logging.captureWarnings(True)
    main()
