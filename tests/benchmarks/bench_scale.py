#!/usr/bin/env python3
"""Benchmark at scale: 100,000 parcels in flight under the carriers' real rate limits.

    python3 tests/benchmarks/bench_scale.py --db DB -c odoo.conf --phase poll       [--parcels 100000 --seconds 180]
    python3 tests/benchmarks/bench_scale.py --db DB -c odoo.conf --phase detection  [--parcels 100000 --events 10]

``DB`` is any database with ``lost_parcel_reship`` installed, left unchanged: ``detection`` works in
one transaction rolled back at the end (Odoo's ``TestCursor``); ``poll`` commits as the cron does
(its answers are stored by transactions of their own, ``--store-workers``), so it works in a copy
of ``DB`` (Odoo's duplicate) dropped at the end. Parcels are bulk SQL inserts of done outgoing
deliveries with a tracking number (the poll and the detection read only ``stock_picking`` and its
events).

- ``poll``: the carrier sandbox runs in its own process (its own interpreter lock, as a remote API
  would), answering after ``--latency`` seconds; one tracking account per provider at the rate
  limit in ``PAID_LIMITS`` (each value and its source below), with enough parallel requests per
  account for that rate at that latency. The scheduled action runs as Odoo runs it (runs of
  ``--budget`` seconds, called again while parcels remain) for ``--seconds``; ``--processes N``:
  in N processes at once, as N cron workers of one server (*Poll Processes* in the settings),
  each its own interpreter, the accounts' rate limits shared through PostgreSQL. Printed per
  provider: calls made, the calls its limit allowed while it still had parcels due (its burst
  and its rate over that time), the share used, parcels updated; the share of the cores the poll
  processes, PostgreSQL and the sandbox used while FedEx had parcels due; then, on a sample, the
  straightforward way (one request and one write per delivery in a loop, as OCA
  ``delivery_state`` polls) and the ratio; and the sandbox's own time per call (timed before the
  poll with no latency), what it adds to ``--latency``. ``--warm``: the parcels
  were polled once before (not timed), so the answers mostly repeat what is known: the steady
  state.
- ``detection``: ``--parcels`` parcels in transit with ``--events`` events each (1,000,000 for the
  defaults), 1 % of them quiet for 30 days; one full detection run (``lost.parcel.rule
  ._detect_lost_parcels``): seconds, SQL queries, cases opened, Python memory peak (tracemalloc)
  and the process's resident peak. Run it at two sizes to see memory stay flat.
"""

import argparse
import gc
import json
import math
import os
import resource
import socket
import subprocess
import sys
import threading
import time
import tracemalloc
import urllib.request
from collections import Counter
from datetime import datetime
from pathlib import Path

from bench_common import boot, rolled_back_env, scratch_database

ROOT = Path(__file__).resolve().parents[2]

