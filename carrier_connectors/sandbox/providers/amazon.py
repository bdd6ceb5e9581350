"""Amazon SP-API sandbox: Login with Amazon token, Sellers ``marketplaceParticipations``, Orders v0
``orderItems`` and ``shipmentConfirmation``, in the formats of public samples
(amzn/selling-partner-api-models @ 34dc93f,
``models/orders-api-model/ordersV0.json``; copies in ``tests/fixtures/``).

confirmShipment keeps packages by ``packageReferenceId``: the same id edits its package, a new id
adds one, as Amazon documents. A ship date that is not ISO 8601 gets the sample's 400
(``Invalid Input``); the texts of other refusals are the sandbox's own in SP-API's ``errors[]``
shape. 429s carry ``x-amzn-RateLimit-Limit`` and no ``Retry-After``, as SP-API does.
"""

import re
from datetime import datetime

from ..core import CREDENTIALS, Response, route
from . import store_common as sc

MARKETPLACES = [("ATVPDKIKX0DER", "Amazon.com", "US", "USD"), ("A1PA6795UKMFR9", "Amazon.de", "DE", "EUR")]
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def _new_order(ref, number, lines):
    items = [
        {
            "OrderItemId": f"{68828574383266 + i}",
            "SellerSKU": spec["sku"],
            "Title": spec["title"],
            "QuantityOrdered": spec["quantity"],
        }
        for i, spec in enumerate(sc.line_specs(lines))
    ]
    package = {"packageReferenceId": "1", "carrierCode": "DHL", "trackingNumber": number, "orderItems": []}
    package["orderItems"] = [{"orderItemId": i["OrderItemId"], "quantity": i["QuantityOrdered"]} for i in items]
    return {"AmazonOrderId": ref, "items": items, "packages": {"1": package}, "confirmations": 0}


def _view(order):
    return {
        "AmazonOrderId": order["AmazonOrderId"],
        "items": order["items"],
        "packages": list(order["packages"].values()),
    }


sc.FACTORIES["amazon"] = _new_order
sc.VIEWS["amazon"] = _view


def _errors(status, code, message, headers=None):
    return Response(status, {"errors": [{"code": code, "message": message, "details": ""}]}, headers=headers or {})


def _fault_response(fault):
    if fault == sc.OUTAGE:
        return _errors(503, "ServiceUnavailable", "Service is temporarily unavailable. Please try again later.")
    if fault == sc.RATE_LIMITED:
        return _errors(
            429,
            "QuotaExceeded",
            "You exceeded your quota for the requested resource.",
            {"x-amzn-RateLimit-Limit": "2.0"},
        )
    return None


@route("amazon", "POST", r"/auth/o2/token")
def token(request, state):
    form = request.form()
    if form.get("client_id") != CREDENTIALS["client_id"] or form.get("client_secret") != CREDENTIALS["client_secret"]:
        return Response(401, {"error_description": "Client authentication failed", "error": "invalid_client"})
    if form.get("grant_type") != "refresh_token" or form.get("refresh_token") != sc.REFRESH_TOKEN:
        return Response(
            400,
            {
                "error_description": "The request has an invalid grant parameter : refresh_token",
                "error": "invalid_grant",
            },
        )
    return Response(
        200,
        {
            "access_token": "Atza|" + state.issue_token(),
            "refresh_token": sc.REFRESH_TOKEN,
            "token_type": "bearer",
            "expires_in": 3600,
        },
    )


def _denied(request, state):
    token = (request.header("x-amz-access-token") or "").removeprefix("Atza|")
    if not state.token_valid(token):
        return _errors(403, "Unauthorized", "Access to requested resource is denied.")
    return None


