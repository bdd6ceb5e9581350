"""Amazon Selling Partner API: tracking write-back with Orders v0 ``confirmShipment``.

Sources (public samples, copied to tests/fixtures/ under their original names):
- ``POST /orders/v0/orders/{orderId}/shipmentConfirmation``: request body and the 400 answer of
  the sandbox examples in amzn/selling-partner-api-models ordersV0.json. It answers 204.
  Amazon's rule: the same ``packageReferenceId`` edits a confirmed package, a new one adds a
  package; so every retry of one reship sends the reship's own, stable reference.
- ``GET /orders/v0/orders/{orderId}/orderItems`` (the ``OrderItemId`` confirmShipment needs, with
  ``SellerSKU`` and ``QuantityOrdered``, paginated by ``NextToken``): same file's example.
  ``packageDetail.orderItems`` names the items the package carries and how many of each: a
  partial reship names only its own items, with the reshipped quantities (``update.lines``).
- ``GET /sellers/v1/marketplaceParticipations`` (connection test) and the ``errors[]`` body of a
  429 (``QuotaExceeded``) follow the published SP-API models; no sample of them is in the samples.

Auth: Login with Amazon, refresh-token grant at ``https://api.amazon.com/auth/o2/token``; the
access token (1 hour) goes in ``x-amz-access-token``. No SigV4 signing since 2023-10-02.

Buyer claims: Amazon has no public A-to-z claim API, and the Messaging API only sends templated
messages (it cannot read the buyer's inbox); the Account Health report gives claim counts, not
claims. So this client has no ``fetch_buyer_claims``.
"""

import hashlib

from .base import (
    ACTION_UPDATED,
    ERROR_AUTH,
    ERROR_INVALID,
    ERROR_MALFORMED,
    ERROR_NOT_FOUND,
    ERROR_RATE_LIMITED,
    ApiError,
    StoreClient,
    StoreOrderLine,
    WriteBackResult,
    iso_z,
    safe_json,
    ship_date_utc,
)
from .registry import register

# Our carrier codes → Amazon CarrierCode values (Amazon's published carrier code list; "Other"
# needs carrierName). Anything else goes as "Other" with the carrier's name.
CARRIER_CODES = {
    "usps": "USPS",
    "ups": "UPS",
    "fedex": "FedEx",
    "dhl": "DHL",
    "sf_express": "SF Express",
    "fourpx": "4PX",
}


