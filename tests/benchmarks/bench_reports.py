#!/usr/bin/env python3
"""Benchmark of the reports on 200,000 shipped parcels: carrier performance pivot, lane statistics,
high-risk regions, scorecards and handling times.

    python3 tests/benchmarks/bench_reports.py --db DB [-c odoo.conf] [--parcels 200000] [--days 730]

It boots the Odoo registry of DB (lost_parcel_reship installed) and works in one transaction
rolled back at the end: nothing is committed. The history is written with bulk SQL inserts (the
figures measure the reports, not the stock flow): N pickings shipped over the last ``--days``
days, spread over 4 carriers, 8 countries, 40 addresses and 6 sales channels, 5 tracking events
each, and cases for 3 % of them. Every call is measured twice on the same data: without the
indexes the reports add (``lost.parcel.shipment.report._report_indexes``, dropped inside the
transaction) and with them.
"""

import argparse
import logging
import statistics
import time
from datetime import timedelta

from bench_common import boot, rolled_back_env

COUNTRIES = ["nl", "de", "fr", "be", "us", "uk", "es", "it"]
CHANNELS = ["Amazon EU", "eBay", "Shopify store", "Walmart", "Wish", "Sales"]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--db", required=True, help="a database with lost_parcel_reship (left unchanged)")
    parser.add_argument("-c", "--config", help="Odoo configuration file (addons path, database access)")
    parser.add_argument("--parcels", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measured call (median printed)")
    parser.add_argument("--days", type=int, default=730, help="the parcels left over this many past days")
    return parser.parse_args()


def setup_history(env, parcels, days=730):
    """Carriers, addresses and orders through the ORM; parcels, events and cases in bulk SQL."""
    quiet = env(context=dict(env.context, tracking_disable=True, mail_create_nolog=True, mail_notrack=True))
    company = quiet.company
    warehouse = quiet["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
    customers = quiet.ref("stock.stock_location_customers")
    product = quiet["product.product"].create({"name": "Benchmark service", "type": "service"})
    carriers = quiet["delivery.carrier"].create(
        [{"name": f"Bench {name}", "product_id": product.id} for name in ("DHL", "PostNL", "UPS", "FedEx")]
    )
    partners = quiet["res.partner"].create(
        [
            {
                "name": f"Bench customer {i}",
                "country_id": quiet.ref(f"base.{COUNTRIES[i % len(COUNTRIES)]}").id,
                "zip": f"{1000 + 37 * i:04d} AB",
            }
            for i in range(40)
        ]
    )
    orders = quiet["sale.order"].create(
        [
            {"partner_id": partners[i].id, "team_id": quiet["crm.team"].create({"name": channel}).id}
            for i, channel in enumerate(CHANNELS)
        ]
    )
    cr = env.cr
    env.flush_all()
    # Parcels: carrier i % 4, address i % 40, shipped within 365 days; DHL to the first countries
    # loses more. 90 % delivered after 2-12 days (ETA: 7 days), 4 % in transit, 3 % exception,
    # 3 % returned.
    cr.execute(
        """
        INSERT INTO stock_picking (name, location_id, location_dest_id, picking_type_id, move_type, state,
                                   company_id, partner_id, carrier_id, sale_id, date_done, scheduled_date,
                                   carrier_tracking_ref, tracking_status, tracking_eta, tracking_delivered_date,
                                   create_date, write_date, create_uid, write_uid)
        SELECT 'BENCH/' || i, %(src)s, %(dest)s, %(type)s, 'direct', 'done', %(company)s,
               (%(partners)s::int[])[1 + i %% 40], (%(carriers)s::int[])[1 + (i / 40) %% 4],
               (%(orders)s::int[])[1 + i %% 6], shipped, shipped, 'BENCH' || i,
               CASE WHEN i %% 100 < 90 THEN 'delivered' WHEN i %% 100 < 94 THEN 'in_transit'
                    WHEN i %% 100 < 97 THEN 'exception' ELSE 'returned' END,
               shipped + interval '7 days',
               CASE WHEN i %% 100 < 90 THEN shipped + (2 + (i::bigint * 7919) %% 240 / 24.0) * interval '1 day' END,
               now(), now(), 1, 1
          FROM (SELECT i,
                       now() at time zone 'utc' - ((i::bigint * 104729) %% (%(days)s * 24)) * interval '1 hour'
                           AS shipped
                  FROM generate_series(1, %(n)s) i) s
        RETURNING id
        """,
        {
            "src": warehouse.lot_stock_id.id,
            "dest": customers.id,
            "type": warehouse.out_type_id.id,
            "company": company.id,
            "partners": partners.ids,
            "carriers": carriers.ids,
            "orders": orders.ids,
            "n": parcels,
            "days": days,
        },
    )
    picking_ids = [row[0] for row in cr.fetchall()]
    cr.execute(
        """
        INSERT INTO stock_tracking_event (picking_id, company_id, carrier_id, occurred_at, status, event_key,
                                          description, create_date, write_date, create_uid, write_uid)
        SELECT p.id, p.company_id, p.carrier_id,
               p.date_done + (COALESCE(p.tracking_delivered_date, p.date_done + interval '6 days') - p.date_done)
                   * (k / 5.0) * (0.7 + 0.3 * ((p.id * k) %% 10) / 10.0),
               CASE WHEN k = 5 AND p.tracking_status = 'delivered' THEN 'delivered' ELSE 'in_transit' END,
               'bench-' || k, 'Benchmark event', now(), now(), 1, 1
          FROM stock_picking p, generate_series(1, 5) k
         WHERE p.id = ANY(%s)
        """,
        [picking_ids],
    )
    events = cr.rowcount
    # Cases: 3 % of the parcels (the exceptions), most confirmed lost, some false alarms.
    cr.execute(
        """
        INSERT INTO lost_parcel_case (name, company_id, picking_id, carrier_id, state, detected_date,
                                      first_signal_date, confirmed_at, reship_date, total_cost, user_id,
                                      create_date, write_date, create_uid, write_uid)
        SELECT 'BENCH-' || p.id, p.company_id, p.id, p.carrier_id,
               CASE WHEN p.id %% 5 = 0 THEN 'false_alarm' WHEN p.id %% 5 = 1 THEN 'confirmed' ELSE 'reshipped' END,
               p.date_done + interval '10 days', p.date_done + interval '10 days' - (p.id %% 180) * interval '1 minute',
               CASE WHEN p.id %% 5 <> 0 THEN p.date_done + interval '10 days' + (p.id %% 48) * interval '1 hour' END,
               CASE WHEN p.id %% 5 > 1 THEN p.date_done + interval '11 days' END,
               CASE WHEN p.id %% 5 <> 0 THEN 20 + p.id %% 30 ELSE 0 END, 2,
               now(), now(), 1, 1
          FROM stock_picking p
         WHERE p.id = ANY(%s) AND p.tracking_status = 'exception'
        """,
        [picking_ids],
    )
    cases = cr.rowcount
    # The orders' channels are computed from their teams on create; pickings got them in SQL.
    cr.execute("ANALYZE stock_picking; ANALYZE stock_tracking_event; ANALYZE lost_parcel_case; ANALYZE res_partner")
    env.invalidate_all()
    return {"parcels": len(picking_ids), "events": events, "cases": cases, "carriers": carriers, "company": company}


def measure(env, repeat, func):
    times, queries = [], 0
    for _run in range(repeat):
        env.invalidate_all()
        before = env.cr.sql_log_count
        started = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - started)
        queries = env.cr.sql_log_count - before
    return statistics.median(times), queries, result


def main():
    args = parse_args()
    registry = boot(args)
    logging.getLogger("odoo").setLevel(logging.WARNING)
    with rolled_back_env(registry) as env:
        from odoo import fields  # noqa: PLC0415

        Report = env["lost.parcel.shipment.report"]
        started = time.perf_counter()
        history = setup_history(env, args.parcels, args.days)
        setup_seconds = time.perf_counter() - started
        company, carriers = history["company"], history["carriers"]
        env["ir.config_parameter"].set_param("lost_parcel_reship.risk_min_parcels", 100)
        env["ir.config_parameter"].set_param("lost_parcel_reship.risk_threshold", 1.0)
        now = fields.Datetime.now()
        year_ago, quarter_ago = now - timedelta(days=365), now - timedelta(days=90)
        mine = [("carrier_id", "in", carriers.ids)]

        def pivot(since):
            return lambda: Report.read_group(
                [*mine, ("date_shipped", ">=", since)],
                ["parcel_count", "lost_count", "loss_rate", "delay_rate", "transit_days", "money_lost"],
                ["carrier_id", "country_id", "date_shipped:month"],
                lazy=False,
            )

        runs = [
            ("pivot carrier x country x month, 365 days", pivot(year_ago)),
            ("pivot carrier x country x month, 90 days", pivot(quarter_ago)),
            ("lane statistics carrier x country, 365 days", lambda: Report._lane_statistics(year_ago, domain=mine)),
            ("lane statistics carrier x country, 90 days", lambda: Report._lane_statistics(quarter_ago, domain=mine)),
            (
                "lane statistics, 365 days, without gaps",
                lambda: Report._lane_statistics(year_ago, domain=mine, gaps=False),
            ),
            (
                "loss stats of the reship choice (1 country)",
                lambda: Report._loss_stats(carriers, env.ref("base.nl"), year_ago, company=company),
            ),
            (
                "high-risk regions (window 90 days)",
                lambda: env["lost.parcel.risk.region"]._compute_risk_regions(company),
            ),
            (
                "carrier scorecards (90 days)",
                lambda: env["lost.parcel.carrier.scorecard"].search_read(mine, ["loss_rate", "transit_p90"]),
            ),
            (
                "case handling report",
                lambda: env["lost.parcel.case.handling.report"].search_read([], ["detect_p90_hours"]),
            ),
        ]
        print(
            f"{'setup':<48}{history['parcels']:,} parcels, {history['events']:,} events, "
            f"{history['cases']:,} cases in {setup_seconds:.1f} s"
        )
        results = {}
        for phase in ("without", "with"):
            if phase == "without":
                for name, _table, _columns, _where in Report._report_indexes():
                    env.cr.execute(f'DROP INDEX IF EXISTS "{name}"')  # pylint: disable=sql-injection
            else:
                Report.init()
            env.cr.execute("ANALYZE stock_picking; ANALYZE stock_tracking_event")
            for label, func in runs:
                results[label, phase] = measure(env, args.repeat, func)
        print(f"{'':<48}{'without indexes':>26}  {'with':>8}")
        for label, _func in runs:
            (before, queries, rows), (after, _queries, _rows) = results[label, "without"], results[label, "with"]
            print(f"{label:<48}{1000 * before:8.0f} ms{queries:4d} q{len(rows):5d} rows  {1000 * after:6.0f} ms")


if __name__ == "__main__":
    main()
