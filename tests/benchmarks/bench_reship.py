#!/usr/bin/env python3
"""Benchmark of the batch reship: N confirmed lost parcels reshipped by the "Reship" server action.

    python3 tests/benchmarks/bench_reship.py --db DB [-c odoo.conf] [--cases 500] [--objective cheapest]

It boots the Odoo registry of DB (lost_parcel_reship installed) and works in one transaction
rolled back at the end: nothing is committed, only PostgreSQL sequences advance. The setup sells
and ships N two-line orders through Odoo's sale and stock flow (in batch) and opens a confirmed
case for each; the measured part is ``action_reship_batch()`` on all of them, as the list's
server action calls it: carrier choice by a rule, one procurement run, reservation, chatter,
shortage handling.
"""

import argparse
import logging
import time
from collections import Counter

from bench_common import boot, rolled_back_env


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--db", required=True, help="a database with lost_parcel_reship (left unchanged)")
    parser.add_argument("-c", "--config", help="Odoo configuration file (addons path, database access)")
    parser.add_argument("--cases", type=int, default=500)
    parser.add_argument(
        "--objective",
        default="cheapest",
        choices=["cheapest", "fastest", "reliable", "fixed", "none"],
        help="objective of the one carrier rule ('none': no rule, the fallback choice)",
    )
    parser.add_argument(
        "--short-share",
        type=float,
        default=0.05,
        help="share of cases whose second product is out of stock (shortage: activity, replenishment)",
    )
    parser.add_argument("--failing-share", type=float, default=0.01, help="share of cases dismissed (must fail)")
    parser.add_argument(
        "--per-case",
        action="store_true",
        help="for comparison: reship case by case, each in its own savepoint, instead of in one batch",
    )
    return parser.parse_args()


