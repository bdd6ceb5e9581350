"""Shopify: tracking write-back with the GraphQL Admin API, Payments disputes with REST.

Sources (public samples, copied to tests/fixtures/ under their original names):
- ``fulfillmentTrackingInfoUpdate`` mutation, variables and answer: shopify.dev reference page
  (examples section). It edits the tracking of an existing fulfillment in place, so writing the
  same reship twice leaves one number on the order.
- ``GET /admin/api/{version}/shopify_payments/disputes.json``: shopify-api-ruby's REST test
  (shape; ``product_not_received`` is one of the dispute reasons in Shopify's published Dispute
  resource, not in the sample). Disputes are read through REST, which Shopify calls legacy but
  still serves; its list is paginated with the ``Link`` header (``rel="next"``, ``page_info``).
- The order's fulfillments (``order(id:) { fulfillments { id trackingInfo { ... } } }``) follow the
  published GraphQL Admin schema: no sample of that query was found.

Auth: the app's access token in ``X-Shopify-Access-Token``. A reship is written onto the lost
parcel's fulfillment (the one carrying ``previous_tracking_number``, or a number of the same
reship's other delivery, or the order's only one): its fulfillment order is closed, so a new
fulfillment could not be created for the same lines. The lost number is replaced and any other
number kept (``trackingInfoInput.numbers``, the multi-tracking field of FulfillmentTrackingInput),
so the two deliveries of a split reship both show. A fulfillment's tracking covers all of its
lines: Shopify cannot show a partial reship on some lines of the lost parcel's fulfillment only.
"""

import re

from .base import (
    ACTION_UNCHANGED,
    ACTION_UPDATED,
    CLAIM_CHARGEBACK,
    CLAIM_INQUIRY,
    ERROR_INVALID,
    ERROR_MALFORMED,
    ERROR_NOT_FOUND,
    ERROR_RATE_LIMITED,
    ERROR_REJECTED,
    ApiError,
    BodyError,
    BuyerClaim,
    StoreClient,
    WriteBackResult,
    normalize_number,
    parse_time,
    to_amount,
)
from .registry import register

API_VERSION = "2026-07"  # the version of the samples' REST calls; the mutation is the same in 2026-01
NOT_RECEIVED = "product_not_received"  # Dispute.reason (REST); PRODUCT_NOT_RECEIVED in GraphQL
_NEXT_LINK = re.compile(r'<([^>]+)>;\s*rel="next"')

ORDER_FULFILLMENTS = """
query OrderFulfillments($id: ID!) {
  order(id: $id) {
    id
    fulfillments(first: 50) {
      id
      status
      trackingInfo(first: 10) { company number url }
    }
  }
}
"""

# As in shopify-dev-docs_graphql_fulfillmentTrackingInfoUpdate_mutation.graphql, arguments wrapped.
TRACKING_INFO_UPDATE = """
mutation FulfillmentTrackingInfoUpdate(
  $fulfillmentId: ID!, $trackingInfoInput: FulfillmentTrackingInput!, $notifyCustomer: Boolean
) {
  fulfillmentTrackingInfoUpdate(
    fulfillmentId: $fulfillmentId, trackingInfoInput: $trackingInfoInput, notifyCustomer: $notifyCustomer
  ) {
    fulfillment {
      id
      status
      trackingInfo {
        company
        number
        url
      }
    }
    userErrors {
      field
      message
    }
  }
}
"""


