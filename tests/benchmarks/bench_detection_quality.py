#!/usr/bin/env python3
"""Detection-quality benchmark: the fixed 7/20-day rules against the learned lane thresholds on a
simulated shipping history with known truth (lost, or merely slow).

    python3 tests/benchmarks/bench_detection_quality.py --db DB [-c odoo.conf] [--parcels 20000]

It boots the Odoo registry of DB (lost_parcel_reship installed) and works in one transaction
rolled back at the end: nothing is committed, only PostgreSQL sequences advance.

1. A training history of delivered parcels over 12 lanes (carrier x destination country) with
   very different normals, shipped in the 120 days before the test window, with their tracking
   events (bulk SQL), then ``lost.parcel.lane._compute_lanes(now=window start)``.
2. A test window of ``--parcels`` parcels shipped over ``--window`` days, about 4 % of them truly
   lost (their events stop, never delivered), the others delivered, some after long but normal
   quiet spells. Seeded random: the same seed gives the same parcels.
3. Day by day over the window and ``--tail`` days after it, the day's events are stored in
   ``stock_tracking_event`` and each parcel's tracking summary is set to what was known that day
   (one set-based INSERT and one UPDATE from a temporary table of every event), and
   ``lost.parcel.rule._detect_lost_parcels(now=day)`` runs: first with the two default rules as
   shipped (fixed days), then, after rolling the cases and events back, with the same rules
   switched to ``threshold_mode = "learned"`` (learned-mode fields at their defaults). A parcel's
   first case is its alarm. No re-verification.
4. Per configuration: lost parcels found (recall), false alarms (alarms on parcels that were
   delivered later) per 1,000 parcels, and median days from a lost parcel's last real event to
   its alarm; per lane as well.
"""

import argparse
import itertools
import logging
import random
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from bench_common import boot, rolled_back_env

DAY = timedelta(days=1)


@dataclass(frozen=True)
class Lane:
    """A simulated lane: parcels hop between scans every ``gap`` days (uniform range) for
    ``hops`` scans; with probability ``spell_p`` one hop is a long quiet spell (customs, a flight
    or ship, a postal service that skips scans), with ``slow_p`` a slower but still normal one."""

    carrier: str
    country: str  # res.country xml id suffix; "home" = the company's country
    share: float  # of all parcels
    hops: tuple
    gap: tuple
    spell_p: float
    spell: tuple
    slow_p: float
    slow: tuple
    lost_rate: float


LANES = [
    Lane("UPS Ground", "home", 0.20, (3, 6), (0.3, 1.2), 0.05, (2, 4), 0.01, (5, 6), 0.03),
    Lane("USPS Priority", "home", 0.17, (3, 7), (0.3, 1.5), 0.10, (3, 6), 0.02, (6, 9), 0.04),
    Lane("USPS Media Mail", "home", 0.06, (2, 4), (1, 3), 0.35, (6, 10), 0.02, (10, 13), 0.05),
    # Cross-border from a Chinese warehouse to home customers: "domestic" to the rules.
    Lane("Yanwen", "home", 0.12, (5, 8), (0.5, 2), 0.60, (5, 9), 0.03, (10, 14), 0.05),
    Lane("Yanwen", "br", 0.06, (6, 10), (0.8, 2.2), 1.00, (8, 12), 0.03, (14, 18), 0.08),
    Lane("DHL Express", "de", 0.08, (4, 7), (0.1, 0.8), 0.05, (1.5, 3), 0.01, (4, 6), 0.02),
    Lane("DHL Express", "uk", 0.08, (4, 7), (0.1, 0.8), 0.05, (1.5, 3), 0.01, (4, 6), 0.02),
    Lane("UPS Standard", "ca", 0.07, (3, 6), (0.3, 1.2), 0.15, (2, 4), 0.01, (5, 7), 0.03),
    Lane("PostNL Economy", "au", 0.04, (4, 7), (0.5, 2), 0.90, (10, 16), 0.08, (20, 26), 0.06),
    Lane("DHL eCommerce", "mx", 0.05, (5, 8), (0.5, 2), 0.70, (4, 9), 0.03, (12, 16), 0.05),
    Lane("Royal Mail International", "fr", 0.05, (3, 6), (0.5, 1.5), 0.20, (2, 5), 0.02, (6, 8), 0.03),
    # Too few deliveries for a lane of its own: falls back to the carrier's lane over all countries.
    Lane("UPS Standard", "jp", 0.0015, (4, 6), (0.3, 1.2), 0.20, (2, 4), 0.0, (0, 0), 0.03),
]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--db", required=True, help="a database with lost_parcel_reship (left unchanged)")
    parser.add_argument("-c", "--config", help="Odoo configuration file (addons path, database access)")
    parser.add_argument("--parcels", type=int, default=20_000, help="parcels shipped in the test window")
    parser.add_argument("--training", type=int, default=15_000, help="delivered parcels the lanes learn from")
    parser.add_argument("--window", type=int, default=60, help="days over which the test parcels are shipped")
    parser.add_argument("--tail", type=int, default=45, help="days replayed after the window")
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument(
        "--modes", default="fixed,learned", help="configurations replayed, comma-separated (fixed, learned)"
    )
    parser.add_argument(
        "--percentile",
        type=float,
        help="what-if: overwrite the lanes' quiet-spell (longest, second-longest) and transit figures by this "
        "percentile of the training history (e.g. 0.99) instead of the 95th the lanes learn",
    )
    parser.add_argument("--stalled-floor", type=float, help="what-if: the rules' learned stalled floor (days)")
    parser.add_argument(
        "--late-floor", type=float, help="what-if: the rules' learned late floor (days; 999 leaves the late signal out)"
    )
    parser.add_argument("--late", action="store_true", help="what-if: the rules' learned late signal on")
    parser.add_argument(
        "--no-long-leg",
        action="store_true",
        help="what-if: learned mode without the second-longest quiet spell (the lanes' second_gap_p95 set to their "
        "gap_p95), as before",
    )
    return parser.parse_args()


