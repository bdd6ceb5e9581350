"""eBay sandbox: OAuth refresh-token grant, Sell Fulfillment (orders, shipping fulfillments,
payment dispute summaries) and the GraphQL Order Inquiry API's ``sellerOrderInquiries``.

Formats: public samples, the Sell Fulfillment OpenAPI contract (trollandtoad/ebay-sell-fulfillment @ 1b43757)
and the REST ``errors[]`` envelope (hendt/ebay-api @ 05d40a9); no real body of these calls is public;
the 429 is ebay_api-rb_too_many_requests_429.http (no Retry-After header). createShippingFulfillment
always adds a package, as eBay's does. The inquiry answers follow the query shape the client
documents (stores/ebay.py); their texts are the sandbox's own.
"""

import base64
import hashlib
import json
import re
from datetime import datetime, timedelta, timezone

from ..core import CREDENTIALS, Response, route
from . import store_common as sc

API = "/sell/fulfillment/v1"
_PAGE = 2  # inquiries per GraphQL page: small, so paging is exercised


def _new_order(ref, number, lines):
    line_items = [
        {"lineItemId": f"{10000000001 + i}", "sku": spec["sku"], "quantity": spec["quantity"], "title": spec["title"]}
        for i, spec in enumerate(sc.line_specs(lines))
    ]
    fulfillment = {
        "fulfillmentId": number,
        "shipmentTrackingNumber": number,
        "shippingCarrierCode": "DHL",
        "shippedDate": "2026-11-20T09:00:00.000Z",
        "lineItems": [{"lineItemId": li["lineItemId"], "quantity": li["quantity"]} for li in line_items],
    }
    return {"orderId": ref, "lineItems": line_items, "fulfillments": [fulfillment]}


def _view(order):
    return order


sc.FACTORIES["ebay"] = _new_order
sc.VIEWS["ebay"] = _view


def _claim_defaults(claim, index):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    if claim.get("type") == "inquiry":
        return {
            "type": "inquiry",
            "preset": claim.get("preset") or "AWAITING_ACTION_FROM_SELLER",
            "inquiryId": claim.get("inquiryId") or f"{5300000000 + index}",
            "status": claim.get("status")
            or {"code": "WAITING_SELLER_RESPONSE", "displayText": "Waiting for seller response"},
            "createdAt": claim.get("createdAt") or now.isoformat().replace("+00:00", "Z"),
            "closedAt": claim.get("closedAt"),
            "lineItems": claim.get("lineItems")
            or [
                {
                    "inquiryLineItemId": f"{index + 1}",
                    "orderLineItem": {"orderLineItemId": "10000000001"},
                    "quantity": 1,
                }
            ],
        }
    return {
        "type": "payment_dispute",
        "paymentDisputeId": claim.get("paymentDisputeId") or f"{5000000000 + index}",
        "orderId": claim.get("orderId") or "12-34567-89012",
        "buyerUsername": claim.get("buyerUsername") or "sandbox_buyer",
        "amount": claim.get("amount") or {"value": "24.99", "currency": "USD"},
        "reason": claim.get("reason") or "ITEM_NOT_RECEIVED",
        "paymentDisputeStatus": claim.get("paymentDisputeStatus") or "ACTION_NEEDED",
        "openDate": claim.get("openDate") or now.isoformat().replace("+00:00", ".000Z"),
        "respondByDate": claim.get("respondByDate")
        or (now + timedelta(days=10)).isoformat().replace("+00:00", ".000Z"),
    }


sc.CLAIM_DEFAULTS["ebay"] = _claim_defaults


def _errors(status, error_id, domain, category, message, headers=None):
    error = {"errorId": error_id, "domain": domain, "category": category, "message": message}
    return Response(status, {"errors": [error]}, headers=headers or {})


def _fault_response(fault):
    if fault == sc.OUTAGE:
        return _errors(503, 30500, "API_FULFILLMENT", "APPLICATION", "System error")
    if fault == sc.RATE_LIMITED:
        body = {
            "errors": [
                {
                    "errorId": 2001,
                    "domain": "ACCESS",
                    "category": "REQUEST",
                    "message": "Too many requests",
                    "longMessage": "The request limit has been reached for the resource.",
                }
            ]
        }
        return Response(429, body)  # as in ebay_api-rb_too_many_requests_429.http
    return None


