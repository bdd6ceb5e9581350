from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

SIGNALS = [
    ("stalled", "Tracking stalled"),
    ("late", "Later than the lane's normal"),
    ("no_record", "No carrier record"),
    ("eta_overdue", "ETA overdue"),
    ("exception", "Carrier exception"),
    ("inquiry", "Customer inquiries"),
    ("buyer_claim", "Buyer claim on the store"),
]


class LostParcelRule(models.Model):
    """When a shipped parcel is probably lost. Every signal of every active rule that matches
    a parcel becomes a reason on its case; a parcel gets one open case."""

    _name = "lost.parcel.rule"
    _description = "Lost Parcel Detection Rule"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    carrier_ids = fields.Many2many(
        "delivery.carrier", string="Shipping Methods", help="Leave empty to apply to every shipping method."
    )
    scope = fields.Selection(
        [("all", "All destinations"), ("domestic", "Domestic"), ("international", "International")],
        default="all",
        required=True,
        help="Domestic: the delivery address is in the company's country.",
    )
    country_ids = fields.Many2many("res.country", string="Destination Countries", help="Empty: every country.")
    min_age_days = fields.Integer(
        "Minimum Days Since Shipping", default=2, help="Parcels shipped more recently are never flagged."
    )
    stalled_days = fields.Integer(
        "Stalled After (days)", default=7, help="No new tracking event for more than this many days. 0 disables."
    )
    no_record_days = fields.Integer(
        "No Carrier Record After (days)",
        default=7,
        help="The carrier still does not know the number this many days after shipping (a wrong or unused "
        "label, or a parcel never handed over). 0 disables.",
    )
    eta_overdue_days = fields.Integer(
        "ETA Overdue By (days)", default=3, help="The carrier's expected delivery passed this long ago. 0 disables."
    )
    threshold_mode = fields.Selection(
        [("fixed", "Fixed days"), ("learned", "Learned per lane")],
        "Stalled and Late Thresholds",
        default="fixed",
        required=True,
        help="Learned per lane: a parcel is stalled when its quiet spell exceeds what 95% of the carrier's "
        "delivered parcels to that destination never exceeded; once it has been through a quiet spell longer than "
        "the lane's second-longest one (its long leg: a flight, a ship, customs), when it exceeds the lane's "
        "second-longest quiet spell (see Lane Normals). A lane with too few deliveries falls back to the carrier's "
        "figures over all its destinations, then to the fixed days.",
    )
    learned_min_deliveries = fields.Integer(
        "Minimum Deliveries per Lane", default=30, help="A lane with fewer delivered parcels is not trusted."
    )
    learned_stalled_floor_days = fields.Float(
        "Stalled Floor (days)",
        default=4.0,
        help="Learned mode: never stalled before this many days without an event (a long weekend without scans is "
        "normal on every lane).",
    )
    learned_use_late = fields.Boolean(
        "Late Signal",
        help="Learned mode: also flag a parcel in transit longer than 95% of its lane's delivered parcels took, once "
        "it has been quiet for the stalled floor too (late but still scanning is rarely lost).",
    )
    learned_late_floor_days = fields.Float(
        "Late Floor (days)", default=3.0, help="Learned mode: never late before this many days in transit."
    )
    use_exceptions = fields.Boolean("Carrier Exceptions", default=True)
    exception_kind_ids = fields.Many2many(
        "lost.parcel.exception.kind",
        string="Exception Signals",
        default=lambda self: self.env["lost.parcel.exception.kind"].search([]),
    )
    exception_raw_codes = fields.Char(
        "Carrier Raw Codes", help="Comma-separated raw status codes that also count, e.g. 68,149 for UPS."
    )
    inquiry_count = fields.Integer(
        "Days with Customer Messages",
        default=2,
        help="The customer wrote about the parcel on at least this many different days. 0 disables.",
    )
    inquiry_days = fields.Integer("Within (days)", default=7)
    use_buyer_claims = fields.Boolean(
        "Buyer Claims on Stores",
        default=True,
        help="An open 'item not received' claim of the buyer on the store (Shopify dispute, eBay inquiry, or one "
        "recorded by hand) flags the parcel.",
    )
    auto_confirm = fields.Boolean(help="Confirm cheap parcels as lost without review once re-verified.")
    auto_confirm_max_value = fields.Monetary(
        "Auto-confirm Below", currency_field="currency_id", help="Goods value at sale price."
    )
    auto_confirm_stalled_days = fields.Integer("Auto-confirm When Stalled (days)", default=14)

    @api.constrains(
        "min_age_days",
        "stalled_days",
        "no_record_days",
        "eta_overdue_days",
        "inquiry_count",
        "inquiry_days",
        "learned_min_deliveries",
        "learned_stalled_floor_days",
        "learned_late_floor_days",
    )
    def _check_thresholds(self):
        for rule in self:
            values = [
                rule.min_age_days,
                rule.stalled_days,
                rule.no_record_days,
                rule.eta_overdue_days,
                rule.inquiry_count,
                rule.inquiry_days,
            ]
            values += [rule.learned_min_deliveries, rule.learned_stalled_floor_days, rule.learned_late_floor_days]
            if any(value < 0 for value in values):
                raise ValidationError(self.env._("Rule %s: day counts and thresholds cannot be negative.", rule.name))
            if rule.inquiry_count and not rule.inquiry_days:
                raise ValidationError(self.env._("Rule %s: customer inquiries need a period in days.", rule.name))

    # ------------------------------------------------------------------ detection
    def _candidate_domain(self, now, picking_ids=None):
        """Shipped parcels this rule watches: not delivered, old enough, no open case (among
        ``picking_ids`` only, when given: the parcels with news from the carrier)."""
        self.ensure_one()
        domain = [("id", "in", list(picking_ids))] if picking_ids is not None else []
        domain += [
            ("company_id", "=", self.company_id.id),
            ("state", "=", "done"),
            ("picking_type_code", "=", "outgoing"),
            ("carrier_tracking_ref", "!=", False),
            ("tracking_status", "!=", "delivered"),
            ("date_done", "<=", now - timedelta(days=self.min_age_days)),
            ("lost_parcel_case_ids", "not any", [("state", "!=", "false_alarm")]),
        ]
        if self.carrier_ids:
            domain.append(("carrier_id", "in", self.carrier_ids.ids))
        if self.country_ids:
            domain.append(("partner_id.country_id", "in", self.country_ids.ids))
        home = self.company_id.country_id.id
        if self.scope == "domestic":
            domain.append(("partner_id.country_id", "=", home))
        elif self.scope == "international":
            domain += ["|", ("partner_id.country_id", "=", False), ("partner_id.country_id", "!=", home)]
        return domain

    def _signal_domains(self, now):
        self.ensure_one()
        domains = {}
        if self.stalled_days and self.threshold_mode == "fixed":
            limit = now - timedelta(days=self.stalled_days)
            # Stalled needs an event to stall after: a number without any is "no carrier record".
            domains["stalled"] = [
                ("tracking_status", "not in", ("returned", "expired")),
                ("tracking_last_event_date", "<", limit),
            ]
        if self.no_record_days:
            domains["no_record"] = [
                ("tracking_last_event_date", "=", False),
                ("tracking_last_check", "!=", False),
                ("date_done", "<", now - timedelta(days=self.no_record_days)),
            ]
        if self.eta_overdue_days:
            # The first promise or the latest estimate: a carrier moving its estimate later must
            # not hide a missed first promise.
            limit = now - timedelta(days=self.eta_overdue_days)
            domains["eta_overdue"] = ["|", ("tracking_promised_date", "<", limit), ("tracking_eta", "<", limit)]
        if self.use_exceptions:
            statuses = self.exception_kind_ids.filtered(lambda k: k.match_on == "status").mapped("status")
            kinds = self.exception_kind_ids.filtered(lambda k: k.match_on == "kind").mapped("exception_kind")
            codes = [code.strip() for code in (self.exception_raw_codes or "").split(",") if code.strip()]
            alternatives = [
                [(field, "in", values)]
                for field, values in (
                    ("tracking_status", statuses),
                    ("tracking_exception_kind", kinds),
                    ("tracking_raw_status", codes),
                )
                if values
            ]
            if alternatives:
                domains["exception"] = ["|"] * (len(alternatives) - 1) + [leaf for alt in alternatives for leaf in alt]
        return domains

    def _inquiry_counts(self, candidates_query, now):
        """{picking id: days with customer messages about it} for parcels over the rule's
        threshold, in one query: messages on the delivery, its sale order or its lost-parcel
        cases, written by the customer (or anyone of the customer's company). Days, not
        messages: ten clicks or mails in one afternoon are one inquiry."""
        self.ensure_one()
        self.env["mail.message"].flush_model(["model", "res_id", "message_type", "date", "author_id"])
        self.env["stock.picking"].flush_model(["sale_id", "partner_id"])
        self.env["lost.parcel.case"].flush_model(["picking_id"])
        rows = self.env.execute_query(
            SQL(
                """
                SELECT p.id, COUNT(DISTINCT m.date::date)
                  FROM stock_picking p
                  JOIN res_partner customer ON customer.id = p.partner_id
                  JOIN mail_message m ON (
                           (m.model = 'stock.picking' AND m.res_id = p.id)
                        OR (m.model = 'sale.order' AND m.res_id = p.sale_id)
                        OR (m.model = 'lost.parcel.case'
                            AND m.res_id IN (SELECT c.id FROM lost_parcel_case c WHERE c.picking_id = p.id)))
                  JOIN res_partner author ON author.id = m.author_id
                 WHERE p.id IN %(candidates)s
                   AND m.message_type IN ('email', 'comment')
                   AND m.date >= %(since)s
                   AND COALESCE(author.commercial_partner_id, author.id)
                       = COALESCE(customer.commercial_partner_id, customer.id)
              GROUP BY p.id
                HAVING COUNT(DISTINCT m.date::date) >= %(threshold)s
                """,
                candidates=candidates_query.subselect(),
                since=now - timedelta(days=self.inquiry_days),
                threshold=self.inquiry_count,
            )
        )
        return dict(rows)

    def _evaluate(self, now, picking_ids=None):
        """{picking id: {signal: extra}} for this rule (among ``picking_ids`` when given); a fixed
        number of queries, however many parcels."""
        self.ensure_one()
        Picking = self.env["stock.picking"]
        candidate_domain = self._candidate_domain(now, picking_ids)
        matches = defaultdict(dict)
        for signal, domain in self._signal_domains(now).items():
            for picking_id in Picking._search(candidate_domain + domain):
                matches[picking_id][signal] = None
        if self.threshold_mode == "learned":
            for picking_id, signals in self._learned_matches(Picking._search(candidate_domain), now).items():
                matches[picking_id].update(signals)
        if self.inquiry_count:
            for picking_id, count in self._inquiry_counts(Picking._search(candidate_domain), now).items():
                matches[picking_id]["inquiry"] = count
        if self.use_buyer_claims:
            for picking_id, claim in self._buyer_claim_matches(Picking._search(candidate_domain)).items():
                matches[picking_id]["buyer_claim"] = claim
        return matches

    def _buyer_claim_matches(self, candidates_query):
        """{picking id: the earliest open buyer claim's values} for candidates with an open claim
        on the store, in one query."""
        self.ensure_one()
        claims = (
            self.env["lost.parcel.buyer.claim"]
            .sudo()
            .search_read(
                [("state", "=", "open"), ("picking_id", "in", candidates_query)],
                ["picking_id", "claim_ref", "opened_at", "respond_by"],
                order="opened_at, id",
                load=None,
            )
        )
        matches = {}
        for claim in claims:
            matches.setdefault(claim.pop("picking_id"), claim)
        return matches

    def _learned_matches(self, candidates_query, now):
        """{picking id: {"stalled"/"late": {"lane_id", "threshold"[, "after_quiet"]}}} for parcels past
        their lane's normal, in one query: each candidate with its country lane, else its
        carrier-wide lane (when they have enough deliveries), and the longest quiet spell of its
        own events so far, compared here with the rule's floors.

        Stalled: days since the last event over the lane's 95th percentile quiet spell, or over
        its 95th percentile second-longest quiet spell once the parcel has had a quiet spell
        longer than that (its long leg is behind it: ``after_quiet`` is that spell); without a
        trusted lane, the rule's fixed days. Late (when the rule uses it): days since shipping over
        the lane's 95th percentile transit, once quiet for the stalled floor too; without a trusted
        lane, not measured (ETA overdue still applies).
        """
        self.ensure_one()
        self.env["lost.parcel.lane"].flush_model()
        self.env["stock.picking"].flush_model(["tracking_last_event_date", "tracking_status", "date_done"])
        self.env["stock.tracking.event"].flush_model(["picking_id", "occurred_at"])
        rows = self.env.execute_query(
            SQL(
                """
                SELECT p.id, p.date_done, p.tracking_last_event_date, p.tracking_status,
                       COALESCE(country_lane.id, carrier_lane.id),
                       COALESCE(country_lane.gap_p95, carrier_lane.gap_p95),
                       COALESCE(country_lane.second_gap_p95, carrier_lane.second_gap_p95),
                       COALESCE(country_lane.transit_p95, carrier_lane.transit_p95),
                       own.longest
                  FROM stock_picking p
                  LEFT JOIN res_partner partner ON partner.id = p.partner_id
                  LEFT JOIN lost_parcel_lane country_lane
                         ON country_lane.company_id = p.company_id
                        AND country_lane.carrier_id = p.carrier_id
                        AND country_lane.country_id = partner.country_id
                        AND country_lane.delivered >= %(min)s
                  LEFT JOIN lost_parcel_lane carrier_lane
                         ON carrier_lane.company_id = p.company_id
                        AND carrier_lane.carrier_id = p.carrier_id
                        AND carrier_lane.country_id IS NULL
                        AND carrier_lane.delivered >= %(min)s
                  LEFT JOIN LATERAL (
                        SELECT MAX(steps.gap) AS longest
                          FROM (
                            SELECT EXTRACT(EPOCH FROM e.occurred_at - LAG(e.occurred_at) OVER (ORDER BY e.occurred_at))
                                       / 86400.0 AS gap
                              FROM stock_tracking_event e
                             WHERE e.picking_id = p.id AND e.occurred_at <= %(now)s
                          ) steps
                  ) own ON TRUE
                 WHERE p.id IN %(candidates)s
                """,
                min=max(self.learned_min_deliveries, 1),
                now=now,
                candidates=candidates_query.subselect(),
            )
        )
        matches = defaultdict(dict)
        day = timedelta(days=1)
        floor = self.learned_stalled_floor_days
        for picking_id, shipped, last_event, status, lane_id, gap_p95, second_gap_p95, transit_p95, longest in rows:
            quiet = (now - last_event) / day if last_event else None
            if last_event and status not in ("returned", "expired"):
                after_quiet = None
                if lane_id and gap_p95:
                    threshold = max(gap_p95, floor)
                    second = max(second_gap_p95 or 0.0, floor)
                    if longest and longest > second and second < threshold:
                        # Its long leg is behind it: what is left is the lane's second-longest spell.
                        threshold, after_quiet = second, longest
                else:
                    lane_id, threshold = False, self.stalled_days
                if threshold and quiet > threshold:
                    matches[picking_id]["stalled"] = {"lane_id": lane_id, "threshold": threshold}
                    if after_quiet:
                        matches[picking_id]["stalled"]["after_quiet"] = after_quiet
            if self.learned_use_late and lane_id and transit_p95 and shipped and quiet is not None and quiet >= floor:
                threshold = max(transit_p95, self.learned_late_floor_days)
                if (now - shipped) / day > threshold:
                    matches[picking_id]["late"] = {"lane_id": lane_id, "threshold": threshold}
        return matches

    @api.model
    def _detect_lost_parcels(self, now=None, picking_ids=None):
        """Run every active rule and open one case per newly flagged parcel: over every shipped
        parcel (the scheduled full run), or over ``picking_ids`` only (the parcels whose tracking
        just changed), with the same queries either way."""
        now = now or fields.Datetime.now()
        found = defaultdict(list)  # picking id -> [(rule, signal, extra)]
        if picking_ids is not None and not picking_ids:
            return self.env["lost.parcel.case"]
        for rule in self.search([]):
            for picking_id, signals in rule._evaluate(now, picking_ids).items():
                found[picking_id] += [(rule, signal, extra) for signal, extra in signals.items()]
        if not found:
            return self.env["lost.parcel.case"]
        return self.env["lost.parcel.case"]._create_from_detection(found, now)