# ---------------------------------------------------------------------- simulation
def simulate(rng, lane, lost):
    """Event offsets in days from shipping (the first is the acceptance scan); the last one is
    the delivery unless the parcel is lost, whose events stop at a random scan."""
    gaps = [rng.uniform(*lane.gap) for _hop in range(rng.randint(*lane.hops))]
    if rng.random() < lane.spell_p:
        gaps[rng.randrange(1, len(gaps))] = rng.uniform(*lane.spell)
    if rng.random() < lane.slow_p:
        gaps[rng.randrange(1, len(gaps))] = rng.uniform(*lane.slow)
    offsets = [rng.uniform(0.05, 0.5)]
    for gap in gaps:
        offsets.append(offsets[-1] + gap)
    if lost:
        offsets = offsets[: rng.randrange(1, len(offsets))]
    return offsets


def draw_parcels(rng, count, start, days, training):
    """[(lane index, shipped, [event datetimes], delivered datetime or None)]."""
    weights = [lane.share for lane in LANES]
    parcels = []
    for _i in range(count):
        index = rng.choices(range(len(LANES)), weights)[0]
        lane = LANES[index]
        lost = not training and rng.random() < lane.lost_rate
        shipped = start + timedelta(seconds=rng.uniform(0, days * 86400))
        events = [shipped + timedelta(days=offset) for offset in simulate(rng, lane, lost)]
        if training and events[-1] >= start + timedelta(days=days):
            # Training parcels are delivered before the test window starts: the lanes only
            # learn from what was known then. Ship it earlier by its transit.
            shift = events[-1] - shipped
            shipped -= shift
            events = [event - shift for event in events]
        parcels.append((index, shipped, events, None if lost else events[-1]))
    return parcels