@register
class ShopifyClient(StoreClient):
    store = "shopify"
    label = "Shopify"
    default_base_url = None  # https://{shop domain}: each shop is its own host
    credential_fields = ("shop_domain", "access_token")
    # REST Admin: 2 requests/s on Standard plans (4 Advanced, 20 Plus); GraphQL: 100 points/s
    # (shopify.dev "API rate limits").
    default_rate_limit = 2.0
    dispute_page_size = 50  # REST page size (Shopify allows up to 250)

    def __init__(self, base_url=None, credentials=None, **options):
        domain = (credentials or {}).get("shop_domain") or ""
        domain = domain.strip().removeprefix("https://").removeprefix("http://").rstrip("/")
        super().__init__(base_url=base_url or (domain and f"https://{domain}"), credentials=credentials, **options)

    def _auth_headers(self):
        return {"X-Shopify-Access-Token": self.credentials["access_token"], "Accept": "application/json"}

    # ---------------------------------------------------------------- GraphQL
    def _graphql(self, query, variables=None):
        """``data`` of a GraphQL answer. Throttling comes as HTTP 200 with a THROTTLED error
        (leaky bucket), retried like a 429; other top-level errors are malformed requests."""

        def call():
            response = self._request(
                "POST", f"/admin/api/{API_VERSION}/graphql.json", json={"query": query, "variables": variables or {}}
            )
            if response.status_code == 404:
                raise ApiError(ERROR_NOT_FOUND, f"Shopify: no shop at {self.base_url}")
            payload = self._json(response)
            errors = payload.get("errors") or []
            if isinstance(errors, str):
                errors = [{"message": errors}]
            if any((e.get("extensions") or {}).get("code") == "THROTTLED" for e in errors):
                raise BodyError(ERROR_RATE_LIMITED, "Shopify: throttled (GraphQL cost limit)")
            if errors:
                text = "; ".join(e.get("message") or "" for e in errors)
                raise ApiError(ERROR_MALFORMED, f"Shopify: GraphQL error: {text}")
            if not isinstance(payload.get("data"), dict):
                raise ApiError(ERROR_MALFORMED, "Shopify: GraphQL answer without data")
            return payload["data"]

        return self._with_body_retries(call)

    def test_connection(self):
        data = self._graphql("{ shop { name } }")
        return (data.get("shop") or {}).get("name") or ""

    # ------------------------------------------------------------- write-back
    def _push_tracking(self, update):
        found = self._find_fulfillment(update)
        if isinstance(found, WriteBackResult):
            return found
        fulfillment_id = found["id"]
        lost = normalize_number(update.previous_tracking_number)
        kept = [
            t["number"]
            for t in found.get("trackingInfo") or []
            if t.get("number") and normalize_number(t["number"]) != lost
        ]
        tracking = {"company": update.carrier_name or update.carrier_code}
        if kept:
            # Another parcel's number stays: the multi-tracking field lists them all.
            tracking["numbers"] = [*kept, update.tracking_number.strip()]
        else:
            tracking["number"] = update.tracking_number.strip()
            if update.tracking_url:
                tracking["url"] = update.tracking_url  # Shopify builds it itself for carriers it knows
        variables = {"fulfillmentId": _gid("Fulfillment", fulfillment_id), "trackingInfoInput": tracking}
        data = self._graphql(TRACKING_INFO_UPDATE, {**variables, "notifyCustomer": True})
        result = data.get("fulfillmentTrackingInfoUpdate") or {}
        user_errors = result.get("userErrors") or []
        if user_errors:
            text = "; ".join(_user_error_text(e) for e in user_errors)
            return WriteBackResult(False, error_kind=ERROR_REJECTED, error=f"Shopify: {text}", raw=data)
        fulfillment = result.get("fulfillment") or {}
        if normalize_number(update.tracking_number) not in _numbers(fulfillment):
            raise ApiError(ERROR_MALFORMED, "Shopify: the fulfillment does not show the new tracking number")
        return WriteBackResult(True, store_reference=fulfillment.get("id") or "", raw=data, action=ACTION_UPDATED)

    def _find_fulfillment(self, update):
        """The fulfillment to edit: the one already showing the new number (nothing to send), the
        one the update names, the one showing the lost parcel's number or a number of the same
        reship's other delivery, or the order's only fulfillment."""
        data = self._graphql(ORDER_FULFILLMENTS, {"id": _gid("Order", update.order_ref)})
        order = data.get("order")
        if not order:
            return WriteBackResult(
                False, error_kind=ERROR_NOT_FOUND, error=f"Shopify: no order {update.order_ref}", raw=data
            )
        fulfillments = [f for f in order.get("fulfillments") or [] if f.get("status") != "CANCELLED"]
        new, previous = normalize_number(update.tracking_number), normalize_number(update.previous_tracking_number)
        for fulfillment in fulfillments:
            if new in _numbers(fulfillment):
                return WriteBackResult(True, store_reference=fulfillment["id"], raw=data, action=ACTION_UNCHANGED)
        named = update.store_fulfillment_ref and _gid("Fulfillment", update.store_fulfillment_ref)
        siblings = {normalize_number(n) for n in update.other_tracking_numbers or []} - {""}
        for wanted in (
            lambda f: f["id"] == named,
            lambda f: previous and previous in _numbers(f),
            lambda f: siblings & _numbers(f),
        ):
            match = next((f for f in fulfillments if wanted(f)), None)
            if match:
                return match
        if len(fulfillments) == 1:
            return fulfillments[0]
        problem = "has several fulfillments and none shows the lost number" if fulfillments else "has no fulfillment"
        return WriteBackResult(
            False, error_kind=ERROR_INVALID, error=f"Shopify: order {update.order_ref} {problem}", raw=data
        )

    # ----------------------------------------------------------------- claims
    def fetch_buyer_claims(self, since, closed_since=None):
        """Shopify Payments disputes with reason ``product_not_received`` initiated since ``since``
        (naive UTC), or since ``closed_since`` when earlier (the list holds every status: an older
        dispute recorded open is read again to see it won or lost), every page. Other reasons
        (fraud, ...) say nothing about a parcel."""
        if since and closed_since:
            since = min(since, closed_since)
        claims = []
        url = f"/admin/api/{API_VERSION}/shopify_payments/disputes.json"
        params = {"limit": self.dispute_page_size}
        for _page in range(200):  # a bound, not a limit a shop reaches: 10,000 disputes
            response = self._request("GET", url, params=params)
            if response.status_code == 404:
                raise ApiError(ERROR_NOT_FOUND, "Shopify: this shop has no Shopify Payments disputes endpoint")
            payload = self._json(response)
            for dispute in payload.get("disputes") or []:
                claim = self._parse_dispute(dispute)
                if claim and (since is None or (claim.opened_at and claim.opened_at >= since)):
                    claims.append(claim)
            match = _NEXT_LINK.search(response.headers.get("Link") or "")
            if not match:
                break
            url, params = match.group(1), None  # the next link carries page_info and limit
        return claims

    def _parse_dispute(self, dispute):
        # Field names as in shopify-api-ruby_rest_shopify_payments_disputes_list_response.json.
        if dispute.get("reason") != NOT_RECEIVED:
            return None
        try:
            opened, due = parse_time(dispute.get("initiated_at")), parse_time(dispute.get("evidence_due_by"))
        except ApiError as exc:
            raise ApiError(ERROR_MALFORMED, f"Shopify: dispute {dispute.get('id')}: {exc}") from exc
        return BuyerClaim(
            store=self.store,
            claim_ref=str(dispute.get("id") or ""),
            order_ref=str(dispute.get("order_id") or ""),
            kind=CLAIM_INQUIRY if dispute.get("type") == "inquiry" else CLAIM_CHARGEBACK,
            status=dispute.get("status") or "",
            opened_at=opened,
            respond_by=due,
            amount=to_amount(dispute.get("amount")),
            currency=dispute.get("currency") or "",
            message=f"Payment dispute ({dispute.get('type')}): product not received, "
            f"network reason code {dispute.get('network_reason_code') or '-'}",
            raw=dispute,
        )


def _numbers(fulfillment):
    return {normalize_number(t.get("number")) for t in fulfillment.get("trackingInfo") or []}


def _gid(kind, ref):
    ref = str(ref).strip()
    return ref if ref.startswith("gid://") else f"gid://shopify/{kind}/{ref}"


def _user_error_text(error):
    field = ".".join(str(f) for f in error.get("field") or [])
    return f"{error.get('message')} ({field})" if field else str(error.get("message"))
