from odoo import api, fields, models
from odoo.tools import format_date, formatLang

from odoo.addons.carrier_connectors.clients.status import STATUS_SELECTION

from .lost_parcel_rule import SIGNALS


class LostParcelCaseReason(models.Model):
    """Why a parcel was flagged: what detection saw, stored as data (signal, dates, figures,
    the rule's threshold) and put into words in the reader's language."""

    _name = "lost.parcel.case.reason"
    _description = "Why a Parcel Was Flagged"
    _order = "score desc, id"

    case_id = fields.Many2one("lost.parcel.case", required=True, ondelete="cascade", index=True)
    rule_id = fields.Many2one("lost.parcel.rule", ondelete="set null")
    signal = fields.Selection(SIGNALS, required=True)
    signal_date = fields.Datetime(help="When the signal first held (a threshold crossed, the carrier's news).")
    score = fields.Integer()
    # What detection saw, for the words below and for reports.
    days = fields.Integer(help="Days without an event, past the promise, since shipping, or with customer messages.")
    threshold_days = fields.Float(digits=(16, 1), help="The threshold the parcel went past, in days.")
    lane_id = fields.Many2one(
        "lost.parcel.lane", "Lane Normal", ondelete="set null", help="The lane whose normal gave the threshold."
    )
    after_quiet_days = fields.Float(
        "Long Leg Behind (days)",
        digits=(16, 1),
        help="Stalled on a learned lane: the longest quiet spell the parcel had already been through, when the "
        "threshold was the lane's second-longest quiet spell.",
    )
    period_days = fields.Integer(help="Customer inquiries: the period the messages were counted over, in days.")
    reference_date = fields.Datetime(help="The last tracking event, or the carrier's promised date.")
    tracking_status = fields.Selection(STATUS_SELECTION, help="What the carrier reported.")
    raw_code = fields.Char("Carrier Code")
    exception_kind_ids = fields.Many2many("lost.parcel.exception.kind", string="Loss Signals Matched")
    evidence = fields.Char(compute="_compute_evidence", help="What was seen, in the reader's language.")
    suggested_action = fields.Char(compute="_compute_evidence")

    @api.depends_context("lang")
    @api.depends(
        "signal",
        "days",
        "threshold_days",
        "period_days",
        "reference_date",
        "raw_code",
        "exception_kind_ids",
        "lane_id",
        "after_quiet_days",
    )
    def _compute_evidence(self):
        for reason in self:
            reason.evidence, reason.suggested_action = reason._describe()

    def _format_days(self, days):
        return formatLang(self.env, days or 0.0, digits=1).removesuffix(".0").removesuffix(",0")

    def _describe(self):
        """(evidence, suggested action) in the reader's language."""
        self.ensure_one()
        _ = self.env._
        if self.signal == "stalled":
            evidence = _(
                "No tracking event for %(days)s days (threshold %(limit)s days)",
                days=self.days,
                limit=self._format_days(self.threshold_days),
            )
            if self.lane_id and self.after_quiet_days:
                evidence += " " + _(
                    "- it already went %(spell)s days without an event (its long leg), and on %(lane)s, 95%% of "
                    "%(count)s delivered parcels never had a second quiet spell over %(limit)s days",
                    spell=self._format_days(self.after_quiet_days),
                    lane=self.lane_id.display_name,
                    count=self.lane_id.delivered,
                    limit=self._format_days(self.lane_id.second_gap_p95),
                )
            elif self.lane_id:
                evidence += " " + _(
                    "- on %(lane)s, 95%% of %(count)s delivered parcels never went %(limit)s days without an event",
                    lane=self.lane_id.display_name,
                    count=self.lane_id.delivered,
                    limit=self._format_days(self.lane_id.gap_p95),
                )
            return evidence, _("Ask the carrier to trace the parcel.")
        if self.signal == "late":
            return _(
                "In transit for %(days)s days (threshold %(limit)s days) - on %(lane)s, 95%% of %(count)s delivered "
                "parcels arrived within %(p95)s days (median %(p50)s)",
                days=self.days,
                limit=self._format_days(self.threshold_days),
                lane=self.lane_id.display_name or "-",
                count=self.lane_id.delivered,
                p95=self._format_days(self.lane_id.transit_p95),
                p50=self._format_days(self.lane_id.transit_p50),
            ), _("Ask the carrier to trace the parcel.")
        if self.signal == "eta_overdue":
            return _(
                "The carrier's promised delivery %(eta)s passed %(days)s days ago (threshold %(limit)s days)",
                eta=format_date(self.env, self.reference_date),
                days=self.days,
                limit=self._format_days(self.threshold_days),
            ), _("Ask the carrier to trace the parcel.")
        if self.signal == "no_record":
            return _(
                "The carrier has no record of this number %(days)s days after shipping (threshold %(limit)s days)",
                days=self.days,
                limit=self._format_days(self.threshold_days),
            ), _(
                "Check the tracking number on the label (a typo fixed on the delivery is checked again at once), "
                "and ask the carrier whether the parcel was handed over."
            )
        if self.signal == "exception":
            labels = dict(self._fields["tracking_status"]._description_selection(self.env))
            what = ", ".join(self.exception_kind_ids.mapped("name")) or labels.get(self.tracking_status, "-")
            return _("Carrier reports %(what)s (code %(code)s)", what=what, code=self.raw_code or "-"), _(
                "Ask the carrier for a written confirmation of the loss or damage."
            )
        if self.signal == "buyer_claim":
            claim = self.case_id.buyer_claim_ids.filtered(lambda c: c.claim_ref == self.raw_code)[:1]
            store = claim and dict(claim._fields["store"]._description_selection(self.env))[claim.store]
            evidence = _(
                "The buyer opened a 'not received' claim (%(ref)s) on %(store)s",
                ref=self.raw_code or "-",
                store=store or _("the store"),
            )
            if self.reference_date:
                evidence += " " + _("- answer by %s", format_date(self.env, self.reference_date))
            return evidence, _(
                "Answer the claim on the store before its deadline and check the parcel with the carrier."
            )
        return _(
            "%(count)s days with customer messages in the last %(days)s days",
            count=self.days,
            days=self.period_days,
        ), _("Answer the customer and check the parcel with the carrier.")
