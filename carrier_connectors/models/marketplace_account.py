from odoo import api, fields, models

from ..stores import WriteBackResult, get_store_client_class, store_selection
from ..stores.base import ApiError

SECRET_FIELDS = (
    "shop_domain",
    "access_token",
    "client_id",
    "client_secret",
    "refresh_token",
    "marketplace_id",
    "seller_id",
)


class MarketplaceAccount(models.Model):
    """A seller's account on a store (Shopify, Amazon, eBay, Walmart) whose orders come into
    Odoo with the store's order id. ``lost_parcel_reship`` calls ``_push_tracking`` when a reship
    leaves and ``_fetch_buyer_claims`` to read buyers' "not received" claims; both build the
    store client with the credentials read as superuser, and never return them."""

    _name = "marketplace.account"
    _description = "Store Account"
    _inherit = ["mail.thread", "carrier.api.account.mixin"]
    _api_service_field = "store"
    _api_secret_fields = SECRET_FIELDS
    _order = "name, id"

    # ------------------------------------------------------------------ fields
    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True, tracking=True)
    store = fields.Selection(selection=lambda self: store_selection(), required=True, tracking=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    team_id = fields.Many2one(
        "crm.team",
        string="Sales Team",
        tracking=True,
        check_company=True,
        help="The sales team whose orders come from this store.",
    )
    base_url = fields.Char(
        "API Base URL",
        compute="_compute_base_url",
        store=True,
        readonly=False,
        tracking=True,
        help="The store's production API by default (Shopify: empty, the shop's own domain). Only "
        "system administrators change it; changing it, or the store, clears the credentials.",
    )
    # Credentials: system administrators only; they never reach logs, errors or the chatter.
    shop_domain = fields.Char(
        groups="base.group_system", copy=False, exportable=False, help="e.g. my-shop.myshopify.com"
    )
    access_token = fields.Char(groups="base.group_system", copy=False, exportable=False)
    client_id = fields.Char("Client ID", groups="base.group_system", copy=False, exportable=False)
    client_secret = fields.Char(groups="base.group_system", copy=False, exportable=False)
    refresh_token = fields.Char(groups="base.group_system", copy=False, exportable=False)
    marketplace_id = fields.Char(
        "Marketplace ID",
        groups="base.group_system",
        copy=False,
        exportable=False,
        help="Amazon: e.g. ATVPDKIKX0DER (amazon.com). eBay: e.g. EBAY_US (the default).",
    )
    seller_id = fields.Char(
        "Seller ID", groups="base.group_system", copy=False, exportable=False, help="Amazon merchant token."
    )
    credential_fields = fields.Char(compute="_compute_store_info")
    supports_buyer_claims = fields.Boolean(compute="_compute_store_info")
    buyer_claims_note = fields.Char(compute="_compute_store_info")
    can_route_credentials = fields.Boolean(
        compute="_compute_can_route_credentials", help="Whether the current user may change the store or its URL."
    )
    rate_limit = fields.Float(
        "Calls per Second", default=0.0, help="0 uses the store's documented limit for a standard account."
    )
    last_test_date = fields.Datetime(readonly=True)
    last_test_result = fields.Char(readonly=True)

    _sql_constraints = [
        ("rate_limit_positive", "CHECK(rate_limit >= 0)", "The rate limit cannot be negative."),
    ]

    # ---------------------------------------------------------------- computes
    @api.depends("store")
    def _compute_base_url(self):
        for account in self:
            if account.store:
                account.base_url = get_store_client_class(account.store).default_base_url or False

    @api.depends("store")
    def _compute_store_info(self):
        for account in self:
            cls = get_store_client_class(account.store) if account.store else None
            fields_needed = list(cls.credential_fields) if cls else []
            if account.store in ("amazon", "ebay") and "marketplace_id" not in fields_needed:
                fields_needed.append("marketplace_id")
            if account.store == "amazon":
                fields_needed.append("seller_id")
            account.credential_fields = ",".join(fields_needed)
            account.supports_buyer_claims = bool(cls and cls.supports_buyer_claims())
            account.buyer_claims_note = cls.claims_unavailable_reason if cls else False

    # ------------------------------------------------------------------ routing (the mixin's hooks)
    def _api_default_base_url(self, service):
        return get_store_client_class(service).default_base_url

    def _api_refused_message(self, creating):
        if creating:
            return self.env._("Only system administrators may set a store's API base URL.")
        return self.env._("Only system administrators may change the store or the API base URL.")

    def _api_cleared_message(self):
        return self.env._("Store or API base URL changed: the credentials were cleared.")

    # ----------------------------------------------------------------- clients
    def _get_store_client_options(self):
        """Keyword arguments that build this account's store client. Credentials are read as
        superuser on purpose: warehouse users validate reships, only administrators read secrets."""
        self.ensure_one()
        account = self.sudo()
        return {
            "base_url": account.base_url or None,
            "credentials": {name: account[name] for name in SECRET_FIELDS if account[name]},
            "limiter": self._api_limiter(),
        }

    def _api_rate(self):
        self.ensure_one()
        return self.rate_limit or get_store_client_class(self.store).default_rate_limit

    def _get_store_client(self, **options):
        self.ensure_one()
        return get_store_client_class(self.store)(**self._get_store_client_options(), **options)

    def _push_tracking(self, update):
        """Show a reship's tracking (``stores.TrackingUpdate``) on the store. Returns a
        ``stores.WriteBackResult``; never raises for the store's answer or a missing credential,
        so the caller can queue and retry."""
        self.ensure_one()
        try:
            client = self._get_store_client()
        except ApiError as exc:
            return WriteBackResult(False, error_kind=exc.kind, error=exc.message)
        return client.push_tracking(update)

    def _read_store_order_lines(self, order_ref):
        """The store's lines of one order (``stores.StoreOrderLine``: id, quantity, SKU), or None
        for a store whose write-back names no lines (Shopify edits the lost parcel's fulfillment).
        Raises ``ApiError`` when the store cannot be asked."""
        self.ensure_one()
        if not get_store_client_class(self.store).supports_order_lines():
            return None
        return self._get_store_client().order_lines(order_ref)

    def _fetch_buyer_claims(self, since, closed_since=None):
        """Buyers' "item not received" claims opened since ``since`` (naive UTC datetime), as a
        list of ``stores.BuyerClaim``; empty for a store without such an API (Amazon, Walmart).
        With ``closed_since``, also what became of the claims opened since then (closed ones
        included), to close claims recorded open. Raises ``ApiError`` when the store cannot be
        asked (auth, outage)."""
        self.ensure_one()
        if not self.supports_buyer_claims:
            return []
        return self._get_store_client().fetch_buyer_claims(since, closed_since=closed_since)

    # ----------------------------------------------------------------- actions
    def action_test_connection(self):
        """Authenticate and make one cheap call; the outcome is kept on the account and shown."""
        self.ensure_one()
        try:
            self._get_store_client(max_attempts=1).test_connection()
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
