"""Walmart Marketplace (US): tracking write-back with ``POST /v3/orders/{purchaseOrderId}/shipping``.

Sources (public samples, copied to tests/fixtures/ under their original names):
- shippingUpdates request and answer, getAnOrder answer with a Shipped line: Walmart's "Order
  Management" spec 0.6.3 examples (highsidelabs/walmart-api-php resources). ``shipDateTime`` is epoch
  milliseconds; ``carrierName`` is ``{carrier}`` (enum) or ``{otherCarrier}`` (then
  ``trackingURL`` is required); ``methodCode`` is the order's shipping method.
- Changing the tracking of a line that is already shipped: the spec's
  ``orderLineStatus[].currentTrackingInfo.trackingNumber`` names the number being replaced, and
  ``orderShipment.processMode`` "PARTIAL_UPDATE" says it is a change after shipment (spec; Walmart's
  "Ship an order" page: "The seller can update the shipment within 4 hours of sending the first
  shipping information"). No JSON sample of either in use exists (samples README, "Gaps"): they
  follow the spec's field list. Lines not shipped yet go in a request of their own, without it.
  Only the lost parcel's number is ever replaced: a line that does not show it (another parcel's
  line, or a line already carrying the first delivery of a split reship) gets the new number as a
  shipped status of its own, with the reshipped quantity (``statusQuantity``). The order is read
  first, so a line already showing the new number is not written again.
- Error body ``{"errors": {"error": [{"code", "field", "description", "info", "severity",
  "category", "causes"}]}}``: Walmart's published error model (as in the PHP SDK's generated
  models); no error sample is in the samples.

Auth: ``POST /v3/token`` (client credentials, HTTP Basic client id/secret) gives a 15-minute token
sent as ``WM_SEC.ACCESS_TOKEN``, with ``WM_SVC.NAME`` and a fresh ``WM_QOS.CORRELATION_ID`` on
every call.

Buyer claims: Walmart has no public API for buyers' "item not received" contacts (only order
statuses and refunds), so this client has no ``fetch_buyer_claims``.
"""

import uuid

from .base import (
    ACTION_UNCHANGED,
    ACTION_UPDATED,
    ERROR_INVALID,
    ERROR_MALFORMED,
    ERROR_NOT_FOUND,
    ApiError,
    StoreClient,
    StoreOrderLine,
    WriteBackResult,
    normalize_number,
    ship_date_utc,
)
from .registry import register

SERVICE_NAME = "Walmart Marketplace"
# Our carrier codes → carrierName.carrier enum values (spec ``CarrierNameType.carrier``, which lists
# "SF Express" and "4PX" too); others go as otherCarrier.
CARRIERS = {"usps": "USPS", "ups": "UPS", "fedex": "FedEx", "dhl": "DHL", "sf_express": "SF Express", "fourpx": "4PX"}
# ``orderShipment.processMode`` of a tracking change on a line already shipped (spec: "Use this
# parameter only to update tracking information after order is shipped. Use 'PARTIAL_UPDATE'").
PARTIAL_UPDATE = "PARTIAL_UPDATE"