# ---------------------------------------------------------------------- database set-up
def setup_world(env):
    quiet = env(context=dict(env.context, tracking_disable=True, mail_create_nolog=True, mail_notrack=True))
    company = quiet.company
    if not company.country_id:
        company.country_id = quiet.ref("base.us")
    home = company.country_id
    product = quiet["product.product"].create({"name": "Detection benchmark shipping", "type": "service"})
    carriers = {}
    for name in dict.fromkeys(lane.carrier for lane in LANES):
        carriers[name] = quiet["delivery.carrier"].create({"name": f"DQ {name}", "product_id": product.id})
    partners = {}
    for lane in LANES:
        if lane.country not in partners:
            country = home if lane.country == "home" else quiet.ref(f"base.{lane.country}")
            partners[lane.country] = quiet["res.partner"].create(
                {"name": f"DQ customer {country.code}", "country_id": country.id}
            )
    # The two default rules, as shipped, watching only the benchmark's carriers; every other
    # rule off so that the database's own parcels do not interfere.
    rules = quiet.ref("lost_parcel_reship.rule_domestic") | quiet.ref("lost_parcel_reship.rule_international")
    quiet["lost.parcel.rule"].search([("id", "not in", rules.ids)]).active = False
    rules.write({"active": True, "carrier_ids": [(6, 0, [c.id for c in carriers.values()])]})
    # Learned mode as shipped: the fields' defaults, whatever this database's rules were created with.
    learned = [name for name in rules._fields if name.startswith("learned_")]
    rules.write(rules.default_get(learned))
    env.flush_all()
    return company, carriers, partners, rules


def insert_parcels(env, company, carriers, partners, parcels, prefix, delivered_now):
    """Bulk-insert done outgoing pickings; ``delivered_now``: their tracking summary is final
    (training), else empty until the replay sets it. Returns the ids in the order given."""
    warehouse = env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
    customers = env.ref("stock.stock_location_customers")
    carrier_ids = [carriers[LANES[p[0]].carrier].id for p in parcels]
    partner_ids = [partners[LANES[p[0]].country].id for p in parcels]
    names = [f"{prefix}/{i}" for i in range(len(parcels))]
    env.cr.execute(
        """
        INSERT INTO stock_picking (name, location_id, location_dest_id, picking_type_id, move_type, state,
                                   company_id, partner_id, carrier_id, date_done, scheduled_date,
                                   carrier_tracking_ref, tracking_status, tracking_last_event_date,
                                   tracking_delivered_date, tracking_last_check,
                                   create_date, write_date, create_uid, write_uid)
        SELECT s.name, %(src)s, %(dest)s, %(type)s, 'direct', 'done', %(company)s, s.partner, s.carrier,
               s.shipped, s.shipped, s.name,
               CASE WHEN %(final)s THEN 'delivered' END,
               CASE WHEN %(final)s THEN s.delivered END,
               CASE WHEN %(final)s THEN s.delivered END,
               CASE WHEN %(final)s THEN s.delivered END,
               now(), now(), 1, 1
          FROM unnest(%(names)s::varchar[], %(partners)s::int[], %(carriers)s::int[],
                      %(shipped)s::timestamp[], %(delivered)s::timestamp[])
               AS s(name, partner, carrier, shipped, delivered)
        RETURNING id, name
        """,
        {
            "src": warehouse.lot_stock_id.id,
            "dest": customers.id,
            "type": warehouse.out_type_id.id,
            "company": company.id,
            "final": delivered_now,
            "names": names,
            "partners": partner_ids,
            "carriers": carrier_ids,
            "shipped": [p[1] for p in parcels],
            "delivered": [p[3] for p in parcels],
        },
    )
    by_name = dict((name, picking_id) for picking_id, name in env.cr.fetchall())
    return [by_name[name] for name in names]


def insert_events(env, table, parcels, picking_ids, company, carriers):
    """Every event of every parcel into ``table`` (stock_tracking_event, or the replay's temporary
    table), the last one of a delivered parcel with status delivered."""
    rows = ([], [], [], [])  # picking, carrier, occurred, delivered?
    for (index, _shipped, events, delivered), picking_id in zip(parcels, picking_ids, strict=True):
        carrier_id = carriers[LANES[index].carrier].id
        for position, occurred in enumerate(events):
            rows[0].append(picking_id)
            rows[1].append(carrier_id)
            rows[2].append(occurred)
            rows[3].append(bool(delivered) and position == len(events) - 1)
    if table == "stock_tracking_event":
        query = """
            INSERT INTO stock_tracking_event (picking_id, company_id, carrier_id, occurred_at, status, event_key,
                                              description, create_date, write_date, create_uid, write_uid)
            SELECT s.picking, %(company)s, s.carrier, s.occurred,
                   CASE WHEN s.delivered THEN 'delivered' ELSE 'in_transit' END,
                   'dq-' || s.occurred, 'Benchmark scan', now(), now(), 1, 1
              FROM unnest(%(picking)s::int[], %(carrier)s::int[], %(occurred)s::timestamp[], %(delivered)s::bool[])
                   AS s(picking, carrier, occurred, delivered)
        """
    else:
        query = """
            INSERT INTO dq_event (picking_id, occurred_at, delivered)
            SELECT s.picking, s.occurred, s.delivered
              FROM unnest(%(picking)s::int[], %(carrier)s::int[], %(occurred)s::timestamp[], %(delivered)s::bool[])
                   AS s(picking, carrier, occurred, delivered)
        """
    env.cr.execute(
        query,
        {"company": company.id, "picking": rows[0], "carrier": rows[1], "occurred": rows[2], "delivered": rows[3]},
    )
    return env.cr.rowcount


