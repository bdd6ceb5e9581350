from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from .lost_parcel_claim import ACTIVE_STATES

CAP_REASONS = [
    ("none", "No limit"),
    ("liability", "Liability per parcel"),
    ("declared_value", "Value declared to the carrier"),
    ("insured_value", "Insured value"),
]


class LostParcelClaimLine(models.Model):
    """One lost parcel of a claim: its filing dates under the claim's window, what it is worth,
    the limit the carrier or insurer pays up to, the amount claimed, and its share of what was
    approved and recovered (amounts in the claim's currency; the recovered share also in the
    company's, for the case)."""

    _name = "lost.parcel.claim.line"
    _description = "Claimed Parcel"
    _order = "claim_id, id"
    _check_company_auto = True

    claim_id = fields.Many2one("lost.parcel.claim", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="claim_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="claim_id.currency_id")
    company_currency_id = fields.Many2one(related="claim_id.company_id.currency_id", string="Company Currency")
    state = fields.Selection(related="claim_id.state", store=True, string="Claim Status")
    case_id = fields.Many2one("lost.parcel.case", required=True, ondelete="restrict", index=True, check_company=True)
    picking_id = fields.Many2one(related="case_id.picking_id")
    carrier_tracking_ref = fields.Char(related="case_id.carrier_tracking_ref")

    # Filing dates
    shipped_date = fields.Date(compute="_compute_dates", store=True)
    promised_date = fields.Date(
        compute="_compute_dates", store=True, help="The carrier's promised delivery date the window counts from."
    )
    earliest_filing_date = fields.Date("File From", compute="_compute_dates", store=True)
    notice_date = fields.Date("Notice By", compute="_compute_dates", store=True)
    deadline_date = fields.Date("Deadline", compute="_compute_dates", store=True)

    # Amounts, in the claim's currency
    base_amount = fields.Monetary(
        "Value Lost",
        compute="_compute_base_amount",
        store=True,
        help="The goods (at the price paid or at cost, as the window says) plus the shipping paid.",
    )
    cap_amount = fields.Monetary("Limit", compute="_compute_cap", store=True, help="0: no limit.")
    cap_reason = fields.Selection(CAP_REASONS, "Limited By", compute="_compute_cap", store=True)
    amount_requested = fields.Monetary(
        "Amount Claimed", compute="_compute_amount_requested", store=True, readonly=False
    )
    amount_approved = fields.Monetary(readonly=True, copy=False)
    amount_recovered = fields.Monetary(readonly=True, copy=False)
    recovered_company_amount = fields.Monetary(
        "Recovered (Company Currency)", currency_field="company_currency_id", readonly=True, copy=False
    )

    _sql_constraints = [("case_claim_uniq", "unique(claim_id, case_id)", "A parcel is claimed once per claim.")]

    # ------------------------------------------------------------------ computes
    @api.depends(
        "case_id.picking_id.date_done",
        "case_id.picking_id.tracking_eta",
        "case_id.picking_id.carrier_id.transit_days",
        "claim_id.window_id.earliest_days",
        "claim_id.window_id.earliest_from",
        "claim_id.window_id.deadline_number",
        "claim_id.window_id.deadline_unit",
        "claim_id.window_id.deadline_from",
        "claim_id.window_id.notice_days",
        "claim_id.window_id.notice_from",
    )
    def _compute_dates(self):
        for line in self:
            window = line.claim_id.window_id
            dates = window._claim_dates(line.case_id.picking_id) if window else {}
            line.shipped_date = dates.get("shipped", False)
            line.promised_date = dates.get("promised", False)
            line.earliest_filing_date = dates.get("earliest", False)
            line.notice_date = dates.get("notice", False)
            line.deadline_date = dates.get("deadline", False)

    @api.depends(
        "case_id.goods_value_sale",
        "case_id.goods_value_cost",
        "case_id.picking_id.carrier_price",
        "claim_id.window_id.claim_basis",
        "claim_id.currency_id",
        "claim_id.date",
    )
    def _compute_base_amount(self):
        for line in self:
            case, claim = line.case_id, line.claim_id
            company = case.company_id or claim.company_id
            goods = case.goods_value_cost if claim.window_id.claim_basis == "cost" else case.goods_value_sale
            # The case's own claimable amount: goods plus the lost label, in company currency.
            value = goods + case.picking_id.carrier_price
            line.base_amount = line._to_claim_currency(value, company.currency_id)

    @api.depends(
        "case_id.picking_id.lost_parcel_insured",
        "case_id.picking_id.lost_parcel_insured_value",
        "case_id.picking_id.lost_parcel_insurance_provider",
        "claim_id.claim_to",
        "claim_id.window_id.liability_limit",
        "claim_id.window_id.currency_id",
        "claim_id.currency_id",
        "claim_id.date",
    )
    def _compute_cap(self):
        """What the claimed party pays at most for this parcel: an insurer the insured value, or
        less when its policy pays less per parcel; a carrier the value declared to it (the
        parcel insured with the carrier), at least its liability per parcel."""
        for line in self:
            picking, claim = line.case_id.picking_id, line.claim_id
            company = claim.company_id
            insured = line._to_claim_currency(picking.lost_parcel_insured_value, company.currency_id)
            liability = line._to_claim_currency(claim.window_id.liability_limit, claim.window_id.currency_id)
            if claim.claim_to == "insurer":
                cap, reason = insured, "insured_value"
                if liability and (not cap or liability < cap):
                    cap, reason = liability, "liability"
            elif picking.lost_parcel_insured and picking.lost_parcel_insurance_provider == "carrier":
                cap, reason = max(insured, liability), "declared_value" if insured >= liability else "liability"
            elif liability:
                cap, reason = liability, "liability"
            else:
                cap, reason = 0.0, "none"
            line.cap_amount, line.cap_reason = cap, reason

    @api.depends("base_amount", "cap_amount")
    def _compute_amount_requested(self):
        for line in self:
            if line.claim_id.state not in (False, "draft"):
                # What was filed stays what was filed.
                line.amount_requested = line.amount_requested
            elif line.cap_amount:
                line.amount_requested = min(line.base_amount, line.cap_amount)
            else:
                line.amount_requested = line.base_amount

    def _to_claim_currency(self, amount, currency):
        self.ensure_one()
        claim = self.claim_id
        if not amount or not currency or not claim.currency_id:
            return 0.0
        return currency._convert(
            amount, claim.currency_id, claim.company_id, claim.date or fields.Date.context_today(self)
        )

    # ------------------------------------------------------------------ constraints
    @api.constrains("amount_requested", "cap_amount")
    def _check_amount_requested(self):
        for line in self:
            currency = line.currency_id
            if currency.compare_amounts(line.amount_requested, 0.0) < 0:
                raise ValidationError(self.env._("Claim %s: an amount claimed cannot be negative.", line.claim_id.name))
            if line.cap_amount and currency.compare_amounts(line.amount_requested, line.cap_amount) > 0:
                labels = dict(self._fields["cap_reason"]._description_selection(self.env))
                raise ValidationError(
                    self.env._(
                        "Claim %(claim)s: parcel %(ref)s can be claimed up to %(cap)s (%(reason)s).",
                        claim=line.claim_id.name,
                        ref=line.carrier_tracking_ref or line.case_id.name,
                        cap=line.cap_amount,
                        reason=labels[line.cap_reason],
                    )
                )

    @api.constrains("case_id", "state")
    def _check_case_claimed_once(self):
        for line in self.filtered(lambda ln: ln.state in ACTIVE_STATES):
            other = self.search(
                [
                    ("case_id", "=", line.case_id.id),
                    ("id", "!=", line.id),
                    ("state", "in", ACTIVE_STATES),
                ],
                limit=1,
            )
            if other:
                raise ValidationError(
                    self.env._(
                        "Case %(case)s is already claimed in %(claim)s.",
                        case=line.case_id.name,
                        claim=other.claim_id.name,
                    )
                )

    @api.ondelete(at_uninstall=False)
    def _unlink_only_draft(self):
        for line in self:
            if line.claim_id.state not in ("draft", "cancelled"):
                raise UserError(self.env._("Claim %s was filed: its parcels cannot be removed.", line.claim_id.name))