def setup_cases(env, args):
    """Carriers, a carrier rule, N shipped orders and N confirmed cases."""
    from odoo import Command  # noqa: PLC0415

    quiet = env(context=dict(env.context, tracking_disable=True, mail_create_nolog=True, mail_notrack=True))
    company = quiet.company
    warehouse = quiet["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
    stock = warehouse.lot_stock_id
    carriers = quiet["delivery.carrier"]
    # DHL loses the parcels; the others are tracked through aggregators, so they are not DHL.
    offers = [("DHL", "dhl", 10.0, 4), ("PostNL", "seventeen_track", 6.0, 3), ("UPS", "aftership", 12.0, 1)]
    for index, (name, provider, price, days) in enumerate(offers):
        account = quiet["carrier.tracking.account"].create({"name": f"Benchmark {name}", "provider": provider})
        shipping = quiet["product.product"].create({"name": f"Benchmark shipping {name}", "type": "service"})
        carriers |= quiet["delivery.carrier"].create(
            {
                "name": f"Benchmark {name}",
                "delivery_type": "fixed",
                "fixed_price": price,
                "transit_days": days,
                "sequence": index,
                "product_id": shipping.id,
                "tracking_account_id": account.id,
            }
        )
    if args.objective != "none":
        quiet["lost.parcel.carrier.rule"].create(
            {
                "name": "Benchmark rule",
                "objective": args.objective,
                "fixed_carrier_id": carriers[2].id,
                "country_ids": [Command.set(quiet.ref("base.nl").ids)],
            }
        )
    customers = quiet["res.partner"].create(
        [
            {"name": f"Benchmark customer {i}", "country_id": quiet.ref("base.nl").id, "zip": "1043 AG"}
            for i in range(20)
        ]
    )
    vendor = quiet["res.partner"].create({"name": "Benchmark vendor"})
    sellers = (
        [Command.create({"partner_id": vendor.id, "price": 5.0})] if "seller_ids" in quiet["product.product"] else []
    )
    teapot, cups = quiet["product.product"].create(
        [
            {"name": "Benchmark teapot", "is_storable": True, "list_price": 40, "standard_price": 12, "weight": 1.2},
            {
                "name": "Benchmark cups",
                "is_storable": True,
                "list_price": 25,
                "standard_price": 7.5,
                "weight": 0.8,
                "seller_ids": sellers,
            },
        ]
    )
    short = int(args.cases * args.short_share)
    # Enough for the orders and the reships, except ``short`` cups missing for the reships.
    quiet["stock.quant"]._update_available_quantity(teapot, stock, 4 * args.cases)
    quiet["stock.quant"]._update_available_quantity(cups, stock, 2 * args.cases - short)
    orders = quiet["sale.order"].create(
        [
            {
                "partner_id": customers[i % len(customers)].id,
                "carrier_id": carriers[0].id,
                "order_line": [
                    Command.create({"product_id": teapot.id, "product_uom_qty": 2}),
                    Command.create({"product_id": cups.id, "product_uom_qty": 1}),
                ],
            }
            for i in range(args.cases)
        ]
    )
    orders.action_confirm()
    pickings = orders.picking_ids
    for index, picking in enumerate(pickings):
        picking.carrier_tracking_ref = f"BENCH{index:06d}STALLED"
    pickings.move_ids.picked = True
    pickings.with_context(skip_backorder=True, skip_sms=True)._action_done()
    cases = quiet["lost.parcel.case"].create(
        [{"picking_id": picking.id, "company_id": company.id, "state": "confirmed"} for picking in pickings]
    )
    quiet.cr.execute(
        "UPDATE lost_parcel_case SET name = 'BENCH/' || LPAD(id::text, 6, '0') WHERE id = ANY(%s)", [cases.ids]
    )
    cases.invalidate_recordset(["name"])
    failing = cases[: int(args.cases * args.failing_share)]
    failing.state = "dismissed"
    return cases.with_env(env)


def main():
    args = parse_args()
    registry = boot(args)
    with rolled_back_env(registry) as env:
        started = time.perf_counter()
        cases = setup_cases(env, args)
        setup_seconds = time.perf_counter() - started
        env.cr.commit()  # a savepoint: the reship starts from a flushed state
        env.invalidate_all()

        queries = env.cr.sql_log_count
        started = time.perf_counter()
        if args.per_case:
            result = per_case(cases)
        else:
            result = cases.action_reship_batch()
        env.flush_all()
        seconds = time.perf_counter() - started
        queries = env.cr.sql_log_count - queries

        report(
            args,
            {
                "setup_seconds": setup_seconds,
                "seconds": seconds,
                "queries": queries,
                "states": Counter(cases.mapped("state")),
                "waiting": len(cases.filtered("reship_shortage")),
                "carriers": Counter(picking.carrier_id.name for picking in cases.reship_picking_id),
                "pickings": len(cases.reship_picking_ids),
                "replenishment": replenishment(env),
                "message": result["params"]["message"],
            },
        )


def per_case(cases):
    """The batch as a loop of single reships (what a naive server action would do)."""
    errors = {}
    for case in cases:
        try:
            with cases.env.cr.savepoint():
                errors.update(cases.env["lost.parcel.reship"]._reship_many(case))
        except Exception as exc:  # a comparison run reports every failure, it does not stop
            errors[case] = str(exc)
    return cases._reship_notification(errors)


def replenishment(env):
    """What the shortage suggested for the out-of-stock cups."""
    cups = env["product.product"].search([("name", "=", "Benchmark cups")], order="id desc", limit=1)
    orderpoints = env["stock.warehouse.orderpoint"].search([("product_id", "=", cups.id)])
    text = f"{len(orderpoints)} orderpoint(s)"
    if "purchase.order.line" in env:
        lines = env["purchase.order.line"].search([("product_id", "=", cups.id)])
        text += f", {len(lines.order_id)} RFQ(s) for {sum(lines.mapped('product_qty')):g} cups"
    return text


def report(args, figures):
    reshipped = figures["states"].get("reshipped", 0)
    lines = [
        ("cases (setup)", f"{args.cases} shipped and confirmed in {figures['setup_seconds']:.1f} s"),
        ("carrier rule objective", args.objective + (" (case by case)" if args.per_case else "")),
        (
            "batch reship time",
            f"{figures['seconds']:.2f} s ({args.cases / figures['seconds']:.1f} cases/s, "
            f"{1000 * figures['seconds'] / args.cases:.1f} ms per case)",
        ),
        ("SQL queries", f"{figures['queries']} ({figures['queries'] / args.cases:.1f} per case)"),
        ("case states", ", ".join(f"{key}: {value}" for key, value in figures["states"].most_common())),
        ("reship transfers", f"{figures['pickings']} for {reshipped} reshipped cases"),
        ("waiting for stock", str(figures["waiting"])),
        ("reship carriers", ", ".join(f"{key}: {value}" for key, value in figures["carriers"].most_common())),
        ("replenishment", figures["replenishment"]),
        ("notification", figures["message"][:160] + ("..." if len(figures["message"]) > 160 else "")),
    ]
    for label, value in lines:
        print(f"{label:<26}{value}")


if __name__ == "__main__":
    logging.captureWarnings(True)
    main()