# ---------------------------------------------------------------------- replay
def replay(env, days, label):
    """Run detection once a day; {picking id: first alarm datetime}. Each day the parcels with
    events since the day before get their tracking summary as known that day."""
    alarms = {}
    previous = days[0] - DAY  # the window's start: no test parcel has an event before it
    begin = time.perf_counter()
    for number, day in enumerate(days, 1):
        if number % 15 == 0:
            print(
                f"  {label}: day {number}/{len(days)}, {len(alarms):,} alarms, {time.perf_counter() - begin:.0f} s",
                file=sys.stderr,
                flush=True,
            )
        env.flush_all()
        env.cr.execute(
            """
            UPDATE stock_picking p
               SET tracking_last_event_date = d.last_event,
                   tracking_status = CASE WHEN d.delivered THEN 'delivered' ELSE 'in_transit' END,
                   tracking_delivered_date = CASE WHEN d.delivered THEN d.last_event END,
                   tracking_last_check = %(day)s
              FROM (SELECT picking_id, MAX(occurred_at) AS last_event, BOOL_OR(delivered) AS delivered
                      FROM dq_event
                     WHERE occurred_at > %(previous)s AND occurred_at <= %(day)s
                  GROUP BY picking_id) d
             WHERE p.id = d.picking_id
            """,
            {"day": day, "previous": previous},
        )
        # The day's events stored as a poll stores them: learned mode reads a parcel's own quiet spells.
        env.cr.execute(
            """
            INSERT INTO stock_tracking_event (picking_id, company_id, carrier_id, occurred_at, status, event_key,
                                              description, create_date, write_date, create_uid, write_uid)
            SELECT d.picking_id, p.company_id, p.carrier_id, d.occurred_at,
                   CASE WHEN d.delivered THEN 'delivered' ELSE 'in_transit' END,
                   'dq-' || d.occurred_at, 'Benchmark scan', now(), now(), 1, 1
              FROM dq_event d
              JOIN stock_picking p ON p.id = d.picking_id
             WHERE d.occurred_at > %(previous)s AND d.occurred_at <= %(day)s
            """,
            {"day": day, "previous": previous},
        )
        env.invalidate_all()
        cases = env["lost.parcel.rule"]._detect_lost_parcels(now=day)
        for picking_id in cases.mapped("picking_id").ids:
            alarms.setdefault(picking_id, day)
        previous = day
    return alarms


def metrics(parcels, picking_ids, alarms, subset=None):
    lost = found = false_alarms = total = 0
    delays = []
    for (index, _shipped, events, delivered), picking_id in zip(parcels, picking_ids, strict=True):
        if subset is not None and index != subset:
            continue
        total += 1
        alarm = alarms.get(picking_id)
        if delivered is None:
            lost += 1
            if alarm:
                found += 1
                delays.append((alarm - events[-1]) / DAY)
        elif alarm:
            false_alarms += 1
    return {
        "parcels": total,
        "lost": lost,
        "found": found,
        "recall": found / lost if lost else None,
        "false_per_1000": 1000 * false_alarms / total if total else 0.0,
        "false": false_alarms,
        "median_days": statistics.median(delays) if delays else None,
    }


def fmt(value, pattern):
    return "-" if value is None else format(value, pattern)


