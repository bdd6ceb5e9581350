#!/usr/bin/env python3
"""Benchmark of event-driven detection: seconds from a carrier's push to the case in the queue.

    python3 tests/benchmarks/bench_push_to_case.py --db DB [-c odoo.conf] [--pushes 20] [--answers 100]

DB must be a THROWAWAY database with lost_parcel_reship installed: unlike the other benchmarks,
this one commits (a real Odoo server, with its cron worker, must see the data). It ships the
parcels through Odoo's stock flow, commits, then starts ``odoo server`` on a free port with one
cron thread (threaded mode, as a small deployment runs it) and, over real HTTP:

1. posts signed AfterShip pushes saying "lost", one at a time, and measures the seconds until the
   parcel's case exists in the database (what the review queue lists): the webhook answers,
   the cron worker is woken by the trigger (``ir.cron._trigger``), runs the detection rules for
   that parcel and re-checks the case against the tracking just pushed;
2. measures the webhook's answer time for in-transit pushes with event-driven detection on and
   switched off in the company settings (the work behind the answer is queued, so the two should
   match).
"""

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

import requests
from bench_common import boot

SECRET = "bench-webhook-secret"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--db", required=True, help="a THROWAWAY database with lost_parcel_reship: data is committed")
    parser.add_argument("-c", "--config", help="Odoo configuration file (addons path, database access)")
    parser.add_argument("--pushes", type=int, default=20, help="lost pushes timed to their case")
    parser.add_argument("--answers", type=int, default=100, help="in-transit pushes timed per setting")
    parser.add_argument("--timeout", type=float, default=120, help="seconds to wait for one case")
    return parser.parse_args()


def setup(registry, args):
    """An AfterShip account, its carrier, and shipped parcels (committed)."""
    from odoo import SUPERUSER_ID, api, fields  # noqa: PLC0415

    from odoo.addons.carrier_connectors.tests.common import ship_in_batch  # noqa: PLC0415

    run = uuid.uuid4().hex[:6].upper()
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True, "mail_create_nolog": True})
        company = env.company
        account = env["carrier.tracking.account"].create(
            {"name": f"Bench AfterShip {run}", "provider": "aftership", "webhook_secret": SECRET, "api_key": "k"}
        )
        product = env["product.product"].create({"name": f"Bench parcel {run}", "is_storable": True})
        carrier = env["delivery.carrier"].create(
            {"name": f"Bench carrier {run}", "product_id": product.id, "tracking_account_id": account.id}
        )
        partner = env["res.partner"].create({"name": f"Bench customer {run}", "country_id": env.ref("base.nl").id})
        warehouse = env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
        refs = [f"CN{run}LOST{i:04d}" for i in range(args.pushes)]
        refs += [f"CN{run}INTRANSIT{i:04d}" for i in range(2 * args.answers)]
        pickings = ship_in_batch(env, refs, carrier, partner, product, warehouse.lot_stock_id)
        pickings.date_done = fields.Datetime.subtract(fields.Datetime.now(), days=10)
        ids = dict(zip(refs, pickings.ids, strict=True))
        return account.id, company.id, ids


def signed_push(number):
    """An AfterShip ``tracking_update`` push for a scenario number, signed as AfterShip signs it
    (HMAC-SHA256 of the body with the webhook secret), in AfterShip's format (the sandbox's)."""
    from odoo.addons.carrier_connectors.sandbox.providers import aftership  # noqa: PLC0415

    return aftership.signed_webhook(None, number, SECRET)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(args, port, logfile):
    command = ["odoo", "server", "-d", args.db, f"--http-port={port}", "--max-cron-threads=1", "--workers=0"]
    command += ["--log-level=warn", f"--logfile={logfile}", "--no-database-list"]
    if args.config:
        command += ["-c", args.config]
    server = subprocess.Popen(command)
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            requests.get(f"{url}/web/webclient/version_info", json={}, timeout=2)
            return server, url
        except requests.RequestException:  # not listening yet, or still loading
            time.sleep(0.5)
    server.kill()
    sys.exit(f"the Odoo server did not start; see {logfile}")


def case_exists(registry, picking_id):
    with registry.cursor() as cr:
        cr.execute("SELECT 1 FROM lost_parcel_case WHERE picking_id = %s", [picking_id])
        return bool(cr.fetchone())


def set_event_detection(registry, company_id, enabled):
    with registry.cursor() as cr:
        cr.execute("UPDATE res_company SET lost_parcel_event_detection = %s WHERE id = %s", [enabled, company_id])


def main():
    args = parse_args()
    registry = boot(args)
    started = time.perf_counter()
    account_id, company_id, ids = setup(registry, args)
    print(f"setup: {len(ids)} shipped parcels committed in {time.perf_counter() - started:.1f} s")
    set_event_detection(registry, company_id, True)
    logfile = os.path.join(tempfile.mkdtemp(), "odoo.log")
    server, url = start_server(args, free_port(), logfile)
    webhook = f"{url}/carrier_connectors/webhook/{account_id}"
    try:
        requests.post(webhook, data=b"{}", timeout=30)  # warm the server's registry and routes
        to_case, answers_lost = [], []
        for number, picking_id in ids.items():
            if "LOST" not in number:
                continue
            body, headers = signed_push(number)
            sent = time.perf_counter()
            response = requests.post(webhook, data=body, headers=headers, timeout=30)
            answers_lost.append(time.perf_counter() - sent)
            response.raise_for_status()
            while not case_exists(registry, picking_id):
                if time.perf_counter() - sent > args.timeout:
                    sys.exit(f"no case for {number} after {args.timeout} s; see {logfile}")
                time.sleep(0.05)
            to_case.append(time.perf_counter() - sent)
        # On and off alternate push by push, so that a warmer server or a busier machine later in
        # the run favours neither.
        transit = [number for number in ids if "INTRANSIT" in number]
        answers = {"on": [], "off": []}
        for index, number in enumerate(transit):
            label = "on" if index % 2 == 0 else "off"
            set_event_detection(registry, company_id, label == "on")
            body, headers = signed_push(number)
            sent = time.perf_counter()
            requests.post(webhook, data=body, headers=headers, timeout=30).raise_for_status()
            answers[label].append(time.perf_counter() - sent)
            time.sleep(0.3)  # let the triggered detection finish: the answer is what is measured
    finally:
        server.terminate()
        server.wait(timeout=30)
        set_event_detection(registry, company_id, True)

    def ms(values):
        p95 = sorted(values)[max(0, int(len(values) * 0.95) - 1)]
        return f"median {statistics.median(values) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms"

    print(f"\npush 'lost' -> case in the queue ({len(to_case)} pushes, one at a time):")
    print(f"  median {statistics.median(to_case):.2f} s, max {max(to_case):.2f} s (target under 60 s)")
    print(f"  webhook answer for those pushes: {ms(answers_lost)}")
    print(f"\nwebhook answer, in-transit pushes ({args.answers} each):")
    print(f"  event-driven detection on : {ms(answers['on'])}")
    print(f"  event-driven detection off: {ms(answers['off'])}")
    ratio = statistics.median(answers["on"]) / statistics.median(answers["off"])
    print(f"  ratio on/off (median): {ratio:.2f}")


if __name__ == "__main__":
    main()