def _basic(header):
    try:
        scheme, value = (header or "").split(" ", 1)
        client_id, secret = base64.b64decode(value).decode().split(":", 1)
    except ValueError:
        return None, None
    return (client_id, secret) if scheme.lower() == "basic" else (None, None)


@route("ebay", "POST", r"/identity/v1/oauth2/token")
def token(request, state):
    if _basic(request.header("Authorization")) != (CREDENTIALS["client_id"], CREDENTIALS["client_secret"]):
        return Response(401, {"error": "invalid_client", "error_description": "client authentication failed"})
    form = request.form()
    if form.get("grant_type") != "refresh_token" or form.get("refresh_token") != sc.REFRESH_TOKEN:
        return Response(
            400,
            {
                "error": "invalid_grant",
                "error_description": "the provided authorization refresh token is invalid"
                " or was issued to another client",
            },
        )
    return Response(200, {"access_token": state.issue_token(), "expires_in": 7200, "token_type": "User Access Token"})


def _denied(request, state):
    if not state.token_valid(request.header("Authorization")):
        return _errors(401, 1001, "OAuth", "REQUEST", "Invalid access token")
    return None


def _order(state, ref):
    return sc.stores(state).order("ebay", ref, lambda r: _new_order(r, sc.original_number(r), 2))


def _order_call(request, state, ref):
    denied = _denied(request, state)
    if denied:
        return denied, None
    fault = sc.fault_for(state, f"ebay:{ref}", ref)
    if _fault_response(fault):
        return _fault_response(fault), None
    if fault == sc.NOT_FOUND:
        return _errors(404, 32100, "API_FULFILLMENT", "REQUEST", f"Invalid order ID: {ref}"), None
    return None, fault


@route("ebay", "GET", API + r"/order")
def orders(request, state):
    denied = _denied(request, state)
    if denied:
        return denied
    fault = _fault_response(sc.fault_for(state, "ebay:orders"))
    if fault:
        return fault
    return Response(
        200, {"href": f"{sc.base_url(request)}{API}/order?limit=1", "total": 0, "limit": 1, "offset": 0, "orders": []}
    )


@route("ebay", "GET", API + r"/order/(?P<ref>[^/]+)")
def get_order(request, state, ref):
    answer, _fault = _order_call(request, state, ref)
    if answer:
        return answer
    order = _order(state, ref)
    return Response(200, {"orderId": ref, "orderFulfillmentStatus": "FULFILLED", "lineItems": order["lineItems"]})


@route("ebay", "GET", API + r"/order/(?P<ref>[^/]+)/shipping_fulfillment")
def get_fulfillments(request, state, ref):
    answer, _fault = _order_call(request, state, ref)
    if answer:
        return answer
    fulfillments = _order(state, ref)["fulfillments"]
    return Response(200, {"fulfillments": fulfillments, "total": len(fulfillments)})


@route("ebay", "POST", API + r"/order/(?P<ref>[^/]+)/shipping_fulfillment")
def create_fulfillment(request, state, ref):
    answer, fault = _order_call(request, state, ref)
    if answer:
        return answer
    try:
        body = request.json() or {}
        lines = [(str(li["lineItemId"]), int(li.get("quantity") or 0)) for li in body["lineItems"]]
    except (ValueError, KeyError, TypeError):
        return _errors(400, 32600, "API_FULFILLMENT", "REQUEST", "Invalid input data")
    order = _order(state, ref)
    ordered = {li["lineItemId"]: li["quantity"] for li in order["lineItems"]}
    if not lines or any(line not in ordered or qty > ordered[line] for line, qty in lines):
        return _errors(400, 32200, "API_FULFILLMENT", "REQUEST", "Invalid line item id")
    number, carrier = body.get("trackingNumber"), body.get("shippingCarrierCode")
    if fault == sc.REJECT or bool(number) != bool(carrier):
        return _errors(400, 32300, "API_FULFILLMENT", "REQUEST", "Invalid shipment tracking number or carrier")
    shipped = body.get("shippedDate") or datetime.utcnow().isoformat() + "Z"
    try:
        datetime.fromisoformat(shipped.replace("Z", "+00:00"))
    except ValueError:
        return _errors(400, 32500, "API_FULFILLMENT", "REQUEST", "Invalid shipped date")
    fulfillment_id = number or hashlib.sha1(f"{ref}{len(order['fulfillments'])}".encode()).hexdigest()[:20]
    with sc.stores(state).lock:
        # Always a new package, even for a number the order already has: the client must look first.
        order["fulfillments"].append(
            {
                "fulfillmentId": fulfillment_id,
                "shipmentTrackingNumber": number,
                "shippingCarrierCode": carrier,
                "shippedDate": shipped,
                "lineItems": [{"lineItemId": li, "quantity": qty} for li, qty in lines],
            }
        )
    location = f"{sc.base_url(request)}{API}/order/{ref}/shipping_fulfillment/{fulfillment_id}"
    return Response(201, {}, headers={"Location": location})