def main():
    args = parse_args()
    registry = boot(args)
    logging.getLogger("odoo").setLevel(logging.WARNING)
    started = time.perf_counter()
    rng = random.Random(args.seed)
    with rolled_back_env(registry) as env:
        company, carriers, partners, rules = setup_world(env)
        # Cron time: detection runs at 06:00 UTC every day.
        today = datetime.now().replace(hour=6, minute=0, second=0, microsecond=0)
        window_start = today - timedelta(days=args.window + args.tail)
        training_start = window_start - timedelta(days=120)
        training = draw_parcels(rng, args.training, training_start, 120, training=True)
        test = draw_parcels(rng, args.parcels, window_start, args.window, training=False)
        training_ids = insert_parcels(env, company, carriers, partners, training, "DQTRAIN", True)
        training_events = insert_events(env, "stock_tracking_event", training, training_ids, company, carriers)
        env.cr.execute("ANALYZE stock_picking; ANALYZE stock_tracking_event")
        lanes = env["lost.parcel.lane"]._compute_lanes(now=window_start)
        test_ids = insert_parcels(env, company, carriers, partners, test, "DQTEST", False)
        env.cr.execute("CREATE TEMPORARY TABLE dq_event (picking_id int, occurred_at timestamp, delivered bool)")
        test_events = insert_events(env, "dq_event", test, test_ids, company, carriers)
        env.cr.execute("CREATE INDEX ON dq_event (occurred_at); ANALYZE dq_event; ANALYZE stock_picking")
        setup_seconds = time.perf_counter() - started
        print(
            f"setup: {len(training):,} training parcels ({training_events:,} events), {len(test):,} test parcels "
            f"({test_events:,} events, {sum(1 for p in test if p[3] is None):,} lost), {len(lanes)} lanes, "
            f"{setup_seconds:.1f} s"
        )
        if args.percentile:
            override_percentile(env, lanes, training, training_ids, args.percentile)
        if args.stalled_floor is not None:
            rules.write({"learned_stalled_floor_days": args.stalled_floor})
        if args.late_floor is not None:
            rules.write({"learned_late_floor_days": args.late_floor})
        if args.late:
            rules.write({"learned_use_late": True})
        if args.no_long_leg:
            for lane in lanes:
                lane.second_gap_p95 = lane.gap_p95
            env.flush_all()
        what_if = {
            "percentile": args.percentile,
            "stalled floor": args.stalled_floor,
            "late floor": args.late_floor,
            "late signal": args.late or None,
            "no long leg": args.no_long_leg or None,
        }
        if any(value is not None for value in what_if.values()):
            print("what-if: " + ", ".join(f"{k} {v}" for k, v in what_if.items() if v is not None))
        days = [window_start + i * DAY for i in range(1, args.window + args.tail + 1)]
        results, seconds = {}, {}
        env.flush_all()
        env.cr.execute("SAVEPOINT dq_replay")
        for mode in args.modes.split(","):
            rules.write({"threshold_mode": mode})
            env.flush_all()
            begin = time.perf_counter()
            results[mode] = replay(env, days, mode)
            seconds[mode] = time.perf_counter() - begin
            env.cr.execute("ROLLBACK TO SAVEPOINT dq_replay")
            env.invalidate_all()
        print_lanes(lanes, carriers, args.percentile or 0.95)
        print_results(test, test_ids, results, seconds, args)
        print(f"total run time: {time.perf_counter() - started:.0f} s")


def percentile(values, fraction):
    """PostgreSQL's PERCENTILE_CONT: linear interpolation between the closest ranks."""
    values = sorted(values)
    rank = (len(values) - 1) * fraction
    low = int(rank)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (rank - low)


def override_percentile(env, lanes, training, training_ids, fraction):
    """What-if: the lanes' ``gap_p95``, ``second_gap_p95`` and ``transit_p95`` set to another
    percentile of the same figures over the same training parcels (longest and second-longest gap
    between consecutive events, shipped to delivered). At 0.95 this reproduces what
    ``_compute_lanes`` stored."""
    samples = defaultdict(lambda: ([], [], []))
    env.cr.execute(
        "SELECT p.id, p.carrier_id, partner.country_id FROM stock_picking p"
        " JOIN res_partner partner ON partner.id = p.partner_id WHERE p.id = ANY(%s)",
        [training_ids],
    )
    keys = {picking_id: (carrier_id, country_id) for picking_id, carrier_id, country_id in env.cr.fetchall()}
    for (_index, shipped, events, delivered), picking_id in zip(training, training_ids, strict=True):
        steps = [*sorted(((b - a) / DAY for a, b in itertools.pairwise(events)), reverse=True), 0.0, 0.0]
        carrier_id, country_id = keys[picking_id]
        for key in ((carrier_id, country_id), (carrier_id, False)):
            samples[key][0].append(steps[0])
            samples[key][1].append((delivered - shipped) / DAY)
            samples[key][2].append(steps[1])
    for lane in lanes:
        gaps, transits, seconds = samples.get((lane.carrier_id.id, lane.country_id.id), ([], [], []))
        if gaps:
            lane.write(
                {
                    "gap_p95": percentile(gaps, fraction),
                    "transit_p95": percentile(transits, fraction),
                    "second_gap_p95": percentile(seconds, fraction),
                }
            )
    env.flush_all()


