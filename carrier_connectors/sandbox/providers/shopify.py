"""Shopify sandbox: GraphQL Admin (shop, order fulfillments, ``fulfillmentTrackingInfoUpdate``)
and REST ``shopify_payments/disputes.json``, in the formats of public samples (shopify.dev reference examples and
Shopify/shopify-api-ruby @ 4eca719; copies in ``tests/fixtures/``).

GraphQL throttling answers HTTP 200 with a ``THROTTLED`` error, as Shopify's cost-based limit does;
REST throttling answers 429 with ``Retry-After``. A bad access token gets Shopify's 401
``{"errors": "[API] Invalid API key or access token ..."}``. Error texts of refused tracking
numbers are the sandbox's own (the shape is Shopify's ``userErrors``).
"""

import json
import re
from datetime import datetime, timedelta, timezone

from ..core import Response, route
from . import store_common as sc

_GID = re.compile(r"^gid://shopify/(\w+)/(.+)$")
_PAGE_SIZE_MAX = 250


def _new_order(ref, number, lines):
    return {
        "id": ref,
        "fulfillments": [
            {
                "id": f"gid://shopify/Fulfillment/{abs(hash(ref)) % 10**9}",
                "status": "SUCCESS",
                "trackingInfo": [{"company": "DHL Express", "number": number, "url": None}],
                "lines": len(sc.line_specs(lines)),
                "edits": 0,
            }
        ],
    }


def _view(order):
    return order


sc.FACTORIES["shopify"] = _new_order
sc.VIEWS["shopify"] = _view


def _dispute_defaults(claim, index):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    return {
        "id": claim.get("id") or 900000000 + index,
        "order_id": claim.get("order_id"),
        "type": claim.get("type") or "chargeback",
        "amount": claim.get("amount") or "11.50",
        "currency": claim.get("currency") or "USD",
        "reason": claim.get("reason") or "product_not_received",
        "network_reason_code": claim.get("network_reason_code") or "13.1",
        "status": claim.get("status") or "needs_response",
        "evidence_due_by": claim.get("evidence_due_by") or (now + timedelta(days=7)).isoformat(),
        "evidence_sent_on": claim.get("evidence_sent_on"),
        "finalized_on": claim.get("finalized_on"),
        "initiated_at": claim.get("initiated_at") or now.isoformat(),
    }


sc.CLAIM_DEFAULTS["shopify"] = _dispute_defaults


