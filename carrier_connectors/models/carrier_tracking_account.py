from odoo import api, fields, models
from odoo.tools import SQL

from ..clients import CarrierError, get_client_class, get_webhook_handlers, provider_selection
from ..clients.base import normalize_tracking_number

SECRET_FIELDS = ("api_key", "client_id", "client_secret", "partner_id", "checkword", "app_key", "app_secret")


class CarrierTrackingAccount(models.Model):
    _name = "carrier.tracking.account"
    _description = "Carrier Tracking Account"
    _inherit = ["mail.thread", "carrier.api.account.mixin"]
    _order = "sequence, id"
    _api_secret_fields = (*SECRET_FIELDS, "webhook_secret")

    name = fields.Char(required=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True, tracking=True)
    provider = fields.Selection(selection=lambda self: provider_selection(), required=True, tracking=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    base_url = fields.Char(
        "API Base URL",
        compute="_compute_base_url",
        store=True,
        readonly=False,
        tracking=True,
        help="The provider's production API by default. Point it at the carrier sandbox to test.",
    )
    # Credentials: system administrators only; they never reach logs or the chatter.
    api_key = fields.Char("API Key", groups="base.group_system", copy=False, exportable=False)
    client_id = fields.Char("Client ID", groups="base.group_system", copy=False, exportable=False)
    client_secret = fields.Char(groups="base.group_system", copy=False, exportable=False)
    partner_id = fields.Char("Partner ID", groups="base.group_system", copy=False, exportable=False)
    checkword = fields.Char("Check Word", groups="base.group_system", copy=False, exportable=False)
    app_key = fields.Char("App Key", groups="base.group_system", copy=False, exportable=False)
    app_secret = fields.Char(groups="base.group_system", copy=False, exportable=False)
    webhook_secret = fields.Char(groups="base.group_system", copy=False, exportable=False)
    webhook_url = fields.Char(compute="_compute_webhook_url")
    supports_webhook = fields.Boolean(compute="_compute_provider_info")
    credential_fields = fields.Char(compute="_compute_provider_info")
    rate_limit = fields.Float(
        "Calls per Second", default=0.0, help="0 uses the provider's documented limit for a starter account."
    )
    concurrency = fields.Integer("Parallel Requests", default=4)
    poll_interval_hours = fields.Float("Poll Every (hours)", default=6.0)
    carrier_ids = fields.One2many("delivery.carrier", "tracking_account_id", string="Shipping Methods")
    last_test_date = fields.Datetime(readonly=True)
    last_test_result = fields.Char(readonly=True)
    can_route_credentials = fields.Boolean(
        compute="_compute_can_route_credentials",
        help="Whether the current user may change the provider or the API base URL.",
    )

    _sql_constraints = [
        ("rate_limit_positive", "CHECK(rate_limit >= 0)", "The rate limit cannot be negative."),
        ("concurrency_positive", "CHECK(concurrency > 0)", "Parallel requests must be at least 1."),
        ("poll_interval_positive", "CHECK(poll_interval_hours > 0)", "The poll interval must be positive."),
    ]

    @api.depends("provider")
    def _compute_base_url(self):
        for account in self:
            if account.provider and not account.base_url:
                account.base_url = get_client_class(account.provider).default_base_url

    @api.depends("provider")
    def _compute_provider_info(self):
        for account in self:
            cls = get_client_class(account.provider) if account.provider else None
            account.supports_webhook = bool(account.provider and get_webhook_handlers(account.provider))
            account.credential_fields = ",".join(cls.credential_fields) if cls else ""

    @api.depends("provider")
    def _compute_webhook_url(self):
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        for account in self:
            account.webhook_url = account.id and f"{base}/carrier_connectors/webhook/{account.id}"

    # ------------------------------------------------------------------ clients
    def _get_client_options(self):
        """Keyword arguments that build this account's client. Credentials are read as
        superuser on purpose: warehouse users may poll, only administrators read secrets."""
        self.ensure_one()
        account = self.sudo()
        return {
            "base_url": account.base_url,
            "credentials": {name: account[name] for name in SECRET_FIELDS if account[name]},
            "limiter": self._api_limiter(),
        }

    def _api_rate(self):
        self.ensure_one()
        return self.rate_limit or get_client_class(self.provider).default_rate_limit

    def _tracking_capacity(self, seconds):
        """How many tracking numbers this account may be asked about in the next ``seconds``
        within its rate limit (calls the limit allows, times the numbers one call takes), with a
        tenth of the time kept for the answers. A poll never claims more of its parcels than that.
        """
        self.ensure_one()
        calls = self._api_limiter().calls_within(0.9 * seconds)
        return int(calls) * get_client_class(self.provider).batch_size

    def _get_client(self, **options):
        self.ensure_one()
        return get_client_class(self.provider)(**self._get_client_options(), **options)

    def _get_tracking_link(self, tracking_number):
        self.ensure_one()
        return get_client_class(self.provider).tracking_link(tracking_number)

    def action_test_connection(self):
        """Authenticate and make one cheap call; the outcome is kept on the account and shown."""
        self.ensure_one()
        try:
            self._get_client(max_attempts=1).test_connection()
        except CarrierError as exc:
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

    def _apply_webhook_results(self, results):
        """Store pushed results on this account's parcels; returns the pickings updated.

        Numbers match in their normalized form (``normalize_tracking_number``, as polling sends
        them). Pushes may come out of order: one older than what a parcel knows never moves it
        backwards (``stock.picking._apply_tracking_results(keep_newer=True)``)."""
        self.ensure_one()
        by_number = {}
        for result in results:
            number = normalize_tracking_number(result.tracking_number)
            if number:
                by_number[number] = result
        if not by_number:
            return self.env["stock.picking"]
        # Wait for (or conflict with) a cron batch storing the same parcels: a conflict is a
        # serialization failure, which Odoo retries, instead of a duplicate-event error.
        rows = self.env.execute_query(
            SQL(
                """SELECT id FROM stock_picking
                    WHERE tracking_account_id = %s AND state = 'done'
                      AND upper(regexp_replace(carrier_tracking_ref, '\\s', '', 'g')) IN %s
                    ORDER BY id FOR UPDATE""",
                self.id,
                tuple(by_number),
            )
        )
        pickings = self.env["stock.picking"].browse(row[0] for row in rows)
        matched = {}
        for picking in pickings:
            result = by_number.get(normalize_tracking_number(picking.carrier_tracking_ref))
            if result:
                matched[picking.id] = result
        pickings = pickings.browse(list(matched))
        pickings._apply_tracking_results(matched, keep_newer=True)
        return pickings

    # ------------------------------------------------------------------ routing (the mixin's hooks)
    def _api_default_base_url(self, service):
        return get_client_class(service).default_base_url

    def _api_refused_message(self, creating):
        if creating:
            return self.env._("Only system administrators may set a tracking account's API base URL.")
        return self.env._("Only system administrators may change a tracking account's provider or API base URL.")

    def _api_cleared_message(self):
        return self.env._("Provider or API base URL changed: the credentials were cleared.")

    def action_view_pickings(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("stock.action_picking_tree_all")
        action["domain"] = [("tracking_account_id", "=", self.id)]
        action["context"] = {"search_default_tracking_active": 1}
        return action