def print_lanes(lanes, carriers, fraction):
    print("\nlearned lanes (training history), those of the benchmark's carriers:")
    label = f"p{100 * fraction:g}"
    print(f"  {'lane':<44}{'delivered':>10}{'transit ' + label:>13}{'gap ' + label:>9}{'2nd gap ' + label:>13}")
    mine = lanes.filtered(lambda lane: lane.carrier_id.id in [c.id for c in carriers.values()])
    for lane in mine.sorted(lambda lane: (lane.carrier_id.name, lane.country_id.name or "")):
        print(
            f"  {lane.display_name:<44}{lane.delivered:>10,}{lane.transit_p95:>13.1f}{lane.gap_p95:>9.1f}"
            f"{lane.second_gap_p95:>13.1f}"
        )


def print_results(test, test_ids, results, seconds, args):
    modes = list(results)
    figures = {mode: metrics(test, test_ids, results[mode]) for mode in modes}
    titles = {"fixed": "fixed 7/20 days", "learned": "learned lanes"}
    both = modes == ["fixed", "learned"]
    print(f"\n{'':<38}" + "".join(f"{titles[mode]:>22}" for mode in modes) + (f"{'ratio / gain':>20}" if both else ""))
    cells = [f"{m['found']:,} / {m['lost']:,} = {100 * m['recall']:.1f} %" for m in figures.values()]
    extra = f"{100 * (figures['learned']['recall'] - figures['fixed']['recall']):+.1f} pt" if both else ""
    print(f"{'lost parcels found (recall)':<38}" + "".join(f"{c:>22}" for c in cells) + f"{extra:>20}")
    cells = [f"{m['false_per_1000']:.1f} ({m['false']:,})" for m in figures.values()]
    extra = ""
    if both:
        fixed, learned = figures["fixed"]["false_per_1000"], figures["learned"]["false_per_1000"]
        extra = f"{fixed / learned:.2f} x fewer" if learned else "none left"
    print(f"{'false alarms per 1,000 parcels':<38}" + "".join(f"{c:>22}" for c in cells) + f"{extra:>20}")
    cells = [fmt(m["median_days"], ".1f") for m in figures.values()]
    extra = ""
    if both and None not in (figures["fixed"]["median_days"], figures["learned"]["median_days"]):
        extra = f"{figures['fixed']['median_days'] - figures['learned']['median_days']:+.1f} days earlier"
    print(f"{'median days, last event to alarm':<38}" + "".join(f"{c:>22}" for c in cells) + f"{extra:>20}")
    cells = [f"{seconds[mode]:.0f} s" for mode in modes]
    print(f"{'replay time (' + str(args.window + args.tail) + ' days)':<38}" + "".join(f"{c:>22}" for c in cells))
    print("\nper lane (test parcels): recall % / false alarms per 1,000 / median days, " + " | ".join(modes))
    for index, lane in enumerate(LANES):
        row = []
        for mode in modes:
            m = metrics(test, test_ids, results[mode], subset=index)
            recall = fmt(None if m["recall"] is None else 100 * m["recall"], "5.1f")
            row.append(f"{recall} / {m['false_per_1000']:6.1f} / {fmt(m['median_days'], '5.1f')}")
        name = f"{lane.carrier} -> {lane.country} ({metrics(test, test_ids, {}, subset=index)['parcels']:,})"
        print(f"  {name:<44}" + " | ".join(row))


if __name__ == "__main__":
    main()