def _unauthorized(request):
    if request.header("X-Shopify-Access-Token") != sc.SHOPIFY_TOKEN:
        return Response(401, {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"})
    return None


def _throttled():
    cost = {"requestedQueryCost": 12, "actualQueryCost": None}
    cost["throttleStatus"] = {"maximumAvailable": 2000.0, "currentlyAvailable": 4, "restoreRate": 100.0}
    error = {
        "message": "Throttled",
        "extensions": {"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"},
    }
    return Response(200, {"errors": [error], "extensions": {"cost": cost}})


def _outage():
    return Response(503, {"errors": "Service Unavailable"}, headers={"Retry-After": "1"})


def _data(data):
    cost = {"requestedQueryCost": 12, "actualQueryCost": 10}
    cost["throttleStatus"] = {"maximumAvailable": 2000.0, "currentlyAvailable": 1990, "restoreRate": 100.0}
    return Response(200, {"data": data, "extensions": {"cost": cost}})


def _order_of_fulfillment(state, gid):
    store_state = sc.stores(state)
    with store_state.lock:
        for (store, ref), order in store_state.orders.items():
            if store == "shopify" and any(f["id"] == gid for f in order["fulfillments"]):
                return ref, order
    return None, None


@route("shopify", "POST", r"/admin/api/(?P<version>[0-9]{4}-[0-9]{2})/graphql\.json")
def graphql(request, state, version):
    denied = _unauthorized(request)
    if denied:
        return denied
    try:
        body = request.json() or {}
        query, variables = body.get("query") or "", body.get("variables") or {}
    except (ValueError, AttributeError):
        return Response(400, {"errors": {"query": "Required parameter missing or invalid"}})
    if "fulfillmentTrackingInfoUpdate" in query:
        return _tracking_info_update(state, variables)
    if re.search(r"\border\s*\(", query):
        return _order_query(state, variables)
    if re.search(r"\bshop\s*\{", query):
        fault = sc.fault_for(state, "shopify:shop")
        if fault == sc.OUTAGE:
            return _outage()
        return _throttled() if fault == sc.RATE_LIMITED else _data({"shop": {"name": "Sandbox Shop"}})
    return Response(200, {"errors": [{"message": "Field is not supported by the sandbox", "locations": []}]})


def _order_query(state, variables):
    match = _GID.match(str(variables.get("id") or ""))
    if not match or match.group(1) != "Order":
        return Response(200, {"errors": [{"message": "Variable $id of type ID! was provided invalid value"}]})
    ref = match.group(2)
    fault = sc.fault_for(state, f"shopify:{ref}", ref)
    if fault == sc.OUTAGE:
        return _outage()
    if fault == sc.RATE_LIMITED:
        return _throttled()
    if fault == sc.NOT_FOUND:
        return _data({"order": None})
    order = sc.stores(state).order("shopify", ref, lambda r: _new_order(r, sc.original_number(r), 2))
    fulfillments = [{k: f[k] for k in ("id", "status", "trackingInfo")} for f in order["fulfillments"]]
    return _data({"order": {"id": f"gid://shopify/Order/{ref}", "fulfillments": fulfillments}})


def _tracking_info_update(state, variables):
    gid = str(variables.get("fulfillmentId") or "")
    ref, order = _order_of_fulfillment(state, gid)
    if order is None:
        payload = {
            "fulfillment": None,
            "userErrors": [{"field": ["fulfillmentId"], "message": "Fulfillment does not exist."}],
        }
        return _data({"fulfillmentTrackingInfoUpdate": payload})
    fault = sc.fault_for(state, f"shopify:{ref}", ref)
    if fault == sc.OUTAGE:
        return _outage()
    if fault == sc.RATE_LIMITED:
        return _throttled()
    tracking = variables.get("trackingInfoInput") or {}
    # FulfillmentTrackingInput: number (one) or numbers (multi-tracking), the latter wins.
    numbers = [str(n).strip() for n in tracking.get("numbers") or [] if str(n).strip()]
    numbers = numbers or [(tracking.get("number") or "").strip()]
    number = numbers[-1]
    if fault == sc.REJECT or not number:
        error = {
            "field": ["trackingInfoInput", "number"],
            "message": f"Tracking number {number!r} is not valid for {tracking.get('company')}.",
        }
        return _data({"fulfillmentTrackingInfoUpdate": {"fulfillment": None, "userErrors": [error]}})
    fulfillment = next(f for f in order["fulfillments"] if f["id"] == gid)
    with sc.stores(state).lock:
        # Edits in place: the fulfillment shows these numbers instead of the old ones.
        fulfillment["trackingInfo"] = [
            {"company": tracking.get("company"), "number": n, "url": tracking.get("url") if len(numbers) == 1 else None}
            for n in numbers
        ]
        fulfillment["edits"] += 1
    answer = {"id": gid, "status": fulfillment["status"], "trackingInfo": fulfillment["trackingInfo"]}
    return _data({"fulfillmentTrackingInfoUpdate": {"fulfillment": answer, "userErrors": []}})


@route("shopify", "GET", r"/admin/api/(?P<version>[0-9]{4}-[0-9]{2})/shopify_payments/disputes\.json")
def disputes(request, state, version):
    denied = _unauthorized(request)
    if denied:
        return denied
    fault = sc.fault_for(state, "shopify:disputes")
    if fault == sc.OUTAGE:
        return _outage()
    if fault == sc.RATE_LIMITED:
        return Response(
            429,
            {
                "errors": "Exceeded 2 calls per second for api client."
                " Reduce request rates to resume uninterrupted service."
            },
            headers={"Retry-After": "2.0"},
        )
    try:
        limit = min(int(request.arg("limit", "50")), _PAGE_SIZE_MAX)
        offset = int(json.loads(request.arg("page_info") or "0")) if request.arg("page_info") else 0
    except ValueError:
        return Response(400, {"errors": {"page_info": "Invalid value."}})
    claims = sorted(sc.claims_of(state, "shopify"), key=lambda d: -int(d["id"]))  # newest id first
    page = claims[offset : offset + limit]
    headers = {}
    if offset + limit < len(claims):
        url = f"{sc.base_url(request)}/admin/api/{version}/shopify_payments/disputes.json"
        headers["Link"] = f'<{url}?limit={limit}&page_info={offset + limit}>; rel="next"'
    return Response(200, {"disputes": page}, headers=headers)