@route("ebay", "GET", API + r"/payment_dispute_summary")
def dispute_summaries(request, state):
    denied = _denied(request, state)
    if denied:
        return denied
    fault = _fault_response(sc.fault_for(state, "ebay:disputes"))
    if fault:
        return fault
    try:
        start = _parse(request.arg("open_date_from")) or datetime.min.replace(tzinfo=timezone.utc)
        end = _parse(request.arg("open_date_to")) or datetime.now(timezone.utc)
        limit, offset = int(request.arg("limit", "200")), int(request.arg("offset", "0"))
    except ValueError:
        return _errors(400, 33001, "API_FULFILLMENT", "REQUEST", "Invalid input request")
    if (request.arg("open_date_from") and end - start > timedelta(days=90)) or not 1 <= limit <= 200:
        return _errors(400, 33001, "API_FULFILLMENT", "REQUEST", "Invalid input request")
    found = [
        {k: v for k, v in c.items() if k != "type"}
        for c in sc.claims_of(state, "ebay")
        if c["type"] == "payment_dispute" and start <= _parse(c["openDate"]) <= end
    ]
    page = found[offset : offset + limit]
    answer = {
        "href": request.path,
        "limit": limit,
        "offset": offset,
        "total": len(found),
        "paymentDisputeSummaries": page,
    }
    if offset + limit < len(found):
        answer["next"] = f"{API}/payment_dispute_summary?limit={limit}&offset={offset + limit}"
    return Response(200, answer)


def _parse(value):
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@route("ebay", "POST", r"/graphql")
def graphql(request, state):
    denied = _denied(request, state)
    if denied:
        return denied
    fault = _fault_response(sc.fault_for(state, "ebay:inquiries"))
    if fault:
        return fault
    try:
        query = (request.json() or {}).get("query") or ""
    except (ValueError, AttributeError):
        return Response(400, {"errors": [{"message": "Invalid JSON body"}]})
    if "sellerOrderInquiries" not in query:
        return Response(
            200,
            {
                "errors": [
                    {
                        "message": "Operation not supported by the sandbox",
                        "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
                    }
                ]
            },
        )
    preset = re.search(r"presets:\s*(\w+)", query)
    cursor = re.search(r"pageInfo:\s*\{\s*cursor:\s*(\"(?:[^\"\\]|\\.)*\")", query)
    if not preset or preset.group(1) not in ("AWAITING_ACTION_FROM_SELLER", "AWAITING_ACTION_FROM_EBAY", "CLOSED"):
        error = {
            "__typename": "OrderInquiryInvalidSearchInputError",
            "errorCode": "INVALID_FILTER",
            "errorMessage": "Unknown inquiry filter preset",
        }
        return Response(200, {"data": {"sellerOrderInquiries": error}})
    start = int(json.loads(cursor.group(1))) if cursor else 0
    inquiries = sorted(
        (c for c in sc.claims_of(state, "ebay") if c["type"] == "inquiry" and c["preset"] == preset.group(1)),
        key=lambda c: c["createdAt"],
        reverse=True,
    )
    page = [{k: v for k, v in c.items() if k not in ("type", "preset")} for c in inquiries[start : start + _PAGE]]
    next_cursor = str(start + _PAGE) if start + _PAGE < len(inquiries) else None
    answer = {"__typename": "SellerOrderInquiries", "inquiries": page, "pagination": {"nextCursor": next_cursor}}
    return Response(200, {"data": {"sellerOrderInquiries": answer}})
