import random
import unicodedata
from collections import defaultdict
from datetime import timedelta

from odoo import Command, api, fields, models

from odoo.addons.carrier_connectors.clients.base import TrackingEvent, TrackingResult

# The demo history: (country, [(customer, street, zip, city)], parcels shipped there).
DEMO_CUSTOMERS = [
    (
        "us",
        [
            ("Brandon Freeman", "1 Congress Ave", "73301", "Austin"),
            ("Maya Patel", "240 Kent Ave", "11249", "Brooklyn"),
            ("Luis Ortega", "88 Mission St", "94105", "San Francisco"),
        ],
        60,
    ),
    (
        "ca",
        [
            ("Chloé Tremblay", "1200 Rue Sherbrooke O", "H3A 1H6", "Montréal"),
            ("Liam Wilson", "55 Queen St", "M5C 1R6", "Toronto"),
        ],
        18,
    ),
    ("mx", [("Sofía Hernández", "Av. Reforma 222", "06600", "Ciudad de México")], 14),
    (
        "br",
        [
            ("Ana Souza", "Rua Oscar Freire 900", "01426-001", "São Paulo"),
            ("Pedro Lima", "Av. Atlântica 1702", "22021-001", "Rio de Janeiro"),
        ],
        34,
    ),
    (
        "gb",
        [
            ("Oliver Hughes", "12 Brick Lane", "E1 6RF", "London"),
            ("Amelia Clarke", "3 Deansgate", "M3 2BW", "Manchester"),
        ],
        30,
    ),
    (
        "de",
        [
            ("Jonas Weber", "Unter den Linden 1", "10117", "Berlin"),
            ("Lena Fischer", "Sendlinger Str. 7", "80331", "München"),
        ],
        30,
    ),
    (
        "fr",
        [
            ("Camille Martin", "14 Rue Oberkampf", "75011", "Paris"),
            ("Hugo Bernard", "5 Quai Saint-Antoine", "69002", "Lyon"),
        ],
        24,
    ),
    (
        "nl",
        [
            ("Sem Bakker", "Coolsingel 40", "3011 AD", "Rotterdam"),
            ("Fleur Jansen", "Prinsengracht 263", "1016 GV", "Amsterdam"),
        ],
        20,
    ),
    ("es", [("Lucía García", "Carrer de Mallorca 401", "08013", "Barcelona")], 14),
    ("it", [("Giulia Rossi", "Via Torino 61", "20123", "Milano")], 14),
    ("se", [("Elsa Lindqvist", "Drottninggatan 53", "111 21", "Stockholm")], 10),
    (
        "au",
        [
            ("Charlotte Nguyen", "120 Collins St", "3000", "Melbourne"),
            ("Jack Taylor", "1 Macquarie St", "2000", "Sydney"),
        ],
        16,
    ),
    ("jp", [("Yui Tanaka", "1-2-3 Jingumae", "150-0001", "Tokyo")], 14),
]
# Shipping methods per destination (carrier_connectors demo records), with their weights.
DEMO_CARRIER_MIX = {
    "us": [("usps", 45), ("ups", 30), ("fedex", 25)],
    "ca": [("usps", 35), ("ups", 35), ("fedex", 30)],
    "mx": [("usps", 30), ("fedex", 40), ("dhl", 30)],
    "br": [("fourpx", 55), ("fedex", 25), ("dhl", 20)],
    "gb": [("aftership", 50), ("dhl", 30), ("ups", 20)],
    "eu": [("dhl", 40), ("seventeen_track", 35), ("aftership", 25)],
    "asia": [("sf_express", 45), ("fourpx", 30), ("fedex", 25)],
}
DEMO_REGION = {"de": "eu", "fr": "eu", "nl": "eu", "es": "eu", "it": "eu", "se": "eu", "au": "asia", "jp": "asia"}
# Days a carrier promises: (domestic, international).
DEMO_TRANSIT_DAYS = {
    "usps": (3, 9),
    "ups": (2, 5),
    "fedex": (2, 4),
    "dhl": (2, 4),
    "sf_express": (3, 7),
    "fourpx": (4, 12),
    "seventeen_track": (3, 8),
    "aftership": (3, 7),
}
# Share of parcels a carrier loses; 4PX loses far more to Brazil than anywhere else.
DEMO_LOSS_RATE = {
    "usps": 0.08,
    "ups": 0.03,
    "fedex": 0.05,
    "dhl": 0.05,
    "sf_express": 0.07,
    "fourpx": 0.06,
    "seventeen_track": 0.08,
    "aftership": 0.07,
}
DEMO_LANE_LOSS_RATE = {("fourpx", "br"): 0.4}
DEMO_DELAY_RATE = {"fourpx": 0.3, "usps": 0.15, "seventeen_track": 0.12}
DEMO_TRACKING_PREFIX = {
    "usps": "9400",
    "ups": "1Z",
    "fedex": "7712",
    "dhl": "JD0",
    "sf_express": "SF",
    "fourpx": "4PX",
    "seventeen_track": "LX",
    "aftership": "RM",
}
DEMO_ORIGIN = "Los Angeles, US"
DEMO_CHANNEL_REFS = ["AMZ-{n:03d}-{m:04d}", "EBAY-{m:04d}", "SHOP-{m:05d}", False, False]