# Calls per second per account, at the highest tier each provider publishes (paid where there is
# one), and where the figure comes from. Where a provider publishes none, our client's default.
PAID_LIMITS = {
    "fedex": (140.0, "FedEx Developer Portal, API rate limits: 1,400 transactions per 10 seconds per project"),
    "dhl": (2.0, "DHL Developer Portal, Shipment Tracking - Unified: Standard level 2 calls/s (Starter 1/s)"),
    "aftership": (10.0, "AfterShip Tracking API 2024-04, rate limit: 10 requests/s per organization"),
    "seventeen_track": (3.0, "17TRACK API v2.2, rate limit: 3 requests/s"),
    "usps": (60 / 3600, "USPS APIs v3: 60 calls/hour for new apps; higher quotas by request, not published"),
    "ups": (5.0, "not published by UPS (limits per account on request): our client's default"),
    "sf_express": (2.0, "not published by SF Express: our client's default"),
    "fourpx": (2.0, "not published by 4PX: our client's default"),
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--db", required=True, help="a database with lost_parcel_reship (left unchanged)")
    parser.add_argument("-c", "--config", help="Odoo configuration file (addons path, database access)")
    parser.add_argument("--phase", choices=["poll", "detection", "poll-process"], required=True)
    parser.add_argument("--parcels", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=180, help="poll: how long the cron keeps polling")
    parser.add_argument("--budget", type=float, default=60, help="poll: seconds of one cron run")
    parser.add_argument("--batch-size", type=int, default=1000, help="poll: parcels claimed per cron batch")
    parser.add_argument("--latency", type=float, default=0.1, help="poll: seconds each carrier answer takes")
    parser.add_argument("--sample", type=int, default=100, help="poll: parcels polled one by one in a loop")
    parser.add_argument(
        "--store-workers",
        type=int,
        default=2,
        help="poll: transactions storing answers at once (carrier_connectors.poll_store_workers)",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="poll: server processes polling at once, as that many cron workers of one server "
        "(each its own interpreter; the accounts' rate limits shared through PostgreSQL)",
    )
    parser.add_argument(
        "--providers",
        default=",".join(PAID_LIMITS),
        help="poll: the providers given parcels, comma-separated (all by default; fedex alone shows "
        "how fast one process stores answers)",
    )
    parser.add_argument(
        "--warm",
        action="store_true",
        help="poll: parcels already tracked (their history stored by a first poll, not timed): the "
        "steady state, where most answers repeat what is known; without it every answer is a first one",
    )
    parser.add_argument(
        "--news",
        type=float,
        default=0.0,
        help="poll, with --warm: share of the parcels whose next answer brings a new scan (0 to 1)",
    )
    parser.add_argument("--events", type=int, default=10, help="detection: events per parcel")
    return parser.parse_args()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_sandbox(latency):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "carrier_connectors" / "sandbox"), "--port", str(port), "--latency", str(latency)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _attempt in range(100):
        try:
            urllib.request.urlopen(f"{url}/_sandbox/stats", timeout=1).read()
            return process, url
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the carrier sandbox did not start")


def set_sandbox_latency(url, seconds):
    request = urllib.request.Request(
        f"{url}/_sandbox/config", data=json.dumps({"latency": seconds}).encode(), method="POST"
    )
    request.add_header("Content-Type", "application/json")
    if json.loads(urllib.request.urlopen(request, timeout=5).read())["latency"] != seconds:
        raise SystemExit(f"the carrier sandbox did not take the latency {seconds}")


def sandbox_requests(url):
    return Counter(json.loads(urllib.request.urlopen(f"{url}/_sandbox/stats", timeout=5).read())["requests"])


def insert_pickings(env, carriers, count, prefix, ref_keyword, tracking_sql=""):
    """Bulk-insert ``count`` done outgoing deliveries spread over ``carriers`` (round robin), each
    with the tracking number PREFIX-INDEX-KEYWORD. ``tracking_sql``: extra columns, as
    ``(columns, expressions of s.i)``. Returns the ids."""
    warehouse = env["stock.warehouse"].search([("company_id", "=", env.company.id)], limit=1)
    partner = env["res.partner"].create({"name": "Scale benchmark customer", "country_id": env.ref("base.nl").id})
    columns, expressions = tracking_sql or ("", "")
    env.cr.execute(
        f"""
        INSERT INTO stock_picking (name, location_id, location_dest_id, picking_type_id, move_type, state,
                                   company_id, partner_id, carrier_id, tracking_account_id, date_done,
                                   scheduled_date, carrier_tracking_ref, tracking_priority,
                                   create_date, write_date, create_uid, write_uid {columns})
        SELECT %(prefix)s || '/' || s.i, %(src)s, %(dest)s, %(type)s, 'direct', 'done', %(company)s,
               %(partner)s, (%(carriers)s::int[])[1 + s.i %% %(n)s], (%(accounts)s::int[])[1 + s.i %% %(n)s],
               now() at time zone 'UTC' - interval '3 days', now() at time zone 'UTC' - interval '3 days',
               %(prefix)s || lpad(s.i::text, 7, '0') || %(keyword)s, 0,
               now(), now(), 1, 1 {expressions}
          FROM generate_series(0, %(count)s - 1) AS s(i)
        RETURNING id
        """,
        {
            "prefix": prefix,
            "src": warehouse.lot_stock_id.id,
            "dest": env.ref("stock.stock_location_customers").id,
            "type": warehouse.out_type_id.id,
            "company": env.company.id,
            "partner": partner.id,
            "carriers": [c.id for c in carriers],
            "accounts": [c.tracking_account_id.id or None for c in carriers],
            "n": len(carriers),
            "keyword": ref_keyword,
            "count": count,
        },
    )
    return [row[0] for row in env.cr.fetchall()]


