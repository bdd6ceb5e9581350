import logging

from odoo import api, fields, models

from ..claims import ClaimResult, get_claims_client_class, provider_selection
from ..clients.api import ApiError

_logger = logging.getLogger(__name__)


class CarrierClaimAccount(models.Model):
    """An account with a claims provider (EasyPost Claims API, a shipping insurer) that files
    lost-parcel claims and reads back their decisions.

    The claim model calls ``_submit_claim``, ``_fetch_claims``, ``_find_claims_by_reference`` and
    ``_cancel_claim`` with the plain-Python types of ``claims/`` and stores what comes back: none
    of them raises for a remote failure, which comes back as a ``ClaimResult`` with
    ``error_kind`` and ``error``.
    """

    _name = "carrier.claim.account"
    _description = "Claim Account"
    _inherit = ["mail.thread", "carrier.api.account.mixin"]
    _api_secret_fields = ("api_key",)
    _order = "name, id"

    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True, tracking=True)
    provider = fields.Selection(
        selection=lambda self: provider_selection(), required=True, default="easypost", tracking=True
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True, tracking=True
    )
    base_url = fields.Char(
        "API Base URL",
        compute="_compute_base_url",
        store=True,
        readonly=False,
        tracking=True,
        help="The provider's production API by default. Only system administrators change it, and a "
        "change clears the API key, so a key is never sent to a host it was not entered for.",
    )
    # System administrators only; never in logs, messages or the chatter.
    api_key = fields.Char("API Key", groups="base.group_system", copy=False, exportable=False)
    api_key_set = fields.Boolean("API Key Entered", compute="_compute_api_key_set")
    last_test_date = fields.Datetime(readonly=True)
    last_test_result = fields.Char(readonly=True)

    # ------------------------------------------------------------------ computes
    @api.depends("provider")
    def _compute_base_url(self):
        for account in self:
            if account.provider and not account.base_url:
                account.base_url = get_claims_client_class(account.provider).default_base_url

    def _compute_api_key_set(self):
        for account, sudo_account in zip(self, self.sudo(), strict=True):
            account.api_key_set = bool(sudo_account.api_key)

    # ------------------------------------------------------------------ routing (the mixin's hooks)
    def _api_default_base_url(self, service):
        return get_claims_client_class(service).default_base_url

    def _api_refused_message(self, creating):
        if creating:
            return self.env._("Only system administrators can set the API base URL.")
        return self.env._("Only system administrators can change the provider or the API base URL.")

    def _api_cleared_message(self):
        return self.env._(
            "The provider or the API base URL changed: the API key was cleared. Enter the key for the new host."
        )

    # -------------------------------------------------------------------- actions
    def action_test_connection(self):
        """Authenticate and make one call that files nothing; the outcome is kept and shown."""
        self.ensure_one()
        try:
            self._get_claims_client(max_attempts=1).test_connection()
        except ApiError as exc:
            result, kind = self._api_redact(str(exc)), "danger"
            message = self.env._("Connection to %(name)s failed: %(error)s", name=self.name, error=result)
        else:
            result, kind = self.env._("Connection OK"), "success"
            message = self.env._("Connection to %s works.", self.name)
        self.write({"last_test_date": fields.Datetime.now(), "last_test_result": result})
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": kind,
                "sticky": kind == "danger",
                "message": message,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    # ------------------------------------------------------------- claims (API)
    def _get_claims_client(self, **options):
        """This account's client. The key is read as superuser on purpose: warehouse users file
        and follow claims, only administrators see the key."""
        self.ensure_one()
        account = self.sudo()
        return get_claims_client_class(account.provider)(
            base_url=account.base_url,
            credentials={"api_key": account.api_key} if account.api_key else {},
            limiter=self._api_limiter(),
            **options,
        )

    def _api_rate(self):
        self.ensure_one()
        return get_claims_client_class(self.provider).default_rate_limit

    def _submit_claim(self, request):
        """File ``request`` (``claims.ClaimRequest``) with the provider -> ``claims.ClaimResult``:
        ``ok`` and ``claim_ref`` (the provider's id, e.g. ``clm_...``) with its status, or
        ``error_kind``/``error`` (refused with the provider's message, invalid, auth, outage...)."""
        self.ensure_one()
        try:
            result = self._get_claims_client().submit_claim(request)
        except ApiError as exc:
            result = ClaimResult.failure(exc)
        if not result.ok:
            _logger.info("%s: claim for %s not filed: %s", self.name, request.tracking_code, result.error)
        return result

    def _fetch_claims(self, claim_refs):
        """{ref: ClaimResult} for each provider reference, read now. A claim that fails (unknown)
        does not stop the others; a failure of the whole account comes back on every claim."""
        self.ensure_one()
        refs = [ref.strip() for ref in claim_refs if ref and ref.strip()]
        try:
            client = self._get_claims_client()
        except ApiError as exc:
            return {ref: ClaimResult.failure(exc, claim_ref=ref) for ref in refs}
        return client.get_claims(refs)

    def _find_claims_by_reference(self, reference, since=None):
        """The provider's claims filed with our ``reference`` since ``since`` (naive UTC), to
        know whether an attempt that failed (a timeout) filed the claim anyway.

        :return: (list of ClaimResult, newest first; None) or ([], failed ClaimResult)
        """
        self.ensure_one()
        wanted = (reference or "").strip()
        try:
            results = self._get_claims_client().list_claims(since=since)
        except ApiError as exc:
            return [], ClaimResult.failure(exc)
        return [result for result in results if result.ok and result.reference == wanted], None

    def _cancel_claim(self, claim_ref):
        """Withdraw a claim the provider has not decided yet -> ClaimResult (status cancelled)."""
        self.ensure_one()
        try:
            return self._get_claims_client().cancel_claim(claim_ref)
        except ApiError as exc:
            return ClaimResult.failure(exc, claim_ref=claim_ref)
