"""The claim: money asked back from a carrier or a shipping insurer for lost parcels.

A claim covers one or more cases confirmed lost, of one carrier (or one insurer) and one claim
window; a claim filed through an API (EasyPost) covers one parcel, as the API files one claim per
tracking code::

    draft ──► submitted ──► accepted ───────────► paid
      ▲  │        │    └──► partially_accepted ──► paid
      │  │        └──────► rejected
      └──┴─ cancelled ◄── (draft, submitted)

What may happen in which state is written once, in ``_transition_blockers``; the ``can_be_*``
flags, the ``_ensure_can_be_*`` guards and the views' ``invisible=`` read it (the case's pattern).
The amount asked for each parcel is on its line (``lost.parcel.claim.line``): the case's value,
capped by the carrier's liability or the parcel's insured value; what the carrier approves and
pays is shared over the lines in proportion, and the paid share flows into the case
(``lost.parcel.case.recovered_amount``).
"""

import io
import logging
from collections import defaultdict
from datetime import timedelta

import psycopg2
from markupsafe import Markup
from PIL import Image

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.osv import expression
from odoo.tools import SQL, format_amount, format_date
from odoo.tools.pdf import PdfFileReader, PdfFileWriter, PdfReadError

from odoo.addons.carrier_connectors.claims import CLAIM_ERROR_KINDS, CLAIM_STATES, ClaimAttachment, ClaimRequest

_logger = logging.getLogger(__name__)

CLAIM_TYPES = [("loss", "Loss"), ("damage", "Damage"), ("theft", "Theft")]
# A claim in one of these states holds its cases: they are not claimed again elsewhere.
ACTIVE_STATES = ("draft", "submitted", "accepted", "partially_accepted", "paid")
DECIDED_STATES = ("accepted", "partially_accepted", "rejected")
# Failures after which the provider may hold a claim we could not read: look it up before filing again.
UNCERTAIN_ERRORS = ("carrier_down", "rate_limited", "malformed")
PDF_MIMETYPE = "application/pdf"
IMAGE_MIMETYPES = ("image/png", "image/jpeg", "image/gif", "image/bmp", "image/tiff", "image/webp")
# Images go into the pack at a resolution that fits them on an A4 page (inches, with margins).
PAGE_INCHES = (7.5, 10.5)


