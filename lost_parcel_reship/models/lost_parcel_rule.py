from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

SIGNALS = [
    ("stalled", "Tracking stalled"),
    ("no_record", "No carrier record"),
    ("eta_overdue", "ETA overdue"),
    ("exception", "Carrier exception"),
    ("inquiry", "Customer inquiries"),
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
    auto_confirm = fields.Boolean(help="Confirm cheap parcels as lost without review once re-verified.")
    auto_confirm_max_value = fields.Monetary(
        "Auto-confirm Below", currency_field="currency_id", help="Goods value at sale price."
    )
    auto_confirm_stalled_days = fields.Integer("Auto-confirm When Stalled (days)", default=14)

    @api.constrains(
        "min_age_days", "stalled_days", "no_record_days", "eta_overdue_days", "inquiry_count", "inquiry_days"
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
            if any(value < 0 for value in values):
                raise ValidationError(self.env._("Rule %s: day counts and thresholds cannot be negative.", rule.name))
            if rule.inquiry_count and not rule.inquiry_days:
                raise ValidationError(self.env._("Rule %s: customer inquiries need a period in days.", rule.name))

    # ------------------------------------------------------------------ detection
    def _candidate_domain(self, now):
        """Shipped parcels this rule watches: not delivered, old enough, no open case."""
        self.ensure_one()
        domain = [
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
        if self.stalled_days:
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
            domains["eta_overdue"] = [("tracking_eta", "<", now - timedelta(days=self.eta_overdue_days))]
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

    def _evaluate(self, now):
        """{picking id: {signal: extra}} for this rule; a fixed number of queries."""
        self.ensure_one()
        Picking = self.env["stock.picking"]
        candidate_domain = self._candidate_domain(now)
        matches = defaultdict(dict)
        for signal, domain in self._signal_domains(now).items():
            for picking_id in Picking._search(candidate_domain + domain):
                matches[picking_id][signal] = None
        if self.inquiry_count:
            for picking_id, count in self._inquiry_counts(Picking._search(candidate_domain), now).items():
                matches[picking_id]["inquiry"] = count
        return matches

    @api.model
    def _detect_lost_parcels(self, now=None):
        """Run every active rule and open one case per newly flagged parcel."""
        now = now or fields.Datetime.now()
        found = defaultdict(list)  # picking id -> [(rule, signal, extra)]
        for rule in self.search([]):
            for picking_id, signals in rule._evaluate(now).items():
                found[picking_id] += [(rule, signal, extra) for signal, extra in signals.items()]
        if not found:
            return self.env["lost.parcel.case"]
        return self.env["lost.parcel.case"]._create_from_detection(found, now)