@register
class AmazonClient(StoreClient):
    store = "amazon"
    label = "Amazon"
    default_base_url = "https://sellingpartnerapi-na.amazon.com"  # -eu / -fe for the other regions
    credential_fields = ("client_id", "client_secret", "refresh_token", "marketplace_id")
    production_urls = {"token": "https://api.amazon.com/auth/o2/token"}
    # Default usage plans: confirmShipment 2 requests/s (burst 10), getOrder and getOrderItems 0.5/s
    # (burst 30) (SP-API Orders v0 reference). One bucket
    # per account, so the slowest call we make sets it.
    default_rate_limit = 0.5
    claims_unavailable_reason = (
        "Amazon has no public API for A-to-z claims or buyer messages: the Messaging API only sends "
        "templated messages and the Account Health report only counts claims."
    )

    @property
    def token_path(self):
        return self._url("token")

    def _token_request(self):
        return {
            "data": {
                "grant_type": "refresh_token",
                "refresh_token": self.credentials["refresh_token"],
                "client_id": self.credentials["client_id"],
                "client_secret": self.credentials["client_secret"],
            }
        }

    def _token_key(self):
        # One app (client id/secret) serves many sellers: the refresh token is the seller.
        secret = self.credentials["client_secret"] + "\0" + self.credentials["refresh_token"]
        return (self.token_path, self.credentials["client_id"], hashlib.sha256(secret.encode()).hexdigest()[:16])

    def _auth_headers(self):
        return {"x-amz-access-token": self._access_token(), "Accept": "application/json"}

    def _error_from_response(self, response, auth_request=False):
        error = super()._error_from_response(response, auth_request)
        if error.kind == ERROR_RATE_LIMITED and error.retry_after is None:
            # SP-API sends no Retry-After, but its plan: x-amzn-RateLimit-Limit requests per second.
            error.retry_after = _seconds_per_call(response.headers.get("x-amzn-RateLimit-Limit"))
        return error

    def test_connection(self):
        response = self._request("GET", "/sellers/v1/marketplaceParticipations")
        payload = self._json(response)
        marketplaces = {(p.get("marketplace") or {}).get("id") for p in payload.get("payload") or []}
        if self.credentials["marketplace_id"] not in marketplaces:
            raise ApiError(
                ERROR_AUTH,
                f"Amazon: this seller does not sell on marketplace {self.credentials['marketplace_id']}",
            )
        return sorted(m for m in marketplaces if m)

    # ------------------------------------------------------------- write-back
    def _check_update(self, update):
        problem = super()._check_update(update)
        if not problem and not str(update.package_reference or "").isdigit():
            # Amazon takes positive numbers only, and the same one for every retry of a reship.
            problem = "a reship needs a numeric package reference (the same for every retry)"
        return problem

    def _push_tracking(self, update):
        lines = update.lines or [(line.ref, line.quantity) for line in self.order_lines(update.order_ref)]
        if not lines:
            error = f"Amazon: order {update.order_ref} has no items"
            return WriteBackResult(False, error_kind=ERROR_INVALID, error=error)
        code = CARRIER_CODES.get((update.carrier_code or "").lower(), "Other")
        # Field names as in spapi-models_ordersV0_confirmShipment_request.json.
        package = {
            "packageReferenceId": str(update.package_reference),
            "carrierCode": code,
            "carrierName": update.carrier_name or code,  # required with "Other"
            "trackingNumber": update.tracking_number.strip(),
            "shipDate": iso_z(ship_date_utc(update)),  # ISO 8601: "02/21/2022" is the sample's 400
            "orderItems": [{"orderItemId": str(ref), "quantity": int(qty)} for ref, qty in lines],
        }
        body = {"marketplaceId": self.credentials["marketplace_id"], "packageDetail": package}
        response = self._request("POST", f"/orders/v0/orders/{update.order_ref}/shipmentConfirmation", json=body)
        if response.status_code == 404:
            return WriteBackResult(False, error_kind=ERROR_NOT_FOUND, error=f"Amazon: no order {update.order_ref}")
        # 204: Amazon says nothing more. The package reference is what Amazon keeps for it, and a
        # second confirmation with it edits this package: "updated" covers both first and later writes.
        return WriteBackResult(
            True, store_reference=str(update.package_reference), raw=safe_json(response), action=ACTION_UPDATED
        )

    def order_lines(self, order_ref):
        """Every item of the order (OrderItemId, QuantityOrdered, SellerSKU, Title), every page."""
        items, token = [], None
        for _page in range(50):
            params = {"NextToken": token} if token else None
            response = self._request("GET", f"/orders/v0/orders/{order_ref}/orderItems", params=params)
            if response.status_code == 404:
                raise ApiError(ERROR_NOT_FOUND, f"Amazon: no order {order_ref}")
            payload = (self._json(response) or {}).get("payload") or {}
            try:
                items += [
                    StoreOrderLine(
                        str(i["OrderItemId"]), int(i["QuantityOrdered"]), i.get("SellerSKU") or "", i.get("Title") or ""
                    )
                    for i in payload.get("OrderItems") or []
                ]
            except (KeyError, TypeError, ValueError) as exc:
                raise ApiError(ERROR_MALFORMED, f"Amazon: unreadable order items ({exc})") from exc
            token = payload.get("NextToken")
            if not token:
                break
        return items


def _seconds_per_call(limit):
    try:
        return 1.0 / float(limit)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
