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
