from odoo import api, models
from odoo.exceptions import AccessError


class CarrierApiAccountMixin(models.AbstractModel):
    """An account whose credentials are sent, as superuser, to a remote API: a carrier's tracking
    API, a claims provider, a store. Where they go (the account's provider or store, and its API
    base URL) is chosen by system administrators only, and pointing an account elsewhere clears
    its credentials: whoever moves it enters them again, so a secret never reaches a host it was
    not entered for.

    Used by ``carrier.tracking.account``, ``carrier.claim.account`` and ``marketplace.account``,
    which name their service field, their secrets and their own messages.
    """

    _name = "carrier.api.account.mixin"
    _description = "Remote API Account (who may route its credentials)"

    # The field naming the remote service (its selection decides the default base URL).
    _api_service_field = "provider"
    # Credential fields cleared when the account moves to another host.
    _api_secret_fields = ()

    def _api_default_base_url(self, service):
        """The production base URL of ``service`` (a value of the service field)."""
        raise NotImplementedError

    def _api_refused_message(self, creating):
        """Why a user who is not a system administrator may not route the credentials."""
        raise NotImplementedError

    def _api_cleared_message(self):
        """The chatter note of an account whose credentials were cleared by a move."""
        raise NotImplementedError

    def _api_rate(self):
        """Calls per second this account may make: its own figure, else its client's default."""
        raise NotImplementedError

    def _api_limiter(self):
        """This account's rate limit, shared by every process of the database
        (``carrier.api.throttle``): what its clients are built with."""
        self.ensure_one()
        return self.env["carrier.api.throttle"].sudo()._limiter(self, self._api_rate())

    def _api_redact(self, text):
        """``text`` with this account's credentials masked: a remote error may quote what it was
        sent (a wrong key echoed back), and its text is shown and kept on the account."""
        account = self.sudo()
        secrets = {str(account[name]) for name in self._api_secret_fields if account[name]}
        for secret in sorted((s for s in secrets if len(s) >= 4), key=len, reverse=True):
            text = text.replace(secret, "***")
        return text

    def _export_rows(self, fields, *, _is_toplevel_call=True):
        """Credentials are never exported, not even by a system administrator: ``exportable=False``
        hides them from the export dialog, and this refuses a request that names them anyway
        (directly, or through a relation such as a shipping method's account)."""
        refused = [
            self._fields[path[0]]
            for path in fields
            if path and path[0] in self._fields and not self._fields[path[0]].exportable
        ]
        if refused:
            names = ", ".join(dict.fromkeys(field._description_string(self.env) for field in refused))
            raise AccessError(self.env._("Credentials are never exported: %s.", names))
        return super()._export_rows(fields, _is_toplevel_call=_is_toplevel_call)

    def _may_route_credentials(self):
        return self.env.su or self.env.user.has_group("base.group_system")

    @api.depends_context("uid")
    def _compute_can_route_credentials(self):
        self.can_route_credentials = self._may_route_credentials()

    @api.model_create_multi
    def create(self, vals_list):
        if not self._may_route_credentials():
            service_field = self._api_service_field
            default_service = self.default_get([service_field]).get(service_field)
            for vals in vals_list:
                service = vals.get(service_field) or default_service
                default = ((service and self._api_default_base_url(service)) or "").rstrip("/")
                if vals.get("base_url") and vals["base_url"].rstrip("/") != default:
                    raise AccessError(self._api_refused_message(creating=True))
        return super().create(vals_list)

    def write(self, vals):
        routing = [name for name in (self._api_service_field, "base_url") if name in vals]
        moved = self.filtered(
            lambda account: any((vals[name] or False) != (account[name] or False) for name in routing)
        )
        if moved and not self._may_route_credentials():
            raise AccessError(self._api_refused_message(creating=False))
        result = super().write(vals)
        cleared = {name: False for name in self._api_secret_fields if name not in vals}
        if moved and cleared:
            super(CarrierApiAccountMixin, moved.sudo()).write(cleared)
            for account in moved:
                account.message_post(body=self._api_cleared_message())
        return result