class LostParcelClaim(models.Model):
    _name = "lost.parcel.claim"
    _description = "Lost Parcel Claim"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "deadline_date, id desc"
    _check_company_auto = True

    # ------------------------------------------------------------------ fields
    # Set from the id right after creation (CLM/00042), like the case's reference.
    name = fields.Char(readonly=True, copy=False, index="trigram")
    state = fields.Selection(
        CLAIM_STATES, default="draft", required=True, tracking=True, index=True, group_expand="_expand_states"
    )
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    company_currency_id = fields.Many2one(related="company_id.currency_id", string="Company Currency")
    currency_id = fields.Many2one(
        "res.currency",
        required=True,
        tracking=True,
        default=lambda self: self.env.company.currency_id,
        help="The currency the claim is filed in (the claim window's).",
    )
    user_id = fields.Many2one(
        "res.users",
        "Responsible",
        default=lambda self: self.env.user,
        tracking=True,
        index=True,
        domain="[('share', '=', False)]",
        help="Gets the deadline reminders.",
    )
    date = fields.Date("Claim Date", default=fields.Date.context_today, required=True, copy=False)

    # Who pays
    claim_to = fields.Selection(
        [("carrier", "Carrier"), ("insurer", "Shipping insurer")], default="carrier", required=True, readonly=True
    )
    carrier_id = fields.Many2one("delivery.carrier", "Carrier", index=True, check_company=True, readonly=True)
    insurer_id = fields.Many2one("res.partner", "Insurer", index=True, readonly=True)
    window_id = fields.Many2one(
        "lost.parcel.claim.window", "Claim Window", required=True, check_company=True, ondelete="restrict"
    )
    guide_id = fields.Many2one(related="window_id.guide_id", string="Claim Guide")
    guide_steps = fields.Html(related="window_id.guide_id.steps", string="How to File")
    guide_url = fields.Char(related="window_id.guide_id.url", string="Claims Page")
    guide_contact = fields.Char(related="window_id.guide_id.contact", string="Claims Contact")
    claim_type = fields.Selection(CLAIM_TYPES, default="loss", required=True, tracking=True)
    description = fields.Text(help="What happened, in the carrier's words if it confirmed the loss.")

    # The parcels
    line_ids = fields.One2many("lost.parcel.claim.line", "claim_id", string="Parcels", copy=False)
    case_ids = fields.Many2many(
        "lost.parcel.case", compute="_compute_case_ids", search="_search_case_ids", string="Cases"
    )
    case_count = fields.Integer(compute="_compute_case_ids")

    # Filing dates: the tightest of the parcels'
    earliest_filing_date = fields.Date(
        "File From", compute="_compute_dates", store=True, help="The carrier takes no claim before this date."
    )
    notice_date = fields.Date(
        "Notice By", compute="_compute_dates", store=True, help="A written notice of the claim is due by then."
    )
    deadline_date = fields.Date("Deadline", compute="_compute_dates", store=True, index=True)
    reminder_date = fields.Date(
        compute="_compute_dates", store=True, index=True, help="When the responsible is reminded of the next date."
    )
    reminded_for_date = fields.Date(readonly=True, copy=False, help="The due date the last reminder was about.")
    is_overdue = fields.Boolean(compute="_compute_is_overdue", search="_search_is_overdue")
    submitted_date = fields.Date("Filed On", readonly=True, copy=False, tracking=True)
    decision_date = fields.Date("Decided On", readonly=True, copy=False)

    # Money, in the claim's currency
    amount_base = fields.Monetary(
        "Value Lost", compute="_compute_amounts", store=True, help="The parcels' value before any limit."
    )
    amount_requested = fields.Monetary("Amount Claimed", compute="_compute_amounts", store=True, tracking=True)
    amount_approved = fields.Monetary("Amount Approved", readonly=True, copy=False, tracking=True)
    amount_recovered = fields.Monetary("Amount Recovered", readonly=True, copy=False, tracking=True)
    payment_date = fields.Date(readonly=True, copy=False, tracking=True)
    rejection_reason = fields.Text(readonly=True, copy=False, tracking=True, help="Why the carrier refused the claim.")

    # At the carrier
    carrier_claim_ref = fields.Char(
        "Reference at Carrier", copy=False, tracking=True, index="btree_not_null", help="The carrier's claim number."
    )
    claim_account_id = fields.Many2one(
        "carrier.claim.account",
        "Filed Through",
        compute="_compute_claim_account_id",
        store=True,
        readonly=False,
        check_company=True,
        help="The API account that files and follows this claim; empty: filed by hand.",
    )
    api_reference = fields.Char(
        "Our Reference at Provider",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="Sent with the claim, so a claim filed by an attempt that timed out is found, not filed twice.",
    )
    api_status = fields.Char("Provider Status", readonly=True, copy=False)
    api_status_detail = fields.Char("Provider Says", readonly=True, copy=False)
    api_action_required = fields.Boolean("Provider Waits for Us", readonly=True, copy=False)
    api_last_sync = fields.Datetime("Last Synchronized", readonly=True, copy=False)
    api_error_kind = fields.Selection(CLAIM_ERROR_KINDS, "Error Kind", readonly=True, copy=False)
    api_error = fields.Text("Last API Error", readonly=True, copy=False)
    api_error_date = fields.Datetime(readonly=True, copy=False)
    api_submission_uncertain = fields.Boolean(
        readonly=True, copy=False, help="A filing attempt failed in a way that may have filed the claim anyway."
    )

    # Documents
    document_line_ids = fields.One2many("lost.parcel.claim.document.line", "claim_id", string="Documents", copy=False)
    documents_complete = fields.Boolean(compute="_compute_documents", store=True)
    missing_documents = fields.Char(compute="_compute_documents", store=True)
    evidence_pack_id = fields.Many2one("ir.attachment", "Evidence Pack", readonly=True, copy=False)

    # Transitions: computed from _transition_blockers, read by guards and views alike.
    can_be_submitted = fields.Boolean(compute="_compute_transitions")
    can_be_decided = fields.Boolean(compute="_compute_transitions")
    can_be_paid = fields.Boolean(compute="_compute_transitions")
    can_be_cancelled = fields.Boolean(compute="_compute_transitions")
    can_be_reset = fields.Boolean(compute="_compute_transitions")
    can_sync = fields.Boolean(compute="_compute_transitions")

    @api.model
    def _expand_states(self, states, domain):
        return [key for key, _label in self._fields["state"].selection if key != "cancelled"]

    # ------------------------------------------------------------------ computes
    @api.depends("line_ids.case_id")
    def _compute_case_ids(self):
        for claim in self:
            claim.case_ids = claim.line_ids.case_id
            claim.case_count = len(claim.line_ids)

    def _search_case_ids(self, operator, value):
        return [("line_ids.case_id", operator, value)]

    @api.depends(
        "line_ids.earliest_filing_date",
        "line_ids.notice_date",
        "line_ids.deadline_date",
        "window_id.reminder_days",
    )
    def _compute_dates(self):
        for claim in self:
            lines = claim.line_ids
            claim.earliest_filing_date = max(filter(None, lines.mapped("earliest_filing_date")), default=False)
            claim.notice_date = min(filter(None, lines.mapped("notice_date")), default=False)
            claim.deadline_date = min(filter(None, lines.mapped("deadline_date")), default=False)
            first_due = min(filter(None, (claim.notice_date, claim.deadline_date)), default=False)
            claim.reminder_date = first_due and first_due - timedelta(days=claim.window_id.reminder_days)

    @api.depends("state", "deadline_date")
    def _compute_is_overdue(self):
        today = fields.Date.context_today(self)
        for claim in self:
            claim.is_overdue = claim.state == "draft" and bool(claim.deadline_date) and claim.deadline_date < today

    def _search_is_overdue(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Search overdue claims with = True or = False."))
        domain = ["&", ("state", "=", "draft"), ("deadline_date", "<", fields.Date.context_today(self))]
        return domain if (operator == "=") == value else ["!", *domain]

    @api.depends("line_ids.base_amount", "line_ids.amount_requested")
    def _compute_amounts(self):
        for claim in self:
            claim.amount_base = sum(claim.line_ids.mapped("base_amount"))
            claim.amount_requested = sum(claim.line_ids.mapped("amount_requested"))

    @api.depends("window_id")
    def _compute_claim_account_id(self):
        for claim in self:
            if claim.state == "draft":
                account = claim.window_id.claim_account_id
                claim.claim_account_id = account if account.company_id == claim.company_id else False
            else:
                claim.claim_account_id = claim.claim_account_id  # a filed claim stays with its account

    @api.depends("document_line_ids.required", "document_line_ids.is_provided")
    def _compute_documents(self):
        for claim in self:
            missing = claim.document_line_ids.filtered(lambda line: line.required and not line.is_provided)
            claim.documents_complete = not missing
            claim.missing_documents = ", ".join(missing.document_id.mapped("name")) or False

    @api.depends(
        "state",
        "line_ids",
        "earliest_filing_date",
        "documents_complete",
        "amount_requested",
        "claim_account_id",
        "carrier_claim_ref",
    )
    def _compute_transitions(self):
        for claim in self:
            blockers = claim._transition_blockers()
            claim.can_be_submitted = not blockers["submit"]
            claim.can_be_decided = not blockers["decide"]
            claim.can_be_paid = not blockers["pay"]
            claim.can_be_cancelled = not blockers["cancel"]
            claim.can_be_reset = not blockers["reset"]
            claim.can_sync = not blockers["sync"]

    # ------------------------------------------------------------------ transition rules
    def _transition_blockers(self, today=None):
        """Why each transition cannot happen now, or False when it can. The one place where the
        claim's rules are written.

        :return: {transition: error message or False}
        """
        self.ensure_one()
        _ = self.env._
        today = today or fields.Date.context_today(self)
        state = self._state_label()
        draft = self.state == "draft"
        return {
            "submit": (
                not draft and _("Claim %(claim)s is %(state)s: only a draft is filed.", claim=self.name, state=state)
            )
            or (not self.line_ids and _("Claim %s has no parcel to claim.", self.name))
            or (
                self.earliest_filing_date
                and today < self.earliest_filing_date
                and _(
                    "Claim %(claim)s: %(window)s takes claims from %(date)s on.",
                    claim=self.name,
                    window=self.window_id.name,
                    date=format_date(self.env, self.earliest_filing_date),
                )
            )
            or (
                not self.documents_complete
                and _("Claim %(claim)s: documents missing: %(docs)s.", claim=self.name, docs=self.missing_documents)
            )
            or (
                self.claim_account_id
                and len(self.line_ids) > 1
                and _("Claim %s: a claim filed through an API covers one parcel; split it.", self.name)
            )
            or (
                self.currency_id.is_zero(self.amount_requested)
                and _("Claim %s: the amount claimed is zero.", self.name)
            ),
            "decide": self.state != "submitted"
            and _("Claim %(claim)s is %(state)s: only a filed claim gets a decision.", claim=self.name, state=state),
            "pay": self.state not in ("accepted", "partially_accepted")
            and _("Claim %(claim)s is %(state)s: only an accepted claim is paid.", claim=self.name, state=state),
            "cancel": self.state not in ("draft", "submitted")
            and _("Claim %(claim)s is %(state)s: it can no longer be withdrawn.", claim=self.name, state=state),
            "reset": self.state != "cancelled"
            and _(
                "Claim %(claim)s is %(state)s: only a cancelled claim goes back to draft.", claim=self.name, state=state
            ),
            "sync": (
                not (self.claim_account_id and self.carrier_claim_ref)
                and _("Claim %s is not filed through an API.", self.name)
            )
            or (
                self.state != "submitted"
                and _("Claim %(claim)s is %(state)s: the provider has decided.", claim=self.name, state=state)
            ),
        }

    def _ensure_can(self, transition):
        for claim in self:
            blocker = claim._transition_blockers()[transition]
            if blocker:
                raise UserError(blocker)

    def _ensure_can_be_submitted(self):
        self._ensure_can("submit")

    def _ensure_can_be_decided(self):
        self._ensure_can("decide")

    def _ensure_can_be_paid(self):
        self._ensure_can("pay")

    def _ensure_can_be_cancelled(self):
        self._ensure_can("cancel")

    def _state_label(self):
        return dict(self._fields["state"]._description_selection(self.env))[self.state]

    # ------------------------------------------------------------------ constraints
    @api.constrains("line_ids", "claim_to", "carrier_id", "insurer_id")
    def _check_one_party(self):
        for claim in self:
            if claim.claim_to == "carrier" and claim.carrier_id:
                other = claim.line_ids.case_id.filtered(lambda c, cl=claim: c.carrier_id != cl.carrier_id)
                if other:
                    raise ValidationError(
                        self.env._(
                            "Claim %(claim)s goes to %(carrier)s: case %(case)s was shipped with another carrier.",
                            claim=claim.name,
                            carrier=claim.carrier_id.name,
                            case=other[0].name,
                        )
                    )
            if claim.claim_to == "insurer" and not claim.insurer_id:
                raise ValidationError(self.env._("Claim %s goes to an insurer: say which.", claim.name))

    # ------------------------------------------------------------------ CRUD
    @api.model_create_multi
    def create(self, vals_list):
        claims = super().create(vals_list)
        unnamed = claims.filtered(lambda c: not c.name)
        if unnamed:
            self.env.cr.execute(
                SQL(
                    "UPDATE lost_parcel_claim SET name = 'CLM/' || LPAD(id::text, 5, '0') WHERE id IN %s",
                    tuple(unnamed.ids),
                )
            )
            unnamed.invalidate_recordset(["name"])
        claims._sync_document_lines()
        return claims

    def write(self, vals):
        res = super().write(vals)
        if {"window_id", "claim_type"} & set(vals):
            self._sync_document_lines()
        return res

    @api.ondelete(at_uninstall=False)
    def _unlink_only_drafts(self):
        for claim in self:
            if claim.state not in ("draft", "cancelled"):
                raise UserError(self.env._("Claim %s was filed: cancel it rather than deleting it.", claim.name))

    # ------------------------------------------------------------------ creation from cases
    @api.model
    def _create_from_cases(self, cases):
        """One claim per carrier (or insurer) and claim window for the cases that can be
        claimed; one per parcel where the window files through an API.

        :return: (claims created, {case: why it was not claimed})
        """
        Window = self.env["lost.parcel.claim.window"]
        errors = {}
        groups = defaultdict(lambda: self.env["lost.parcel.case"])
        windows = {}
        for case in cases:
            blocker = case._transition_blockers()["claim"]
            if blocker:
                errors[case] = blocker
                continue
            claim_to, insurer = self._claim_party(case)
            window = Window._find_window(case.picking_id, claim_to, insurer)
            if not window:
                errors[case] = self.env._(
                    "Case %(case)s: no claim window applies to %(party)s; add one under Lost Parcels > "
                    "Configuration > Claim Windows.",
                    case=case.name,
                    party=insurer.name if insurer else case.carrier_id.name or self.env._("this carrier"),
                )
                continue
            key = (case.company_id.id, claim_to, insurer.id if insurer else case.carrier_id.id, window.id)
            if window.claim_account_id:
                key += (case.id,)
            groups[key] |= case
            windows[key] = (window, claim_to, insurer)
        claims = self.browse()
        for key, group in groups.items():
            window, claim_to, insurer = windows[key]
            claims |= self.with_company(group.company_id).create(
                self._prepare_claim_vals(group, window, claim_to, insurer)
            )
        for claim in claims:
            links = Markup(", ").join(case._get_html_link() for case in claim.case_ids)
            claim.message_post(body=self.env._("Claim opened for %s.", links))
            for case in claim.case_ids:
                case.message_post(body=self.env._("Claim %s opened.", claim._get_html_link()))
        return claims, errors

    @api.model
    def _claim_party(self, case):
        """(claim_to, insurer) for a case: its insurer when the parcel was insured with one,
        else its carrier."""
        picking = case.picking_id
        if picking.lost_parcel_insured and picking.lost_parcel_insurance_provider == "insurer":
            if picking.lost_parcel_insurer_id:
                return "insurer", picking.lost_parcel_insurer_id.commercial_partner_id
        return "carrier", self.env["res.partner"]

    @api.model
    def _prepare_claim_vals(self, cases, window, claim_to, insurer):
        """Values of a claim on ``cases`` (one company, one carrier or insurer, one window)."""
        damaged = all(case.tracking_exception_kind == "damaged" for case in cases)
        carriers = cases.carrier_id
        return {
            "company_id": cases.company_id.id,
            "claim_to": claim_to,
            "carrier_id": carriers.id if len(carriers) == 1 else False,
            "insurer_id": insurer.id if insurer else False,
            "window_id": window.id,
            "currency_id": window.currency_id.id,
            "claim_type": "damage" if damaged else "loss",
            "user_id": self.env.user.id,
            "description": self._default_description(cases),
            "line_ids": [fields.Command.create(self._prepare_claim_line_vals(case)) for case in cases],
        }

    @api.model
    def _prepare_claim_line_vals(self, case):
        return {"case_id": case.id}

    @api.model
    def _default_description(self, cases):
        parts = []
        for case in cases:
            parts.append(
                self.env._(
                    "Parcel %(ref)s shipped on %(shipped)s to %(country)s, last carrier event %(last)s, confirmed "
                    "lost on %(confirmed)s (carrier reference %(carrier_ref)s).",
                    ref=case.carrier_tracking_ref or "-",
                    shipped=format_date(self.env, case.shipped_date) or "-",
                    country=case.country_id.name or "-",
                    last=format_date(self.env, case.tracking_last_event_date) or "-",
                    confirmed=format_date(self.env, case.confirmed_date) or "-",
                    carrier_ref=case.carrier_confirmation_ref or "-",
                )
            )
        return "\n".join(parts)

    # ------------------------------------------------------------------ documents
    def _sync_document_lines(self):
        """One checklist line per document the window requires for this kind of claim; lines
        of documents no longer required stay, optional."""
        for claim in self:
            required = claim.window_id._required_documents(claim.claim_type)
            existing = {line.document_id: line for line in claim.document_line_ids}
            commands = []
            for document in required:
                line = existing.get(document)
                if not line:
                    commands.append(fields.Command.create({"document_id": document.id, "required": True}))
                elif not line.required:
                    commands.append(fields.Command.update(line.id, {"required": True}))
            for document, line in existing.items():
                if line.required and document not in required:
                    commands.append(fields.Command.update(line.id, {"required": False}))
            if commands:
                claim.document_line_ids = commands
        self._collect_documents()

    def _collect_documents(self):
        """Tick the checklist from what exists: files attached to the claim or its cases whose
        name matches a document's keywords, the posted invoices' PDFs for proof of value."""
        Attachment = self.env["ir.attachment"]
        for claim in self:
            invoices = claim._copy_invoice_pdfs()
            own = Attachment.search([("res_model", "=", claim._name), ("res_id", "=", claim.id)])
            pool = (own | claim.line_ids.case_id.evidence_attachment_ids) - claim.evidence_pack_id
            for line in claim.document_line_ids:
                document = line.document_id
                found = pool.filtered(lambda a, d=document: d._matches_filename(a.name))
                if document.source == "invoice":
                    found |= invoices
                new = found - line.attachment_ids
                if new:
                    line.attachment_ids = [fields.Command.link(a.id) for a in new]

    def _copy_invoice_pdfs(self):
        """The PDFs of the claimed orders' posted invoices (as Odoo keeps them once printed or
        sent), copied onto the claim: a warehouse user without invoicing rights reads them there.

        :return: the claim's copies
        """
        self.ensure_one()
        moves = self.line_ids.case_id.sale_id.sudo().invoice_ids.filtered(
            lambda m: m.state == "posted" and m.move_type == "out_invoice"
        )
        pdfs = moves.invoice_pdf_report_id
        if not pdfs:
            return self.env["ir.attachment"]
        Attachment = self.env["ir.attachment"]
        mine = [("res_model", "=", self._name), ("res_id", "=", self.id)]
        have = set(Attachment.search([*mine, ("checksum", "in", pdfs.mapped("checksum"))]).mapped("checksum"))
        for pdf in pdfs.filtered(lambda a: a.checksum not in have):
            pdf.copy({"res_model": self._name, "res_id": self.id, "res_field": False})
            have.add(pdf.checksum)
        return Attachment.search([*mine, ("checksum", "in", pdfs.mapped("checksum"))])

    # ------------------------------------------------------------------ actions
    def action_submit(self):
        """File the claims: through the provider's API where the window has an account, else
        marked filed (the user filed it with the carrier's guide). A failure is stored on the
        claim and shown; it never loses what was entered."""
        self._ensure_can_be_submitted()
        self._lock_for_filing(nowait=True)
        failed = self.browse()
        for claim in self:
            if claim.claim_account_id:
                if not claim._submit_through_api():
                    failed |= claim
            else:
                claim._mark_submitted(fields.Date.context_today(self))
        if failed:
            return self._notification(
                "danger",
                self.env._("Not filed: %s", "; ".join(f"{c.name}: {c.api_error}" for c in failed)),
                sticky=True,
            )
        return self._notification("success", self.env._("%s claim(s) filed.", len(self)))

    def action_record_decision(self):
        self.ensure_one()
        self._ensure_can_be_decided()
        return self._open_decision_wizard("accepted", self.amount_requested)

    def action_record_payment(self):
        self.ensure_one()
        self._ensure_can_be_paid()
        return self._open_decision_wizard("paid", self.amount_approved or self.amount_requested)

    def _open_decision_wizard(self, decision, amount):
        action = self.env["ir.actions.act_window"]._for_xml_id("lost_parcel_reship.action_lost_parcel_claim_decision")
        action["context"] = {"default_claim_id": self.id, "default_decision": decision, "default_amount": amount}
        return action

    def action_cancel(self):
        """Withdraw the claims; one filed through an API is withdrawn there first (a refusal is
        stored on the claim and shown, the claim stays filed)."""
        self._ensure_can_be_cancelled()
        failed = self.browse()
        for claim in self:
            if claim.state == "submitted" and claim.claim_account_id and claim.carrier_claim_ref:
                result = claim.claim_account_id._cancel_claim(claim.carrier_claim_ref)
                if not result.ok:
                    claim._store_api_error(result)
                    failed |= claim
                    continue
                claim._apply_claim_result(result)
            else:
                claim.state = "cancelled"
        (self - failed).activity_unlink(["lost_parcel_reship.mail_activity_type_claim_deadline"])
        if failed:
            return self._notification(
                "danger",
                self.env._("Not withdrawn: %s", "; ".join(f"{c.name}: {c.api_error}" for c in failed)),
                sticky=True,
            )
        return True

    def action_reset_to_draft(self):
        self._ensure_can("reset")
        self.write({"state": "draft", "carrier_claim_ref": False, "api_status": False, "api_status_detail": False})
        return True

    def action_sync(self):
        self._ensure_can("sync")
        self._sync_with_provider()
        errors = self.filtered("api_error")
        if errors:
            return self._notification("danger", "; ".join(f"{c.name}: {c.api_error}" for c in errors), sticky=True)
        return self._notification("success", self.env._("Claim status read from the provider."))

    def action_refresh_documents(self):
        self._sync_document_lines()
        return True

    def action_download_evidence_pack(self):
        """The evidence pack as one PDF: the report, then every attached PDF and image."""
        self.ensure_one()
        attachment = self._store_evidence_pack()
        return {"type": "ir.actions.act_url", "url": f"/web/content/{attachment.id}?download=true", "target": "self"}

    def action_view_cases(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("lost_parcel_reship.action_lost_parcel_case")
        action.update(domain=[("id", "in", self.case_ids.ids)], context={})
        if len(self.case_ids) == 1:
            action.update(res_id=self.case_ids.id, views=[(False, "form")], view_mode="form")
        return action

    def _notification(self, kind, message, sticky=False):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": kind,
                "sticky": sticky,
                "message": message,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    # ------------------------------------------------------------------ decisions and payment
    def _mark_submitted(self, date, claim_ref=None):
        self.ensure_one()
        vals = {"state": "submitted", "submitted_date": date}
        if claim_ref:
            vals["carrier_claim_ref"] = claim_ref
        self.write(vals)
        self.activity_feedback(
            ["lost_parcel_reship.mail_activity_type_claim_deadline"], feedback=self.env._("Claim filed.")
        )

    def _record_decision(self, decision, amount=None, reason=None, date=None):
        """The carrier decided: accepted (the amount claimed unless told otherwise), partially
        accepted (a lower amount) or rejected (why)."""
        self.ensure_one()
        self._ensure_can_be_decided()
        currency = self.currency_id
        date = date or fields.Date.context_today(self)
        if decision == "rejected":
            if not (reason or "").strip():
                raise UserError(self.env._("Say why %s was rejected: the carrier report lists it.", self.name))
            self.write({"state": "rejected", "rejection_reason": reason.strip(), "decision_date": date})
            self._allocate("amount_approved", 0.0)
            return
        amount = self.amount_requested if amount is None else amount
        if currency.compare_amounts(amount, 0.0) <= 0:
            raise UserError(self.env._("Claim %s: an approved amount must be positive.", self.name))
        if currency.compare_amounts(amount, self.amount_requested) > 0:
            raise UserError(self.env._("Claim %s: the approved amount cannot exceed the amount claimed.", self.name))
        if decision == "partially_accepted" and currency.compare_amounts(amount, self.amount_requested) == 0:
            decision = "accepted"
        elif decision == "accepted" and currency.compare_amounts(amount, self.amount_requested) < 0:
            decision = "partially_accepted"
        self.write({"state": decision, "amount_approved": amount, "decision_date": date})
        self._allocate("amount_approved", amount)
        if reason and reason.strip():
            self.message_post(body=reason.strip())

    def _record_payment(self, amount, date=None):
        """The money arrived: the claim is paid and each case recovers its share."""
        self.ensure_one()
        self._ensure_can_be_paid()
        if self.currency_id.compare_amounts(amount, 0.0) <= 0:
            raise UserError(self.env._("Claim %s: a payment must be positive.", self.name))
        date = date or fields.Date.context_today(self)
        self.write({"state": "paid", "amount_recovered": amount, "payment_date": date})
        self._allocate("amount_recovered", amount)
        company = self.company_id
        for line in self.line_ids:
            line.recovered_company_amount = self.currency_id._convert(
                line.amount_recovered, company.currency_id, company, date
            )
            line.case_id.message_post(
                body=self.env._(
                    "%(amount)s recovered by claim %(claim)s.",
                    amount=format_amount(self.env, line.amount_recovered, self.currency_id),
                    claim=self._get_html_link(),
                )
            )
        self.activity_unlink(["lost_parcel_reship.mail_activity_type_claim_deadline"])

    def _allocate(self, field_name, total):
        """Share ``total`` over the lines in proportion to what each claimed; the last line
        takes the rounding."""
        self.ensure_one()
        lines = self.line_ids.sorted("id")
        claimed = sum(lines.mapped("amount_requested"))
        remaining = total
        for index, line in enumerate(lines):
            if index == len(lines) - 1:
                share = remaining
            else:
                share = self.currency_id.round(total * line.amount_requested / claimed) if claimed else 0.0
            remaining -= share
            line[field_name] = share

    # ------------------------------------------------------------------ API filing
    def _api_reference_value(self):
        """Our reference for the claim at the provider: the claim's name and the database's,
        unique across databases sharing one provider account."""
        self.ensure_one()
        if not self.api_reference:
            uuid = self.env["ir.config_parameter"].sudo().get_param("database.uuid", "")
            self.api_reference = f"{self.name}-{uuid[:8]}" if uuid else self.name
        return self.api_reference

    def _submit_through_api(self):
        """File the claim with its account. The provider is asked first whether it holds a
        claim with our reference (an earlier attempt that timed out, or whose answer was lost
        with a rolled-back transaction): such a claim is taken over, never filed twice.

        :return: True when the claim is filed (or found filed)
        """
        self.ensure_one()
        account = self.claim_account_id
        reference = self._api_reference_value()
        adopted = self._adopt_filed_claim(reference)
        if adopted is not False:
            return bool(adopted)
        try:
            request = self._prepare_claim_request(reference)
        except UserError as exc:
            self._store_api_error(None, kind="invalid", message=exc.args[0])
            return False
        result = account._submit_claim(request)
        if not result.ok:
            self._store_api_error(result, uncertain=result.error_kind in UNCERTAIN_ERRORS)
            return False
        self._apply_claim_result(result)
        return True

    def _adopt_filed_claim(self, reference):
        """Look the reference up at the provider. A claim found is taken over (the oldest, and
        later duplicates withdrawn); a failed look-up is stored as the claim's error.

        :return: True when a filed claim was found, None when the look-up failed, else False
        """
        self.ensure_one()
        since = (self.create_date or fields.Datetime.now()) - timedelta(days=1)
        found, error = self.claim_account_id._find_claims_by_reference(reference, since=since)
        if error is not None:
            self._store_api_error(error)
            return None
        if not found:
            return False
        # The provider lists newest first: the oldest is the one filed first.
        kept, duplicates = found[-1], found[:-1]
        self._apply_claim_result(kept)
        body = self.env._(
            "The provider already held claim %(ref)s with our reference %(reference)s (an earlier attempt "
            "went through): taken over, not filed again.",
            ref=kept.claim_ref,
            reference=reference,
        )
        for duplicate in duplicates:
            cancelled = self.claim_account_id._cancel_claim(duplicate.claim_ref)
            body += " " + (
                self.env._("Duplicate %s withdrawn.", duplicate.claim_ref)
                if cancelled.ok
                else self.env._(
                    "Duplicate %(ref)s could not be withdrawn: %(error)s",
                    ref=duplicate.claim_ref,
                    error=cancelled.error,
                )
            )
        self.message_post(body=body)
        return True

    def _prepare_claim_request(self, reference):
        """The ``ClaimRequest`` this claim files: one parcel, the amount claimed, the
        evidence pack and each checklist document filed as its kind."""
        self.ensure_one()
        case = self.line_ids.case_id
        attachments = [
            ClaimAttachment(
                f"{self._pack_filename()}", self._build_evidence_pack(), "supporting_documentation", PDF_MIMETYPE
            )
        ]
        for line in self.document_line_ids:
            for attachment in line.attachment_ids:
                attachments.append(
                    ClaimAttachment(attachment.name, attachment.raw, line.document_id.api_kind, attachment.mimetype)
                )
        return ClaimRequest(
            type=self.claim_type,
            tracking_code=case.carrier_tracking_ref or "",
            amount=self.amount_requested,
            currency=self.currency_id.name,
            description=self.description or self._default_description(case),
            contact_email=self.user_id.email or self.company_id.email or "",
            recipient_name=self.company_id.name,
            attachments=attachments,
            reference=reference,
        )

    def _lock_for_filing(self, nowait=False):
        """Row-lock the claims so a user and the scheduled action never file or take over one
        claim at the same time (the provider would hold it twice).

        :param nowait: raise when a claim is locked; otherwise skip it
        :return: the claims this transaction holds
        """
        if not self:
            return self
        if not nowait:
            self.env.cr.execute(
                SQL("SELECT id FROM lost_parcel_claim WHERE id IN %s FOR UPDATE SKIP LOCKED", tuple(self.ids))
            )
            return self.browse(row[0] for row in self.env.cr.fetchall())
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    SQL("SELECT id FROM lost_parcel_claim WHERE id IN %s FOR UPDATE NOWAIT", tuple(self.ids))
                )
        except psycopg2.errors.LockNotAvailable:
            raise UserError(
                self.env._("%s is being filed or synchronized right now.", ", ".join(self.mapped("name")))
            ) from None
        return self

    def _store_api_error(self, result, kind=None, message=None, uncertain=False):
        """Keep the provider's failure on the claim and in its chatter; nothing else changes."""
        self.ensure_one()
        kind = kind or (result.error_kind if result is not None else "malformed")
        message = message or (result.error if result is not None else self.env._("no answer for this claim"))
        vals = {"api_error_kind": kind, "api_error": message, "api_error_date": fields.Datetime.now()}
        if uncertain:
            vals["api_submission_uncertain"] = True
            message = self.env._(
                "%s. The claim may have been filed anyway: the next attempt looks it up by our reference first.",
                message,
            )
        self.write(vals)
        self.message_post(body=self.env._("Claims API: %s", message))

    def _apply_claim_result(self, result):
        """Write what the provider says about the claim (``claims.ClaimResult``)."""
        self.ensure_one()
        now = fields.Datetime.now()
        vals = {
            "carrier_claim_ref": result.claim_ref or self.carrier_claim_ref,
            "api_status": result.raw_status,
            "api_status_detail": result.status_detail,
            "api_action_required": result.action_required,
            "api_last_sync": now,
            "api_error_kind": False,
            "api_error": False,
            "api_submission_uncertain": False,
        }
        status, previous = result.status, self.state
        if previous == "draft" and status:
            vals["submitted_date"] = (result.submitted_at or now).date()
        if status in DECIDED_STATES and previous in ("draft", "submitted"):
            vals["decision_date"] = (result.status_at or now).date()
        if previous != "paid" and status and status != previous:
            vals["state"] = status
        if status in ("accepted", "partially_accepted"):
            approved = result.approved_amount if result.approved_amount is not None else self.amount_requested
            vals["amount_approved"] = approved
        if status == "rejected":
            vals["rejection_reason"] = result.status_detail or self.env._("Rejected by the provider.")
        self.write(vals)
        if "amount_approved" in vals:
            self._allocate("amount_approved", vals["amount_approved"])
        if vals.get("state") and vals["state"] != previous:
            self.message_post(
                body=self.env._(
                    "%(provider)s: %(status)s — %(detail)s",
                    provider=self.claim_account_id.name,
                    status=result.raw_status or status,
                    detail=result.status_detail or "-",
                )
            )
        if result.action_required and self.user_id:
            summary = self.env._("The claims provider needs something for %s", self.name)
            if not self.activity_ids.filtered(lambda a, s=summary: a.summary == s):
                self.activity_schedule(
                    "mail.mail_activity_data_todo", summary=summary, note=result.status_detail, user_id=self.user_id.id
                )

    def _sync_with_provider(self):
        """Read the status of the claims filed through an API, one call batch per account. A
        claim the provider cannot answer for keeps its state and stores the error; it never
        stops the others."""
        held = self._lock_for_filing()
        filed = held.filtered(lambda c: c.state == "submitted" and c.claim_account_id and c.carrier_claim_ref)
        for account, claims in filed.grouped("claim_account_id").items():
            results = account._fetch_claims(claims.mapped("carrier_claim_ref"))
            for claim in claims:
                result = results.get(claim.carrier_claim_ref.strip())
                try:
                    with self.env.cr.savepoint():
                        if result is not None and result.ok:
                            claim._apply_claim_result(result)
                        else:
                            claim._store_api_error(result)
                except Exception as exc:  # one claim's bad answer never stops the batch
                    _logger.exception("Claim %s: the provider's answer could not be stored", claim.name)
                    claim.invalidate_recordset()
                    claim._store_api_error(None, kind="malformed", message=str(exc))
        uncertain = held.filtered(lambda c: c.state == "draft" and c.api_submission_uncertain and c.claim_account_id)
        for claim in uncertain:
            if claim._adopt_filed_claim(claim._api_reference_value()) is False:
                claim.write({"api_submission_uncertain": False})
                claim.message_post(
                    body=self.env._("The provider holds no claim with our reference: it was not filed. File it again.")
                )

    # ------------------------------------------------------------------ evidence pack
    def _pack_filename(self):
        self.ensure_one()
        return self.env._("%s evidence pack.pdf", (self.name or "").replace("/", "-"))

    def _evidence_pack_documents(self):
        """Every document of the claim and its cases, and whether the pack includes it.

        :return: list of {"attachment", "kinds" (document names), "included" (bool),
            "pages" (int), "note" (why not included)}
        """
        self.ensure_one()
        kinds = defaultdict(list)
        for line in self.document_line_ids:
            for attachment in line.attachment_ids:
                kinds[attachment].append(line.document_id.name)
        attachments = self.document_line_ids.attachment_ids | self.line_ids.case_id.evidence_attachment_ids
        documents = []
        for attachment in attachments.sorted("id"):
            included, pages, note = self._pack_readable(attachment)
            documents.append(
                {
                    "attachment": attachment,
                    "kinds": kinds.get(attachment, []),
                    "included": included,
                    "pages": pages,
                    "note": note,
                }
            )
        return documents

    def _pack_readable(self, attachment):
        """(included, pages, note): PDFs and images go into the pack; anything else, or a file
        that cannot be read, is listed and sent separately."""
        data = attachment.raw
        if attachment.mimetype == PDF_MIMETYPE:
            try:
                reader = PdfFileReader(io.BytesIO(data), strict=False)
                if reader.is_encrypted and not reader.decrypt(""):
                    return False, 0, self.env._("password-protected PDF: attached separately")
                pages = len(reader.pages)
                if pages:
                    return True, pages, ""
            except (PdfReadError, ValueError, TypeError, KeyError, NotImplementedError) as exc:
                _logger.info("Evidence pack: %s is not a readable PDF: %s", attachment.name, exc)
            return False, 0, self.env._("damaged PDF: attached separately")
        if attachment.mimetype in IMAGE_MIMETYPES:
            try:
                Image.open(io.BytesIO(data)).verify()
            except Exception:  # PIL raises many kinds for a damaged file
                return False, 0, self.env._("damaged image: attached separately")
            return True, 1, ""
        return False, 0, self.env._("%s: attached separately", attachment.mimetype or "file")

    def _build_evidence_pack(self):
        """The evidence pack PDF: the report (tracking timeline, reasons, customer messages,
        confirmation, invoice lines and values, the list of documents), then the pages of every
        PDF and image attached, in one file a carrier's single upload field takes."""
        self.ensure_one()
        report = self.env.ref("lost_parcel_reship.action_report_lost_parcel_claim_evidence")
        # The pack is sent to carriers: always a real PDF, also when Odoo runs its tests (which
        # otherwise renders reports as HTML).
        pdf, report_type = (
            self.env["ir.actions.report"].with_context(force_report_rendering=True)._render_qweb_pdf(report, self.ids)
        )
        if report_type != "pdf":
            raise UserError(self.env._("The evidence pack could not be rendered as a PDF."))
        writer = PdfFileWriter()
        for stream in [io.BytesIO(pdf), *self._pack_document_streams()]:
            reader = PdfFileReader(stream, strict=False)
            if reader.is_encrypted:
                reader.decrypt("")
            for page in reader.pages:
                writer.add_page(page)
        with io.BytesIO() as buffer:
            writer.write(buffer)
            return buffer.getvalue()

    def _pack_document_streams(self):
        streams = []
        for document in self._evidence_pack_documents():
            if not document["included"]:
                continue
            attachment = document["attachment"]
            if attachment.mimetype == PDF_MIMETYPE:
                streams.append(io.BytesIO(attachment.raw))
                continue
            image = Image.open(io.BytesIO(attachment.raw))
            resolution = max(72.0, image.width / PAGE_INCHES[0], image.height / PAGE_INCHES[1])
            stream = io.BytesIO()
            image.convert("RGB").save(stream, format="pdf", resolution=resolution)
            stream.seek(0)
            streams.append(stream)
        return streams

    def _store_evidence_pack(self):
        self.ensure_one()
        vals = {
            "name": self._pack_filename(),
            "raw": self._build_evidence_pack(),
            "mimetype": PDF_MIMETYPE,
            "res_model": self._name,
            "res_id": self.id,
        }
        if self.evidence_pack_id:
            self.evidence_pack_id.write(vals)
        else:
            self.evidence_pack_id = self.env["ir.attachment"].create(vals)
        return self.evidence_pack_id

    def _evidence_pack_sections(self):
        """What the report shows for each parcel, read as superuser from the order and its
        messages (a warehouse user files claims without sales rights)."""
        self.ensure_one()
        sections = []
        for line in self.line_ids.sorted("id"):
            case = line.case_id
            picking = case.picking_id.sudo()
            order = case.sale_id.sudo()
            moves = picking.move_ids.filtered(lambda m: m.state == "done" and m.quantity)
            sections.append(
                {
                    "line": line,
                    "case": case,
                    "picking": picking,
                    "order": order,
                    "events": picking.tracking_event_ids.sorted(
                        lambda e: (e.occurred_at or fields.Datetime.now(), e.id)
                    ),
                    "reasons": case.reason_ids,
                    "messages": self._customer_messages(case),
                    "moves": moves,
                    "invoices": order.invoice_ids.filtered(
                        lambda m: m.state == "posted" and m.move_type == "out_invoice"
                    ),
                }
            )
        return sections

    @api.model
    def _customer_messages(self, case):
        """What the customer wrote about the parcel: their messages on the order and the case."""
        partner = case.partner_id.commercial_partner_id
        if not partner:
            return self.env["mail.message"]
        threads = [[("model", "=", "lost.parcel.case"), ("res_id", "=", case.id)]]
        if case.sale_id:
            threads.append([("model", "=", "sale.order"), ("res_id", "=", case.sale_id.id)])
        domain = expression.AND(
            [
                [("message_type", "in", ("comment", "email")), ("author_id", "child_of", partner.id)],
                expression.OR(threads),
            ]
        )
        return self.env["mail.message"].sudo().search(domain, order="date, id")

    # ------------------------------------------------------------------ crons
    @api.model
    def _cron_sync_claims(self):
        """Read back the decisions on claims filed through an API."""
        claims = self.search(
            [
                "|",
                "&",
                ("state", "=", "submitted"),
                ("carrier_claim_ref", "!=", False),
                "&",
                ("state", "=", "draft"),
                ("api_submission_uncertain", "=", True),
                ("claim_account_id", "!=", False),
            ]
        )
        claims._sync_with_provider()
        return claims

    @api.model
    def _cron_remind_claim_deadlines(self, today=None):
        """Remind each responsible of a claim not filed yet, ahead of its notice date or
        deadline (the window's days), once per date."""
        today = today or fields.Date.context_today(self)
        claims = self.search([("state", "=", "draft"), ("reminder_date", "<=", today)])
        reminded = self.browse()
        for claim in claims:
            due = claim._next_due_date(today)
            if not due or due == claim.reminded_for_date:
                continue
            if due - timedelta(days=claim.window_id.reminder_days) > today:
                continue
            try:
                with self.env.cr.savepoint():
                    claim._schedule_deadline_reminder(due, today)
            except Exception:  # one claim's reminder never stops the others'
                _logger.exception("Claim %s: the deadline reminder could not be scheduled", claim.name)
                continue
            reminded |= claim
        return reminded

    def _next_due_date(self, today):
        """The notice date while it is ahead, else the deadline."""
        self.ensure_one()
        if self.notice_date and self.notice_date >= today:
            return self.notice_date
        return self.deadline_date

    def _schedule_deadline_reminder(self, due, today):
        self.ensure_one()
        user = self.user_id or self.env.user
        in_lang = self.with_context(lang=user.lang or self.env.lang)
        _ = in_lang.env._
        if due == self.notice_date and due != self.deadline_date:
            summary = _(
                "Send the notice of claim %(claim)s by %(date)s", claim=self.name, date=format_date(in_lang.env, due)
            )
        else:
            summary = _("File claim %(claim)s by %(date)s", claim=self.name, date=format_date(in_lang.env, due))
        note = _(
            "%(amount)s to claim from %(party)s. Missing documents: %(missing)s.",
            amount=format_amount(in_lang.env, self.amount_requested, self.currency_id),
            party=self.insurer_id.name or self.carrier_id.name or "-",
            missing=self.missing_documents or _("none"),
        )
        self.activity_unlink(["lost_parcel_reship.mail_activity_type_claim_deadline"])
        self.activity_schedule(
            "lost_parcel_reship.mail_activity_type_claim_deadline",
            date_deadline=max(due, today),
            summary=summary,
            note=note,
            user_id=user.id,
        )
        self.reminded_for_date = due