def _ascii(text):
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


class LostParcelDemo(models.AbstractModel):
    """Demo data only: what the demo XML cannot say by itself (shipping orders through the
    stock flow, a few months of tracking history, cases in every state). Business code never
    calls it."""

    _name = "lost.parcel.demo"
    _description = "Lost Parcel Demo Data"

    @api.model
    def _ship_with_tracking(self, shipments):
        """Confirm orders and ship them with sandbox tracking numbers, as if the parcels had
        left ``days`` days ago. Polling and detection then run as for real.

        :param list shipments: [(sale.order id, tracking number, days ago)]
        """
        for order_id, tracking_ref, days in shipments:
            order = self.env["sale.order"].browse(order_id)
            order.action_confirm()
            for picking in order.picking_ids.filtered(lambda p: p.picking_type_code == "outgoing"):
                picking.carrier_tracking_ref = tracking_ref
                for move in picking.move_ids:
                    move.quantity = move.product_uom_qty
                picking.move_ids.picked = True
                picking.button_validate()
                picking.date_done = fields.Datetime.now() - timedelta(days=days)

    # ------------------------------------------------------------------ history
    @api.model
    def _generate_history(self, product_ids, scarce_product_id, seed=18):
        """A seller's last 60 days: orders to 13 countries shipped with the eight demo
        carriers through the stock flow, their tracking as polling stores it (no carrier
        called: the sandbox is not running at install time), detection run once, and the
        cases it opened taken to every state (reviewed, confirmed, reshipped, refunded,
        dismissed, closed as false alarms), with a reship waiting for stock and claims.

        :param list product_ids: products sold (in stock)
        :param int scarce_product_id: a product with just the stock the orders take, so its
            reship waits for stock
        """
        rng = random.Random(seed)
        now = fields.Datetime.now().replace(microsecond=0)
        env = self.env(context=dict(self.env.context, tracking_disable=True, mail_create_nolog=True, mail_notrack=True))
        carriers = {provider: env.ref(f"carrier_connectors.demo_carrier_{provider}") for provider in DEMO_TRANSIT_DAYS}
        plans = self._plan_parcels(env, rng, now, carriers)
        products = env["product.product"].browse(product_ids)
        scarce = env["product.product"].browse(scarce_product_id)
        pickings = self._ship_plans(env, rng, plans, products, scarce)
        self._store_history(env, plans, pickings, now)
        cases = env["lost.parcel.rule"]._detect_lost_parcels(now=now)
        # No customer mails for a history: the policy steps are silenced while it is written.
        company = self.env.company
        modes = {step: company[f"lost_parcel_{step}_mode"] for step in ("opened", "reshipped", "refunded")}
        company.write({f"lost_parcel_{step}_mode": "none" for step in modes})
        try:
            self._handle_cases(self.env, rng, plans, cases.with_env(self.env), now, scarce)
        finally:
            company.write({f"lost_parcel_{step}_mode": mode for step, mode in modes.items()})
        return cases

    @api.model
    def _plan_parcels(self, env, rng, now, carriers):
        """Who gets what, with whom, when, and what happens to it (decided before shipping, so
        the scarce product goes into a parcel that will be reshipped)."""
        home = env.company.country_id.code.lower() if env.company.country_id else "us"
        plans = []
        for code, customers, count in DEMO_CUSTOMERS:
            country = env["res.country"].search([("code", "=", code.upper())], limit=1)
            partners = env["res.partner"].create(
                [
                    {
                        "name": name,
                        "email": f"{_ascii(name.split()[0].lower())}.{code}@example.com",
                        "street": street,
                        "zip": zip_code,
                        "city": city,
                        "country_id": country.id,
                    }
                    for name, street, zip_code, city in customers
                ]
            )
            mix = DEMO_CARRIER_MIX.get(code) or DEMO_CARRIER_MIX[DEMO_REGION.get(code, "eu")]
            for _i in range(count):
                provider = rng.choices([p for p, _w in mix], [w for _p, w in mix])[0]
                domestic = code == home
                promised = DEMO_TRANSIT_DAYS[provider][0 if domestic else 1]
                shipped = now - timedelta(days=rng.uniform(1, 60), hours=rng.randint(0, 8))
                loss = DEMO_LANE_LOSS_RATE.get((provider, code), DEMO_LOSS_RATE[provider])
                draw = rng.random()
                if draw < loss:
                    outcome = "lost"
                elif draw < loss + 0.02:
                    outcome = "returned"
                elif draw < loss + 0.05:
                    outcome = "false_alarm"
                else:
                    outcome = "delivered"
                actual = promised - rng.choice([1, 1, 0, 0, 0]) if promised > 2 else promised
                if rng.random() < DEMO_DELAY_RATE.get(provider, 0.06):
                    actual = promised + rng.randint(2, 6)
                partner = rng.choice(partners)
                plans.append(
                    {
                        "partner": partner,
                        "carrier": carriers[provider],
                        "provider": provider,
                        "country": code,
                        "city": f"{partner.city}, {code.upper()}",
                        "domestic": domestic,
                        "shipped": shipped,
                        # Carriers promise a day: late means delivered after it.
                        "promised": (shipped + timedelta(days=promised)).replace(hour=23, minute=59, second=0),
                        "arrives": (shipped + timedelta(days=max(actual, 1))).replace(
                            hour=rng.randint(9, 18), minute=rng.randint(0, 59)
                        ),
                        "outcome": outcome,
                    }
                )
        plans.sort(key=lambda plan: plan["shipped"])
        for number, plan in enumerate(plans, 1):
            keyword = {"lost": "STALLED", "returned": "RETURNED", "false_alarm": "DELIVERED"}.get(plan["outcome"])
            if not keyword:
                keyword = "DELIVERED" if plan["arrives"] <= now else "INTRANSIT"
            plan["ref"] = f"{DEMO_TRACKING_PREFIX[plan['provider']]}{keyword}{number:05d}"
            channel = rng.choice(DEMO_CHANNEL_REFS)
            plan["client_order_ref"] = channel and channel.format(n=rng.randint(100, 999), m=number)
        return plans

    @api.model
    def _ship_plans(self, env, rng, plans, products, scarce):
        """Sell and ship every planned parcel through Odoo's flow, all orders at once."""
        # The scarce product goes into old lost parcels, so one reship finds no stock left.
        lost = [plan for plan in plans if plan["outcome"] == "lost"]
        for plan in plans:
            plan["lines"] = [(rng.choice(products), rng.choice([1, 1, 1, 2]))]
            if rng.random() < 0.25:
                other = rng.choice(products)
                if other != plan["lines"][0][0]:
                    plan["lines"].append((other, 1))
        for plan in lost[:2]:
            plan["lines"].append((scarce, 1))
        needed = defaultdict(float)
        for plan in plans:
            for product, qty in plan["lines"]:
                needed[product] += qty
        stock = env.ref("stock.stock_location_stock")
        quants = env["stock.quant"].with_context(inventory_mode=True)
        for product, qty in needed.items():
            extra = 0 if product == scarce else 50
            quants.create(
                {"product_id": product.id, "location_id": stock.id, "inventory_quantity": qty + extra}
            ).action_apply_inventory()
        orders = env["sale.order"].create(
            [
                {
                    "partner_id": plan["partner"].id,
                    "carrier_id": plan["carrier"].id,
                    "client_order_ref": plan["client_order_ref"],
                    "order_line": [
                        Command.create({"product_id": product.id, "product_uom_qty": qty})
                        for product, qty in plan["lines"]
                    ]
                    + [
                        Command.create(
                            {
                                "product_id": plan["carrier"].product_id.id,
                                "name": plan["carrier"].name,
                                "product_uom_qty": 1,
                                "price_unit": plan["carrier"].fixed_price,
                                "is_delivery": True,
                            }
                        )
                    ],
                }
                for plan in plans
            ]
        )
        orders.action_confirm()
        pickings = env["stock.picking"]
        for plan, order in zip(plans, orders, strict=True):
            picking = order.picking_ids.filtered(lambda p: p.picking_type_code == "outgoing")
            picking.carrier_tracking_ref = plan["ref"]
            plan["order"], plan["picking"] = order, picking
            pickings |= picking
        for move in pickings.move_ids:
            move.quantity = move.product_uom_qty
        pickings.move_ids.picked = True
        pickings.with_context(skip_backorder=True, skip_sms=True).button_validate()
        # What validation wrote goes to the database first, or it would overwrite the dates.
        env.flush_all()
        for plan in plans:
            shipped = plan["shipped"]
            self.env.cr.execute(
                "UPDATE stock_picking SET date_done = %s, scheduled_date = %s, date_deadline = NULL WHERE id = %s",
                [shipped, shipped, plan["picking"].id],
            )
            self.env.cr.execute("UPDATE stock_move SET date = %s WHERE picking_id = %s", [shipped, plan["picking"].id])
            self.env.cr.execute(
                "UPDATE sale_order SET date_order = %s, create_date = %s WHERE id = %s",
                [shipped - timedelta(hours=20), shipped - timedelta(hours=20), plan["order"].id],
            )
        env.invalidate_all()
        return pickings

    # ------------------------------------------------------------------ tracking
    @api.model
    def _events(self, plan, now, until=None):
        """The parcel's tracking events as the carrier would list them, up to ``until``."""
        shipped, dest, intl = plan["shipped"], plan["city"], not plan["domestic"]
        steps = [
            (shipped - timedelta(hours=3), "info_received", "", "Shipment information received", DEMO_ORIGIN),
            (shipped + timedelta(hours=4), "in_transit", "", "Picked up", DEMO_ORIGIN),
            (shipped + timedelta(hours=22), "in_transit", "", "Departed origin facility", DEMO_ORIGIN),
        ]
        outcome = plan["outcome"]
        if outcome == "lost":
            if intl:
                steps.append((shipped + timedelta(days=2), "in_transit", "", "In transit to destination country", ""))
            lost_scan = shipped + timedelta(days=12)
            if plan.get("lost_scan") and lost_scan < now:
                steps.append((lost_scan, "exception", "lost", "Parcel could not be located", ""))
            return [step for step in steps if step[0] <= (until or now)]
        arrives = plan["arrives"]
        if intl:
            steps.append((shipped + timedelta(days=2), "in_transit", "", "Arrived in destination country", dest))
            steps.append((shipped + timedelta(days=2, hours=9), "in_transit", "", "Cleared customs", dest))
        if outcome == "returned":
            attempt = arrives
            steps += [
                (attempt, "failed_attempt", "", "Delivery attempted: addressee unknown", dest),
                (attempt + timedelta(days=3), "returning", "returned", "Returning to sender", dest),
                (attempt + timedelta(days=12), "returned", "returned", "Returned to sender", DEMO_ORIGIN),
            ]
        elif outcome == "false_alarm":
            # Nothing for weeks (a customs hold), then delivered after all.
            late = shipped + timedelta(days=27 if intl else 10)
            steps += [
                (late - timedelta(hours=6), "out_for_delivery", "", "Out for delivery", dest),
                (late, "delivered", "", "Delivered", dest),
            ]
        else:
            steps += [
                (arrives - timedelta(hours=20), "in_transit", "", "Arrived at delivery facility", dest),
                (arrives - timedelta(hours=5), "out_for_delivery", "", "Out for delivery", dest),
                (arrives, "delivered", "", "Delivered", dest),
            ]
        return [step for step in steps if step[0] <= (until or now)]

    @api.model
    def _tracking_result(self, plan, now, until=None):
        events = [
            TrackingEvent(
                occurred_at=when,
                status=status,
                raw_code=status.upper(),
                description=description,
                location=location,
                exception_kind=kind,
            )
            for when, status, kind, description, location in self._events(plan, now, until)
        ]
        last = events[-1]
        return TrackingResult(
            plan["ref"],
            status=last.status,
            raw_status=last.raw_code,
            events=events,
            eta=plan["promised"],
            promised_at=plan["promised"],
            delivered_at=last.occurred_at if last.status == "delivered" else None,
            exception_kind=last.exception_kind,
        )

    @api.model
    def _store_history(self, env, plans, pickings, now):
        """Store every parcel's tracking as a poll stores it; parcels closed as false alarms
        are stored as they looked while stalled (they move again after detection)."""
        for number, plan in enumerate(plans):
            # Half the lost parcels get the carrier's "lost" scan, the others just stall.
            plan["lost_scan"] = plan["outcome"] == "lost" and number % 2 == 0
        results = {}
        for plan in plans:
            until = None
            if plan["outcome"] == "false_alarm":
                until = plan["shipped"] + timedelta(days=3)
            results[plan["picking"].id] = self._tracking_result(plan, now, until)
        pickings._apply_tracking_results(results)
        # The history stays as it is until someone polls: not due for a few days (a poll
        # against the sandbox would add its own timeline, relative to now).
        open_ids = pickings.filtered(lambda p: p.tracking_next_check).ids
        env.flush_all()
        if open_ids:
            self.env.cr.execute(
                "UPDATE stock_picking SET tracking_next_check = %s, tracking_last_check = %s WHERE id IN %s",
                [now + timedelta(days=3), now - timedelta(hours=2), tuple(open_ids)],
            )
        env.invalidate_all()

    # ------------------------------------------------------------------ cases
    @api.model
    def _handle_cases(self, env, rng, plans, cases, now, scarce):
        """Take the cases detection opened through the case methods, as a team would have."""
        plan_of = {plan["picking"].id: plan for plan in plans}
        cases = cases.sorted(lambda c: c.picking_id.date_done)
        # Detected at the first signal: a few days after the parcel's last news.
        for case in cases:
            plan = plan_of.get(case.picking_id.id)
            if plan:
                plan["detected"] = min(now - timedelta(hours=1), case.tracking_last_event_date + timedelta(days=6))
        # Parcels that moved again: the carrier's news closes their case as a false alarm.
        moved = [
            plan_of[c.picking_id.id] for c in cases if plan_of.get(c.picking_id.id, {}).get("outcome") == "false_alarm"
        ]
        results = {plan["picking"].id: self._tracking_result(plan, now) for plan in moved}
        if results:
            pickings = env["stock.picking"].browse(list(results))
            pickings._apply_tracking_results(results)
        returned = cases.filtered(lambda c: plan_of.get(c.picking_id.id, {}).get("outcome") == "returned")
        lost = cases.filtered(lambda c: plan_of.get(c.picking_id.id, {}).get("outcome") == "lost")
        others = cases - returned - lost
        for case in (returned | lost).filtered(lambda c: c.state == "detected"):
            case.message_post(
                body=env._(
                    "Re-verified with the carrier: no movement (%(status)s, last event %(date)s).",
                    status=case.tracking_status,
                    date=fields.Datetime.to_string(case.tracking_last_event_date),
                ),
                subtype_xmlid="mail.mt_note",
            )
        (returned | lost).write({"state": "to_review"})
        # Returned to us: nothing lost, the customer service team handles it.
        for case in returned:
            case._dismiss(env._("Returned to us undelivered: the customer corrected the address and reordered."))
        # The newest stay detected or under review; the older ones were decided.
        lost = lost.sorted(lambda c: c.picking_id.date_done)
        # lost[-5:-2] stay to review.
        fresh, decided = lost[-2:], lost[:-5]
        fresh.write({"state": "detected"})
        for case in decided:
            ref = f"{DEMO_TRACKING_PREFIX[plan_of[case.picking_id.id]['provider']]}-LOSS-{case.id:04d}"
            case._confirm_lost(fields.Date.to_date(plan_of[case.picking_id.id]["detected"] + timedelta(days=1)), ref)
        scarce_cases = decided.filtered(lambda c: scarce in c.picking_id.move_ids.product_id)
        refunded = (decided - scarce_cases)[1:4]
        still_confirmed = (decided - scarce_cases - refunded)[-4:]
        to_reship = decided - refunded - still_confirmed
        for case in refunded:
            case._refund(env._("The customer asked for a refund instead of a new parcel."))
        Reship = env["lost.parcel.reship"]
        errors = Reship._reship_many(to_reship)
        reshipped = to_reship.filtered(lambda c: c.state == "reshipped" and c not in errors)
        # Reships that left (all but the newest and the one waiting for stock) are validated
        # with their new tracking number and delivered.
        ready = reshipped.filtered(lambda c: c.reship_picking_id.state == "assigned" and not c.reship_shortage)[:-2]
        results = {}
        for case in ready:
            picking = case.reship_picking_id
            plan = dict(plan_of[case.picking_id.id])
            shipped = plan["detected"] + timedelta(days=1, hours=3)
            days = DEMO_TRANSIT_DAYS[case.reship_carrier_id.tracking_account_id.provider or "dhl"][
                0 if plan["domestic"] else 1
            ]
            plan.update(
                outcome="delivered",
                shipped=shipped,
                promised=shipped + timedelta(days=days),
                arrives=shipped + timedelta(days=days, hours=4),
                ref=f"{DEMO_TRACKING_PREFIX.get(case.reship_carrier_id.tracking_account_id.provider, 'RS')}"
                f"DELIVERED{case.id:05d}R",
            )
            picking.carrier_tracking_ref = plan["ref"]
            for move in picking.move_ids:
                move.quantity = move.product_uom_qty
            picking.move_ids.picked = True
            picking.with_context(skip_backorder=True, skip_sms=True).button_validate()
            env.flush_all()
            self.env.cr.execute("UPDATE stock_picking SET date_done = %s WHERE id = %s", [shipped, picking.id])
            if plan["arrives"] < now:
                results[picking.id] = self._tracking_result(plan, now)
        env.invalidate_all()
        # Stored without the status hooks: the delivered reships' rating requests are mails too.
        Event = env["stock.tracking.event"]
        for picking_id, result in results.items():
            picking = env["stock.picking"].browse(picking_id)
            picking.write(picking._prepare_tracking_vals(result, now))
            Event.create([Event._prepare_event_vals(picking_id, event) for event in result.events])
        # Claims filed and waiting for an answer; one paid back when it claims an amount.
        Claim = env["lost.parcel.claim"]
        claimable = (still_confirmed | reshipped).filtered("can_be_claimed")
        claims, _errors = Claim._create_from_cases(claimable[-3:])
        for claim in claims:
            claim._mark_submitted(fields.Date.today() - timedelta(days=rng.randint(1, 6)), f"CLM-{claim.id:05d}")
        paid = claims.filtered("amount_requested")[:1]
        if len(claims) > 1 and paid:
            paid._record_decision("accepted")
            paid._record_payment(paid.amount_approved)
        self._backdate_cases(plan_of, cases, now)
        return others

    @api.model
    def _backdate_cases(self, plan_of, cases, now):
        """Cases were opened and handled over the period, not all at install time."""
        self.env.flush_all()
        for case in cases:
            plan = plan_of.get(case.picking_id.id)
            if not plan or "detected" not in plan:
                continue
            detected = plan["detected"]
            decided = min(now - timedelta(minutes=30), detected + timedelta(days=1))
            self.env.cr.execute(
                """
                UPDATE lost_parcel_case
                   SET detected_date = %(detected)s, create_date = %(detected)s,
                       confirmed_at = CASE WHEN confirmed_at IS NOT NULL THEN %(decided)s END,
                       closed_date = CASE WHEN closed_date IS NOT NULL THEN %(closed)s END,
                       reship_date = CASE WHEN reship_date IS NOT NULL THEN %(closed)s END
                 WHERE id = %(id)s
                """,
                {
                    "id": case.id,
                    "detected": detected,
                    "decided": decided,
                    "closed": min(now - timedelta(minutes=10), decided + timedelta(hours=3)),
                },
            )
        cases.invalidate_recordset()
