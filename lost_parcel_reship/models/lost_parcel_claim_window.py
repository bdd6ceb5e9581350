from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError

REFERENCE_DATES = [("shipped", "Shipping date"), ("promised", "Promised delivery date")]


class LostParcelClaimWindow(models.Model):
    """When, with what and up to how much a lost parcel can be claimed from one carrier (or
    shipping insurer): the earliest filing date, the deadline and an earlier notice date if
    the carrier wants one, counted from the parcel's shipping or promised delivery date; the
    documents required; the liability per parcel; the claim guide; and the API account that
    files the claim automatically when there is one.

    A window applies to a delivery when every condition it sets holds (shipping methods, a
    word of the shipping method's name, the tracking provider, domestic or international);
    the one with the most conditions wins, then a company's own over a shared one, then the
    sequence. Installed windows follow the carriers' published rules (see
    ``data/lost_parcel_claim_window_data.xml``) and are edited by managers.
    """

    _name = "lost.parcel.claim.window"
    _description = "Claim Window"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", index=True, help="Empty: every company.")
    note = fields.Text(translate=True, help="Where the rule comes from, and what it does not cover.")

    # Who the claim goes to and which parcels
    claim_to = fields.Selection(
        [("carrier", "Carrier"), ("insurer", "Shipping insurer")], default="carrier", required=True
    )
    insurer_id = fields.Many2one(
        "res.partner",
        "Insurer",
        help="The shipping insurer this window is for. Empty on an insurer window: every insurer.",
    )
    tracking_provider = fields.Selection(
        selection="_selection_tracking_provider",
        help="Parcels of shipping methods tracked through this provider's own API (not an aggregator).",
    )
    carrier_ids = fields.Many2many("delivery.carrier", string="Shipping Methods", check_company=True)
    carrier_name_contains = fields.Char(
        "Shipping Method Name Contains", help="e.g. 'Express' for USPS Priority Mail Express; case-insensitive."
    )
    scope = fields.Selection(
        [("all", "All destinations"), ("domestic", "Domestic"), ("international", "International")],
        default="all",
        required=True,
        help="Domestic: the delivery address is in the company's country.",
    )

    # Dates
    earliest_days = fields.Integer(
        "File From (days)", help="A claim cannot be filed before this many days after the reference date."
    )
    earliest_from = fields.Selection(REFERENCE_DATES, "File From", default="shipped", required=True)
    deadline_number = fields.Integer("Deadline", default=60, required=True)
    deadline_unit = fields.Selection([("days", "Days"), ("months", "Months")], default="days", required=True)
    deadline_from = fields.Selection(REFERENCE_DATES, "Deadline From", default="shipped", required=True)
    notice_days = fields.Integer(
        "Notice Within (days)",
        help="Some carriers want a written notice of the claim sooner than the claim itself. 0: none.",
    )
    notice_from = fields.Selection(REFERENCE_DATES, "Notice From", default="promised", required=True)
    reminder_days = fields.Integer(
        "Remind Before (days)",
        default=14,
        help="The claim's responsible gets an activity this many days before the notice date or the deadline.",
    )

    # Money
    currency_id = fields.Many2one(
        "res.currency",
        required=True,
        default=lambda self: self.env.company.currency_id,
        help="Currency of the claims filed under this window (EasyPost: US dollars).",
    )
    liability_limit = fields.Monetary(
        "Liability per Parcel",
        help="What the carrier pays at most for an uninsured parcel (its declared-value default). 0: no limit. "
        "A parcel insured for more is claimed up to its insured value.",
    )
    claim_basis = fields.Selection(
        [("invoice", "Invoice value + shipping paid"), ("cost", "Goods at cost + shipping paid")],
        default="invoice",
        required=True,
        help="What is claimed before the limit: the goods at the price the customer paid (most carriers "
        "pay the invoice value) or at their cost.",
    )

    # Documents, guide, API
    document_ids = fields.Many2many("lost.parcel.claim.document", string="Required Documents")
    guide_id = fields.Many2one("lost.parcel.claim.guide", "Claim Guide")
    claim_account_id = fields.Many2one(
        "carrier.claim.account",
        "File Through",
        check_company=True,
        help="Claims of this window are filed and followed through this API account (one claim per parcel); "
        "empty: filed by hand with the guide's steps.",
    )

    @api.model
    def _selection_tracking_provider(self):
        return self.env["carrier.tracking.account"]._fields["provider"]._description_selection(self.env)

    # ------------------------------------------------------------------ constraints
    @api.constrains("earliest_days", "deadline_number", "notice_days", "reminder_days")
    def _check_days(self):
        for window in self:
            if min(window.earliest_days, window.notice_days, window.reminder_days) < 0:
                raise ValidationError(self.env._("Claim window %s: days cannot be negative.", window.name))
            if window.deadline_number <= 0:
                raise ValidationError(self.env._("Claim window %s: the deadline must be positive.", window.name))

    @api.constrains("claim_account_id", "company_id")
    def _check_claim_account_company(self):
        for window in self.filtered("claim_account_id"):
            if not window.company_id:
                raise ValidationError(
                    self.env._(
                        "Claim window %s files through an API account of one company: set that company on it.",
                        window.name,
                    )
                )

    # ------------------------------------------------------------------ matching
    @api.model
    def _find_window(self, picking, claim_to="carrier", insurer=None):
        """The window that applies to ``picking`` when claiming from its carrier (or from
        ``insurer``): the most specific one, a company's own before a shared one, then by
        sequence. An empty recordset when none applies."""
        windows = self.search(
            [("claim_to", "=", claim_to), ("company_id", "in", [False, picking.company_id.id])], order="sequence, id"
        )
        best, best_key = self.browse(), None
        for window in windows:
            score = window._match_score(picking, insurer)
            if score is None:
                continue
            key = (score, bool(window.company_id))
            if best_key is None or key > best_key:
                best, best_key = window, key
        return best

    def _match_score(self, picking, insurer=None):
        """How many of the window's conditions ``picking`` meets, or None when one fails."""
        self.ensure_one()
        carrier = picking.carrier_id
        score = 0
        if self.claim_to == "insurer" and self.insurer_id:
            if not insurer or self.insurer_id.commercial_partner_id != insurer.commercial_partner_id:
                return None
            score += 4
        if self.carrier_ids:
            if carrier not in self.carrier_ids:
                return None
            score += 3
        if self.carrier_name_contains:
            if self.carrier_name_contains.strip().lower() not in (carrier.name or "").lower():
                return None
            score += 2
        if self.tracking_provider:
            if carrier.tracking_account_id.provider != self.tracking_provider:
                return None
            score += 1
        if self.scope != "all":
            home = picking.company_id.country_id
            domestic = bool(home) and picking.partner_id.country_id == home
            if domestic != (self.scope == "domestic"):
                return None
            score += 1
        return score

    # ------------------------------------------------------------------ dates
    def _claim_dates(self, picking):
        """The filing dates of a claim on ``picking`` under this window.

        The promised date is the carrier's (``stock.picking._lost_parcel_promised_date``);
        without one, the shipping date plus the shipping method's declared transit days, else
        the shipping date itself (the earlier deadline, never a later one).

        :return: {"shipped", "promised", "earliest", "deadline", "notice"}: dates (notice False
            when the window asks for none; everything False when the parcel has not left)
        """
        self.ensure_one()
        shipped = picking.date_done and picking.date_done.date()
        if not shipped:
            return dict.fromkeys(("shipped", "promised", "earliest", "deadline", "notice"), False)
        promised = picking._lost_parcel_promised_date()
        promised = promised.date() if promised else shipped + timedelta(days=picking.carrier_id.transit_days or 0)
        reference = {"shipped": shipped, "promised": promised}
        if self.deadline_unit == "months":
            deadline = reference[self.deadline_from] + relativedelta(months=self.deadline_number)
        else:
            deadline = reference[self.deadline_from] + timedelta(days=self.deadline_number)
        return {
            "shipped": shipped,
            "promised": promised,
            "earliest": reference[self.earliest_from] + timedelta(days=self.earliest_days),
            "deadline": deadline,
            "notice": reference[self.notice_from] + timedelta(days=self.notice_days) if self.notice_days else False,
        }

    def _required_documents(self, claim_type):
        """The document kinds a claim of ``claim_type`` (loss, damage, theft) needs."""
        self.ensure_one()
        return self.document_ids.filtered(lambda doc: not doc.damage_only or claim_type == "damage")