def create_carriers(env, sandbox_url, latency, providers):
    from odoo.addons.carrier_connectors.clients import PROVIDERS  # noqa: PLC0415
    from odoo.addons.carrier_connectors.sandbox.core import CREDENTIALS  # noqa: PLC0415

    env["carrier.tracking.account"].search([]).active = False  # only the benchmark's accounts poll
    carriers = env["delivery.carrier"]
    for provider, (rate, _source) in PAID_LIMITS.items():
        if provider not in providers:
            continue
        client_cls = PROVIDERS[provider]
        account = env["carrier.tracking.account"].create(
            {
                "name": f"Scale {provider}",
                "provider": provider,
                "base_url": sandbox_url,
                "rate_limit": rate,
                # Enough requests in flight to reach the rate at this latency (Little's law), at least 2.
                "concurrency": max(2, math.ceil(rate * latency * 1.5)),
                **{name: CREDENTIALS[name] for name in client_cls.credential_fields},
            }
        )
        shipping = env["product.product"].create({"name": f"Scale shipping {provider}", "type": "service"})
        carriers |= env["delivery.carrier"].create(
            {"name": f"Scale {provider}", "product_id": shipping.id, "tracking_account_id": account.id}
        )
    return carriers


def phase_poll(env, args):
    sandbox, url = start_sandbox(args.latency)
    try:
        carriers = create_carriers(env, url, args.latency, args.providers.split(","))
        started = time.perf_counter()
        ids = insert_pickings(env, carriers, args.parcels, "SCALE", "INTRANSIT")
        setup = time.perf_counter() - started
        env["ir.config_parameter"].set_param("carrier_connectors.poll_batch_size", args.batch_size)
        Picking = env["stock.picking"]
        if args.warm:
            setup += prime(env, carriers, url, ids, args)
        env.cr.commit()  # the poll starts from a clean, flushed, committed state
        by_account = {c.tracking_account_id.id: c.tracking_account_id.provider for c in carriers}

        def due_per_provider():
            counts = Picking._read_group(Picking._tracking_due_domain(), ["tracking_account_id"], ["__count"])
            return Counter({account.provider: count for account, count in counts if account.id in by_account})

        answer_times = sandbox_answer_times(url, carriers, args.latency)
        others = start_poll_processes(env, args)  # loaded and waiting for the start
        stored_at = time_the_stores(env)
        gc_time = CollectorTime()
        before = sandbox_requests(url)
        updates = picking_updates(env)
        queries = env.cr.sql_log_count
        started, started_at = time.perf_counter() + 0.2, datetime.utcnow()
        for process in others:
            process.stdin.write(f"{started!r}\n")
            process.stdin.flush()
        sampler = CpuSampler({"poll processes": [os.getpid()] + [p.pid for p in others], "sandbox": [sandbox.pid]})
        time.sleep(max(0.0, started - time.perf_counter()))
        sampler.start()
        sampler.sample()
        polled, runs, ended = poll_until_done(env, args, started)
        sampler.stop()
        for process in others:
            report = json.loads(process.stdout.readline())
            process.wait(timeout=60)
            polled, runs, ended = polled + report["polled"], runs + report["runs"], max(ended, report["ended"])
            stored_at.update({int(pid): at for pid, at in report["stored_at"].items()})
            gc_time.seconds, others_rss = gc_time.seconds + report["gc"], report["rss"]
        window = ended - started
        gc.callbacks.remove(gc_time.callback)
        env.cr.commit()  # a snapshot that sees what the poll's store transactions committed
        queries = env.cr.sql_log_count - queries
        calls = sandbox_requests(url) - before
        time.sleep(3)  # an idle connection reports its statistics to PostgreSQL within a second or two
        updates = [after - was for after, was in zip(picking_updates(env), updates, strict=True)]
        due = due_per_provider()
        env.cr.execute(
            "SELECT t.provider, array_agg(p.id) FROM stock_picking p"
            " JOIN carrier_tracking_account t ON t.id = p.tracking_account_id"
            " WHERE p.id = ANY(%s) AND p.tracking_last_check >= %s GROUP BY 1",
            [ids, started_at.replace(microsecond=0)],
        )
        updated, busy_until = Counter(), {}
        for provider, picking_ids in env.cr.fetchall():
            updated[provider] = len(picking_ids)
            if not due[provider]:  # done before the window ended: busy until its last answer was stored
                busy_until[provider] = max(stored_at[pid] for pid in picking_ids) - started

        loop = loop_sample(env, carriers, args)
    finally:
        sandbox.kill()

    state = "warm: each parcel's history already stored" if args.warm else "cold: every answer a first one"
    print(
        f"poll: {args.parcels:,} parcels in flight ({state}; set up in {setup:.1f} s), "
        f"latency {args.latency * 1000:.0f} ms"
    )
    print(
        f"cron runs of {args.budget:g} s, batches of {args.batch_size}: {runs} runs, window {window:.1f} s, "
        f"parcels updated {polled:,}"
    )
    if args.processes > 1:
        print(
            f"{args.processes} poll processes at once (as {args.processes} cron workers of one server), "
            f"each account's rate limit shared between them through PostgreSQL"
        )
    print(f"SQL queries of this process: {queries:,} ({queries / max(polled, 1):.2f} per parcel, all processes')")
    print(
        f"Python's cycle collector: {gc_time.seconds:.1f} s (all processes), "
        f"{gc_time.passes[0]} young and {gc_time.passes[2]} full passes in this one"
    )
    print(f"peak resident memory of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    if args.processes > 1:
        print(f"peak resident memory of another poll process: {others_rss:.0f} MB")
    print(
        f"delivery rows updated: {updates[0]:,} ({updates[0] / max(polled, 1):.2f} per parcel), "
        f"{updates[1]:,} of them in place (HOT: no new entry in any of the table's indexes)"
    )
    print()
    print("| provider | limit (calls/s) | calls made | calls allowed while parcels were due | used | parcels updated |")
    print("|---|---|---|---|---|---|")
    total_calls = total_allowed = 0
    for provider, (rate, _source) in PAID_LIMITS.items():
        if provider not in by_account.values():
            continue
        busy = busy_until.get(provider, window)
        # What the limit allowed while the provider had parcels due: its rate over that time plus
        # the burst its bucket allows at the start (a second of calls, at least one: the accounts'
        # limiter, ``SharedRateLimiter``). Counting one call for the burst, as this benchmark did
        # before, was in the poll's favour once FedEx was done within seconds.
        allowed = math.floor(rate * busy) + math.floor(max(1.0, rate))
        made = calls[provider]
        total_calls += min(made, allowed)
        total_allowed += allowed
        print(
            f"| {provider} | {rate:g} | {made:,} | {allowed:,} ({busy:.0f} s) | {min(made / allowed, 1):.0%} "
            f"| {updated[provider]:,} |"
        )
    print(f"| all | | {sum(calls.values()):,} | {total_allowed:,} | {total_calls / total_allowed:.1%} | {polled:,} |")
    ours = polled / window
    fedex = updated["fedex"] / busy_until.get("fedex", window)
    print()
    print(f"this poll: {ours:,.1f} parcels/s over the window, FedEx's {fedex:,.1f} parcels/s while it had parcels due")
    fedex_busy = busy_until.get("fedex", window)
    cores = os.cpu_count()
    print(
        f"processor time while FedEx had parcels due ({fedex_busy:.1f} s; {cores} cores, {cores * 100} % in all): "
        + ", ".join(f"{name} {share:.0%}" for name, share in sampler.share(started, started + fedex_busy).items())
    )
    print(
        f"one request and one write per delivery in a loop ({loop['parcels']} FedEx parcels, same limit): "
        f"{loop['rate']:,.1f} parcels/s; ratio {fedex / loop['rate']:.1f}x on FedEx, {ours / loop['rate']:.1f}x overall"
    )
    print(
        f"the sandbox's own time per chunk asked, added to the {args.latency * 1000:.0f} ms of latency: "
        + ", ".join(
            f"{provider} {seconds * 1000:.1f} ms ({size} numbers)" for provider, (size, seconds) in answer_times.items()
        )
    )
    for provider, (rate, source) in PAID_LIMITS.items():
        if provider not in by_account.values():
            continue
        print(f"  {provider}: {rate:g} calls/s: {source}")


def picking_updates(env):
    """[row updates, HOT updates] of ``stock_picking`` so far, as PostgreSQL counts them."""
    env.cr.execute("SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relid = 'stock_picking'::regclass")
    return list(env.cr.fetchone())


def poll_until_done(env, args, started):
    """Run the scheduled action as Odoo does (runs of ``--budget`` seconds, called again while
    parcels remain) from ``started`` (``time.perf_counter()``) for ``--seconds``, or until no
    parcel is due. -> (parcels updated, runs, when it ended)."""
    Picking = env["stock.picking"]
    polled = runs = 0
    while (elapsed := time.perf_counter() - started) < args.seconds:
        polled += Picking._cron_update_tracking(time_budget=min(args.budget, args.seconds - elapsed))
        runs += 1
        env.cr.commit()
        if not Picking.search_count(Picking._tracking_due_domain(), limit=1):
            break
    return polled, runs, time.perf_counter()


def start_poll_processes(env, args):
    """``--processes`` less one more poll processes on this database (this script with ``--phase
    poll-process``), each loaded and waiting for the start time on its standard input."""
    command = [sys.executable, __file__, "--phase", "poll-process", "--db", env.cr.dbname]
    command += ["--seconds", str(args.seconds), "--budget", str(args.budget)]
    command += ["-c", args.config] if args.config else []
    processes = [
        subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for _process in range(args.processes - 1)
    ]
    for process in processes:
        if process.stdout.readline().strip() != "ready":
            raise SystemExit("a poll process did not start")
    return processes


def phase_poll_process(env, args):
    """One more poll process (``start_poll_processes``): prints "ready", polls from the
    ``time.perf_counter()`` value it reads (the clock is the system's, shared by the processes),
    then prints what it did as one line of JSON."""
    stored_at = time_the_stores(env)
    gc_time = CollectorTime()
    print("ready", flush=True)
    started = float(sys.stdin.readline())
    time.sleep(max(0.0, started - time.perf_counter()))
    polled, runs, ended = poll_until_done(env, args, started)
    report = {
        "polled": polled,
        "runs": runs,
        "ended": ended,
        "stored_at": stored_at,
        "gc": gc_time.seconds,
        "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print(json.dumps(report), flush=True)


def cpu_seconds(pids):
    """Processor seconds (user and system) the processes ``pids`` have used so far; a process
    that has ended counts nothing."""
    total = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rpartition(")")[2].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def machine_cpu_seconds():
    """Processor seconds the whole machine has used so far (every core, process and the kernel),
    and those the hypervisor gave to other machines while this one wanted them (steal): the first
    line of ``/proc/stat``."""
    with open("/proc/stat") as stat:
        ticks = [int(value) for value in stat.readline().split()[1:]] + [0] * 8
    user, nice, system, _idle, _iowait, irq, softirq, steal = ticks[:8]
    clock = os.sysconf("SC_CLK_TCK")
    return (user + nice + system + irq + softirq) / clock, steal / clock


def postgres_pids():
    pids = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/comm") as comm:
                if comm.read().strip() in ("postgres", "postmaster"):
                    pids.append(int(entry))
        except (OSError, ValueError):
            continue
    return pids


MACHINE, STEAL = "(machine)", "(steal)"


class CpuSampler(threading.Thread):
    """Every half second, the processor seconds used so far by each group of processes
    ({name: pids}; PostgreSQL's processes looked up at each sample, connections come and go):
    how busy the machine's cores were over any part of the window."""

    def __init__(self, groups):
        super().__init__(daemon=True, name="cpu-sampler")
        self.groups, self.samples, self.stopped = groups, [], threading.Event()

    def sample(self):
        groups = {**self.groups, "PostgreSQL": postgres_pids()}
        used = {name: cpu_seconds(pids) for name, pids in groups.items()}
        used[MACHINE], used[STEAL] = machine_cpu_seconds()
        self.samples.append((time.perf_counter(), used))

    def run(self):
        while not self.stopped.wait(0.5):
            self.sample()

    def stop(self):
        self.stopped.set()
        self.join()
        self.sample()

    def share(self, start, end):
        """{group: share of one core it used between ``start`` and ``end`` (``perf_counter``), from
        the samples nearest them}."""
        first = min(self.samples, key=lambda sample: abs(sample[0] - start))
        last = min(self.samples, key=lambda sample: abs(sample[0] - end))
        seconds = max(last[0] - first[0], 1e-9)
        shares = {name: (last[1][name] - first[1].get(name, 0.0)) / seconds for name in last[1]}
        # What the machine did besides: a run perturbed by other work shows it (FedEx's few
        # seconds weigh several points of the aggregate each).
        machine, steal = shares.pop(MACHINE), shares.pop(STEAL)
        shares["other processes"] = max(0.0, machine - sum(shares.values()))
        shares["taken by the hypervisor (steal)"] = steal
        return shares


def time_the_stores(env):
    """{picking id: ``time.perf_counter()`` when the poll stored its answer}, filled from now on
    by every thread of this process: when a provider's last parcel was stored, to the
    microsecond (a delivery's last-check date is in whole seconds, which would cut up to a second
    off a provider's busy time)."""
    stored_at = {}
    model_class = type(env["stock.picking"])  # the registry's class: every thread's records
    store = model_class._store_polled_batch

    def timed_store(self, results):
        res = store(self, results)
        now = time.perf_counter()
        stored_at.update(dict.fromkeys(results, now))
        return res

    model_class._store_polled_batch = timed_store
    return stored_at


class CollectorTime:
    """Seconds Python's cycle collector runs from now on (``gc.callbacks``), and its passes per
    generation."""

    def __init__(self):
        self.seconds, self.passes, self.started = 0.0, Counter(), None
        gc.callbacks.append(self.callback)

    def callback(self, phase, info):
        if phase == "start":
            self.started = time.perf_counter()
        elif self.started is not None:
            self.seconds += time.perf_counter() - self.started
            self.passes[info["generation"]] += 1


def prime(env, carriers, url, ids, args):
    """The steady state: every parcel polled once (its events stored, the sandbox's timeline of
    its number fixed), with no rate limit and no latency, then all due again at the paid limits.
    Returns the seconds it took (set-up, not measured)."""

    started = time.perf_counter()
    accounts = carriers.tracking_account_id
    limits = {account: (account.rate_limit, account.concurrency) for account in accounts}
    accounts.write({"rate_limit": 10_000, "concurrency": 8})
    set_sandbox_latency(url, 0)
    Picking = env["stock.picking"]
    while Picking.search_count(Picking._tracking_due_domain(), limit=1):
        Picking._cron_update_tracking(time_budget=600)
    env.cr.commit()  # a snapshot that sees what the poll's store transactions committed
    for account, (rate, concurrency) in limits.items():
        account.write({"rate_limit": rate, "concurrency": concurrency})
    set_sandbox_latency(url, args.latency)
    # Due a second ago (the due domain compares with whole seconds).
    env.cr.execute(
        "UPDATE stock_picking SET tracking_next_check = date_trunc('second', now() at time zone 'UTC')"
        " - interval '1 second' WHERE id = ANY(%s)",
        [ids],
    )
    news = ids[: round(len(ids) * args.news)] if args.news else []
    if news:
        # These parcels' newest scan is forgotten: the carrier's next answer brings it as news
        # (one event to insert, the delivery queued for detection), as a parcel that moved on.
        env.cr.execute(
            "DELETE FROM stock_tracking_event WHERE id IN (SELECT DISTINCT ON (picking_id) id"
            " FROM stock_tracking_event WHERE picking_id = ANY(%s) ORDER BY picking_id, occurred_at DESC, id DESC)",
            [news],
        )
        env.cr.execute("UPDATE stock_picking SET tracking_events_digest = NULL WHERE id = ANY(%s)", [news])
    env.invalidate_all()
    env.cr.execute("SELECT count(*) FROM stock_tracking_event WHERE picking_id = ANY(%s)", [ids])
    print(
        f"primed: {len(ids):,} parcels tracked once, {env.cr.fetchone()[0]:,} events stored; "
        f"{len(news):,} of them ({args.news:.0%}) with a new scan to report"
    )
    return time.perf_counter() - started


def sandbox_answer_times(url, carriers, latency):
    """{provider: (numbers per call, seconds per call)}: one full call to the sandbox with no latency
    configured, made in turn, averaged over a few: what the sandbox adds to ``--latency`` (its own work,
    and the network stack's). Measured with clients of their own (not the accounts' rate limits)."""

    from odoo.addons.carrier_connectors.clients import PROVIDERS  # noqa: PLC0415
    from odoo.addons.carrier_connectors.sandbox.core import CREDENTIALS  # noqa: PLC0415

    set_sandbox_latency(url, 0)
    times = {}
    try:
        for provider in carriers.tracking_account_id.mapped("provider"):
            client_cls = PROVIDERS[provider]
            client = client_cls(
                base_url=url,
                credentials={name: CREDENTIALS[name] for name in client_cls.credential_fields},
                rate_limit=10_000,
                account_key=("sandbox timing", provider),
            )
            size = client_cls.batch_size
            client.track([f"TIME{i:07d}INTRANSIT" for i in range(size)])  # connection and token
            started = time.perf_counter()
            for round_ in range(10):
                client.track([f"TIME{round_}{i:07d}INTRANSIT" for i in range(size)])
            times[provider] = (size, (time.perf_counter() - started) / 10)
    finally:
        set_sandbox_latency(url, latency)
    return times


def loop_sample(env, carriers, args):
    """The straightforward way on a sample: for each delivery, one call for its number and one
    write of the answer, in a loop (OCA ``delivery_state``'s ``tracking_state_update`` pattern)."""
    fedex = carriers.filtered(lambda c: c.tracking_account_id.provider == "fedex")
    ids = insert_pickings(env, fedex, args.sample, "LOOP", "INTRANSIT")
    pickings = env["stock.picking"].browse(ids)
    client = fedex.tracking_account_id._get_client()
    if args.warm:  # the same state as the poll measured: each parcel's history already stored
        pickings._update_tracking()
        env.flush_all()
    started = time.perf_counter()
    for picking in pickings:
        answer = client.track([picking.carrier_tracking_ref])
        picking._apply_tracking_results({picking.id: answer[picking.carrier_tracking_ref]})
        env.flush_all()
    seconds = time.perf_counter() - started
    return {"parcels": len(pickings), "rate": len(pickings) / seconds}


def phase_detection(env, args):
    carriers = env["delivery.carrier"]
    product = env["product.product"].create({"name": "Scale detection shipping", "type": "service"})
    for name in ("Scale Post A", "Scale Post B", "Scale Post C", "Scale Post D"):
        carriers |= env["delivery.carrier"].create({"name": name, "product_id": product.id})
    started = time.perf_counter()
    # In transit, last scan 1-47 hours ago; one parcel in a hundred quiet for 30 days (stalled).
    ids = insert_pickings(
        env,
        carriers,
        args.parcels,
        "DETECT",
        "",
        (
            ", tracking_status, tracking_last_event_date, tracking_last_check",
            ", 'in_transit', now() at time zone 'UTC' - CASE WHEN s.i %% 100 = 0 THEN interval '30 days'"
            " ELSE interval '1 hour' * (1 + s.i %% 47) END, now() at time zone 'UTC'",
        ),
    )
    env.cr.execute(
        """
        INSERT INTO stock_tracking_event (picking_id, company_id, carrier_id, occurred_at, status, event_key,
                                          description, create_date, write_date, create_uid, write_uid)
        SELECT p.id, p.company_id, p.carrier_id, p.tracking_last_event_date - interval '6 hours' * k,
               'in_transit', 'scale-' || k, 'Scale benchmark scan', now(), now(), 1, 1
          FROM stock_picking p, generate_series(0, %s - 1) k
         WHERE p.id = ANY(%s)
        """,
        [args.events, ids],
    )
    events = env.cr.rowcount
    env.cr.execute("ANALYZE stock_picking; ANALYZE stock_tracking_event")
    setup = time.perf_counter() - started
    env.cr.commit()  # a savepoint: detection starts from a flushed state

    Rule = env["lost.parcel.rule"]
    queries = env.cr.sql_log_count
    tracemalloc.start()
    started = time.perf_counter()
    cases = Rule._detect_lost_parcels()
    env.flush_all()
    seconds = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    queries = env.cr.sql_log_count - queries
    ours = cases.filtered(lambda c: c.picking_id.id in set(ids))
    print(f"detection: {args.parcels:,} parcels in transit, {events:,} events (inserted in {setup:.1f} s)")
    print(f"full run: {seconds:.1f} s, {queries:,} SQL queries, {len(ours):,} cases opened on these parcels")
    print(f"Python memory peak during the run (tracemalloc): {peak / 2**20:.1f} MB")
    print(f"peak resident memory of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


def main():
    args = parse_args()
    if unknown := set(args.providers.split(",")) - set(PAID_LIMITS):
        raise SystemExit(f"--providers: unknown {', '.join(sorted(unknown))}; known: {', '.join(PAID_LIMITS)}")
    if "fedex" not in args.providers.split(","):
        raise SystemExit("--providers: fedex is needed (the loop is compared on FedEx parcels)")
    context = {"tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True}
    if args.phase == "poll":
        # The poll commits as it goes, its answers stored on more than one connection: in a copy.
        from odoo import SUPERUSER_ID, api  # noqa: PLC0415

        with scratch_database(args) as registry, registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, context)
            env["ir.config_parameter"].set_param("carrier_connectors.poll_store_workers", args.store_workers)
            phase_poll(env, args)
    elif args.phase == "poll-process":
        from odoo import SUPERUSER_ID, api  # noqa: PLC0415

        with boot(args).cursor() as cr:
            phase_poll_process(api.Environment(cr, SUPERUSER_ID, context), args)
    else:
        with rolled_back_env(boot(args)) as env:
            phase_detection(env(context=dict(env.context, **context)), args)


if __name__ == "__main__":
    main()