@route("amazon", "GET", r"/sellers/v1/marketplaceParticipations")
def participations(request, state):
    denied = _denied(request, state)
    if denied:
        return denied
    fault = _fault_response(sc.fault_for(state, "amazon:participations"))
    if fault:
        return fault
    payload = [
        {
            "marketplace": {
                "id": mid,
                "name": name,
                "countryCode": country,
                "defaultCurrencyCode": currency,
                "defaultLanguageCode": "en_US",
                "domainName": name.lower(),
            },
            "participation": {"isParticipating": True, "hasSuspendedListings": False},
        }
        for mid, name, country, currency in MARKETPLACES
    ]
    return Response(200, {"payload": payload})


def _order(state, ref):
    return sc.stores(state).order("amazon", ref, lambda r: _new_order(r, sc.original_number(r), 2))


@route("amazon", "GET", r"/orders/v0/orders/(?P<ref>[^/]+)/orderItems")
def order_items(request, state, ref):
    denied = _denied(request, state)
    if denied:
        return denied
    fault = sc.fault_for(state, f"amazon:{ref}", ref)
    if _fault_response(fault):
        return _fault_response(fault)
    if fault == sc.NOT_FOUND:
        return _errors(404, "NotFound", f"Order {ref} not found")
    items = _order(state, ref)["items"]
    start = int(request.arg("NextToken") or 0)  # one item a page, so pagination is always exercised
    payload = {"AmazonOrderId": ref, "OrderItems": items[start : start + 1]}
    if start + 1 < len(items):
        payload["NextToken"] = str(start + 1)
    return Response(200, {"payload": payload})


@route("amazon", "POST", r"/orders/v0/orders/(?P<ref>[^/]+)/shipmentConfirmation")
def confirm_shipment(request, state, ref):
    denied = _denied(request, state)
    if denied:
        return denied
    fault = sc.fault_for(state, f"amazon:{ref}", ref)
    if _fault_response(fault):
        return _fault_response(fault)
    if fault == sc.NOT_FOUND:
        return _errors(404, "NotFound", f"Order {ref} not found")
    try:
        body = request.json() or {}
        package = dict(body["packageDetail"])
        marketplace = body["marketplaceId"]
    except (ValueError, KeyError, TypeError):
        return _errors(400, "InvalidInput", "marketplaceId and packageDetail are required")
    if marketplace not in {m[0] for m in MARKETPLACES}:
        return _errors(400, "InvalidInput", f"Invalid marketplaceId: {marketplace}")
    if not _ISO.match(str(package.get("shipDate") or "")):
        return Response(400, {"errors": [{"code": "Invalid Input", "message": "Invalid Input"}]})  # the sample's answer
    reference = str(package.get("packageReferenceId") or "")
    if not reference.isdigit():
        return _errors(400, "InvalidInput", "packageReferenceId must be a positive number")
    if package.get("carrierCode") == "Other" and not package.get("carrierName"):
        return _errors(400, "InvalidInput", "carrierName is required when carrierCode is Other")
    order = _order(state, ref)
    known = {i["OrderItemId"]: i["QuantityOrdered"] for i in order["items"]}
    unknown = [i.get("orderItemId") for i in package.get("orderItems") or [] if i.get("orderItemId") not in known]
    if unknown or not package.get("orderItems"):
        return _errors(400, "InvalidInput", f"Invalid orderItemId: {', '.join(map(str, unknown)) or 'none given'}")
    too_many = [
        i["orderItemId"] for i in package["orderItems"] if int(i.get("quantity") or 0) > known[i["orderItemId"]]
    ]
    if too_many:
        return _errors(400, "InvalidInput", f"Quantity exceeds the quantity ordered for {', '.join(too_many)}")
    if fault == sc.REJECT or not package.get("trackingNumber"):
        return _errors(
            400,
            "InvalidInput",
            f"The tracking number {package.get('trackingNumber')!r} is not valid"
            f" for carrier {package.get('carrierCode')}.",
        )
    with sc.stores(state).lock:
        package["confirmedAt"] = datetime.utcnow().isoformat()
        order["packages"][reference] = package  # same reference: edited; new one: added
        order["confirmations"] += 1
    return Response(204, b"", content_type="application/json")