@register
class WalmartClient(StoreClient):
    store = "walmart"
    label = "Walmart"
    default_base_url = "https://marketplace.walmartapis.com"  # sandbox: https://sandbox.walmartapis.com
    credential_fields = ("client_id", "client_secret")
    token_path = "/v3/token"
    # Walmart publishes no figure for the orders endpoints, only "429 when exceeded, per-partner
    # limits" (Walmart's developer docs): one call a second is a cautious start, raised on the account.
    default_rate_limit = 1.0
    claims_unavailable_reason = (
        "Walmart has no public API for buyers' 'item not received' contacts: only order statuses "
        "(including Delivered) and refunds."
    )

    def _service_headers(self):
        return {
            "WM_SVC.NAME": SERVICE_NAME,
            "WM_QOS.CORRELATION_ID": str(uuid.uuid4()),
            "Accept": "application/json",
        }

    def _token_request(self):
        return {
            "auth": (self.credentials["client_id"], self.credentials["client_secret"]),
            "data": {"grant_type": "client_credentials"},
            "headers": self._service_headers(),
        }

    def _auth_headers(self):
        return {**self._service_headers(), "WM_SEC.ACCESS_TOKEN": self._access_token()}

    def _refusal_text(self, payload):
        return walmart_error_text(payload)

    def test_connection(self):
        # The token call proves the client id and secret; the order list proves the token works.
        response = self._request("GET", "/v3/orders", params={"limit": 1})
        return self._json(response) if response.status_code != 404 else {}

    # ------------------------------------------------------------- write-back
    def _read_order(self, order_id):
        """(order, {lineNumber: line}) of getAnOrder; None when Walmart has no such order."""
        response = self._request("GET", f"/v3/orders/{order_id}")
        if response.status_code == 404:
            return None, {}
        order = (self._json(response) or {}).get("order") or {}
        try:
            return order, {str(line["lineNumber"]): line for line in order["orderLines"]["orderLine"]}
        except (KeyError, TypeError) as exc:
            raise ApiError(ERROR_MALFORMED, f"Walmart: unreadable order {order_id} ({exc})") from exc

    def order_lines(self, order_ref):
        """The order's lines (lineNumber, orderLineQuantity, item.sku, item.productName)."""
        order, lines = self._read_order(order_ref.strip())
        if order is None:
            raise ApiError(ERROR_NOT_FOUND, f"Walmart: no order {order_ref}")
        return [
            StoreOrderLine(
                ref,
                _quantity(line),
                (line.get("item") or {}).get("sku") or "",
                (line.get("item") or {}).get("productName") or "",
            )
            for ref, line in lines.items()
        ]

    def _push_tracking(self, update):
        order_id = update.order_ref.strip()
        order, lines = self._read_order(order_id)
        if order is None:
            return WriteBackResult(False, error_kind=ERROR_NOT_FOUND, error=f"Walmart: no order {order_id}")
        wanted = update.lines or [(number, _quantity(line)) for number, line in lines.items()]
        unknown = [str(ref) for ref, _qty in wanted if str(ref) not in lines]
        if unknown:
            return WriteBackResult(
                False, error_kind=ERROR_INVALID, error=f"Walmart: order {order_id} has no line {', '.join(unknown)}"
            )
        number = normalize_number(update.tracking_number)
        to_send = [(str(ref), qty) for ref, qty in wanted if number not in _shipped_numbers(lines[str(ref)])]
        if not to_send:
            return WriteBackResult(True, store_reference=order_id, raw=order, action=ACTION_UNCHANGED)
        carrier = CARRIERS.get((update.carrier_code or "").lower())
        if not carrier and not update.tracking_url:
            return WriteBackResult(
                False,
                error_kind=ERROR_INVALID,
                error=f"Walmart: {update.carrier_name or update.carrier_code} is not one of Walmart's carriers: "
                "a tracking URL is required",
            )
        method = (order.get("shippingInfo") or {}).get("methodCode") or "Standard"
        # Lines not shipped yet are shipped; lines already shipped get a tracking change, which Walmart
        # takes only as processMode PARTIAL_UPDATE (within 4 hours of the line's first shipping
        # information, its docs say: later, its refusal comes back as the write-back's error).
        first = [(ref, qty) for ref, qty in to_send if not _shipped_numbers(lines[ref])]
        changes = [(ref, qty) for ref, qty in to_send if _shipped_numbers(lines[ref])]
        answer = {}
        for group, mode in ((first, None), (changes, PARTIAL_UPDATE)):
            if not group:
                continue
            shipment = {
                "orderLines": {
                    "orderLine": [
                        self._prepare_line(ref, qty, lines[ref], update, carrier, method) for ref, qty in group
                    ]
                }
            }
            if mode:
                shipment = {"processMode": mode, **shipment}
            response = self._request("POST", f"/v3/orders/{order_id}/shipping", json={"orderShipment": shipment})
            if response.status_code == 404:
                return WriteBackResult(False, error_kind=ERROR_NOT_FOUND, error=f"Walmart: no order {order_id}")
            answer = (self._json(response) or {}).get("order") or {}
            shipped = {
                line.get("lineNumber"): _shipped_numbers(line)
                for line in (answer.get("orderLines") or {}).get("orderLine") or []
            }
            if any(number not in shipped.get(ref, ()) for ref, _qty in group):
                raise ApiError(
                    ERROR_MALFORMED, "Walmart: the answer does not show the new tracking number on every line"
                )
        return WriteBackResult(True, store_reference=order_id, raw=answer, action=ACTION_UPDATED)

    def _prepare_line(self, ref, qty, line, update, carrier, method):
        # Field names as in walmart-oas_orders_shippingUpdates_request.json.
        tracking = {
            "shipDateTime": int(ship_date_utc(update).timestamp() * 1000),
            "carrierName": {"carrier": carrier} if carrier else {"otherCarrier": update.carrier_name},
            "methodCode": method,
            "trackingNumber": update.tracking_number.strip(),
        }
        if update.tracking_url:
            tracking["trackingURL"] = update.tracking_url
        status = {
            "status": "Shipped",
            "statusQuantity": {"unitOfMeasurement": "EACH", "amount": str(qty)},
            "trackingInfo": tracking,
        }
        lost = normalize_number(update.previous_tracking_number)
        previous = next((n for n in _shipped_numbers(line, raw=True) if lost and normalize_number(n) == lost), None)
        if previous:
            # The line shows the lost parcel's number: name the one replaced (spec field; no
            # sample). A line that does not show it is never overwritten: the number is added.
            status["currentTrackingInfo"] = {"trackingNumber": previous}
        return {"lineNumber": ref, "orderLineStatuses": {"orderLineStatus": [status]}}


def _quantity(line):
    try:
        return int(float((line.get("orderLineQuantity") or {}).get("amount") or 1))
    except (TypeError, ValueError):
        return 1


def _shipped_numbers(line, raw=False):
    """Tracking numbers of a line's Shipped statuses (normalized unless ``raw``)."""
    numbers = []
    for status in (line.get("orderLineStatuses") or {}).get("orderLineStatus") or []:
        number = (status.get("trackingInfo") or {}).get("trackingNumber")
        if status.get("status") == "Shipped" and number:
            numbers.append(number if raw else normalize_number(number))
    return numbers


def walmart_error_text(payload):
    """``description`` (and ``info``) of the first error of Walmart's error body."""
    if not isinstance(payload, dict):
        return ""
    errors = payload.get("errors")
    if isinstance(errors, dict):
        errors = errors.get("error")
    if not isinstance(errors, list):
        errors = payload.get("error") if isinstance(payload.get("error"), list) else []
    for error in errors:
        if isinstance(error, dict) and (error.get("description") or error.get("info")):
            parts = [error.get("description"), error.get("info"), error.get("code") and f"({error['code']})"]
            return " ".join(p for p in parts if p)
    return payload.get("error_description") or ""
