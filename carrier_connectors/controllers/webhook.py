import logging

from odoo import SUPERUSER_ID, http
from odoo.http import request

from ..clients import CarrierError, get_webhook_handlers
from ..clients.base import ERROR_MALFORMED
from ..clients.status import UNKNOWN

_logger = logging.getLogger(__name__)

# No tracking push comes near this: a larger body is refused before it is read or parsed.
MAX_WEBHOOK_BYTES = 1024 * 1024


class CarrierWebhookController(http.Controller):
    @http.route(
        "/carrier_connectors/webhook/<int:account_id>",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def tracking_webhook(self, account_id, **kwargs):
        """Tracking pushes from an aggregator (17TRACK, AfterShip), one URL per account."""
        length = request.httprequest.content_length or 0
        if length > MAX_WEBHOOK_BYTES:
            _logger.warning(
                "Refused a %s-byte tracking webhook for account %s from %s: over %s bytes",
                length,
                account_id,
                request.httprequest.remote_addr,
                MAX_WEBHOOK_BYTES,
            )
            return request.make_json_response({"error": "body too large"}, status=413)
        # Pushes come from the aggregator, not from a user: stored and logged in the chatter as OdooBot,
        # like the polling cron, not as the public user.
        account = request.env(user=SUPERUSER_ID)["carrier.tracking.account"].browse(account_id).exists()
        handlers = account and account.active and get_webhook_handlers(account.provider)
        if not handlers:
            return request.make_json_response({"error": "unknown webhook"}, status=404)
        verify, parse = handlers
        body = request.httprequest.get_data()
        if len(body) > MAX_WEBHOOK_BYTES:  # a body sent without its length
            return request.make_json_response({"error": "body too large"}, status=413)
        headers = dict(request.httprequest.headers)
        if not account.webhook_secret or not verify(body, headers, account.webhook_secret):
            _logger.warning(
                "Rejected %s webhook for account %s from %s: missing or wrong signature",
                account.provider,
                account.id,
                request.httprequest.remote_addr,
            )
            return request.make_json_response({"error": "invalid signature"}, status=401)
        try:
            results = parse(body)
            empty = [result.tracking_number for result in results if result.status == UNKNOWN and not result.events]
            if empty:
                # Storing it would replace the parcel's known status with "unknown".
                raise CarrierError(ERROR_MALFORMED, f"no tracking information for {', '.join(empty)}")
        except (CarrierError, ValueError, KeyError, TypeError) as exc:
            _logger.warning("Unreadable %s webhook for account %s: %s", account.provider, account.id, exc)
            return request.make_json_response({"error": "unreadable body"}, status=400)
        updated = account._apply_webhook_results(results)
        return request.make_json_response({"received": len(results), "updated": len(updated)})
