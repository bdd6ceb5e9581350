"""Walmart Marketplace sandbox: ``POST /v3/token``, ``GET /v3/orders``, ``GET /v3/orders/{id}`` and
``POST /v3/orders/{id}/shipping``, in the formats of public samples (the Walmart Marketplace Orders spec 0.6.3
examples, highsidelabs/walmart-api-php @ 575b611; copies in ``tests/fixtures/``).

Every call needs ``WM_SVC.NAME`` and ``WM_QOS.CORRELATION_ID``; the others ``WM_SEC.ACCESS_TOKEN``.
A shipped line takes a new number only with ``currentTrackingInfo.trackingNumber`` naming the
number it replaces (the spec's rule, no sample of it); without it, the sandbox adds the number as a
second shipped status on the line, so a client that forgets shows two numbers. A line already
shipped takes any tracking change only with ``orderShipment.processMode`` "PARTIAL_UPDATE", and
only within 4 hours of its first shipping information (Walmart's "Ship an order" page): a line the
sandbox's order came with shipped counts as shipped when its first change reaches the sandbox, or 3
days before for an order whose reference says ``SHIPPEDDAYSAGO``; the lines of an order whose reference says
``NOTSHIPPED`` are acknowledged, not shipped. Errors use Walmart's ``{"errors": {"error": [...]}}``
model; their texts are the sandbox's own.
"""

import base64
import time

from ..core import CREDENTIALS, Response, route
from . import store_common as sc

# Part of the spec's ``CarrierNameType.carrier`` enum.
CARRIERS = {"UPS", "USPS", "FedEx", "DHL", "OnTrac", "LS", "China Post", "YunExpress", "4PX", "SF Express", "Yanwen"}
PARTIAL_UPDATE = "PARTIAL_UPDATE"
UPDATE_HOURS = 4  # "The seller can update the shipment within 4 hours of sending the first shipping information"


def _new_order(ref, number, lines):
    if "NOTSHIPPED" in ref.upper():  # acknowledged, not shipped yet: no tracking on its lines
        order = _new_order(ref.upper().replace("NOTSHIPPED", ""), number, lines)
        for line in order["orderLines"]["orderLine"]:
            status = line["orderLineStatuses"]["orderLineStatus"][0]
            status["status"] = "Acknowledged"
            del status["trackingInfo"]
        return dict(order, purchaseOrderId=ref, customerOrderId=f"C{ref}")
    order_lines = [
        {
            "lineNumber": str(i + 1),
            "item": {"productName": spec["title"], "sku": spec["sku"]},
            "orderLineQuantity": {"unitOfMeasurement": "EACH", "amount": str(spec["quantity"])},
            "orderLineStatuses": {
                "orderLineStatus": [
                    {
                        "status": "Shipped",
                        "statusQuantity": {"unitOfMeasurement": "EACH", "amount": str(spec["quantity"])},
                        "trackingInfo": {
                            "shipDateTime": 1764000000000,
                            "carrierName": {"carrier": "DHL"},
                            "methodCode": "Value",
                            "trackingNumber": number,
                        },
                    }
                ]
            },
        }
        for i, spec in enumerate(sc.line_specs(lines))
    ]
    return {
        "purchaseOrderId": ref,
        "customerOrderId": f"C{ref}",
        "shippingInfo": {"methodCode": "Value"},
        "orderLines": {"orderLine": order_lines},
    }


def _view(order):
    return {"order": order}


sc.FACTORIES["walmart"] = _new_order
sc.VIEWS["walmart"] = _view


def _error(status, code, description, info, field="data", headers=None):
    error = {
        "code": code,
        "field": field,
        "description": description,
        "info": info,
        "severity": "ERROR",
        "category": "DATA",
        "causes": [],
        "errorIdentifiers": {},
    }
    return Response(status, {"errors": {"error": [error]}}, headers=headers or {})


def _fault_response(fault):
    if fault == sc.OUTAGE:
        return _error(
            503, "SERVICE_UNAVAILABLE.GMP_GATEWAY_API", "Service Unavailable", "The service is temporarily unavailable."
        )
    if fault == sc.RATE_LIMITED:
        return _error(
            429,
            "REQUEST_THRESHOLD_VIOLATED.GMP_GATEWAY_API",
            "Too Many Requests",
            "The request threshold was exceeded.",
            headers={"Retry-After": "1"},
        )
    return None


def _missing_headers(request):
    if not request.header("WM_SVC.NAME") or not request.header("WM_QOS.CORRELATION_ID"):
        return _error(
            400,
            "INVALID_REQUEST_HEADER.GMP_GATEWAY_API",
            "Missing required header",
            "WM_SVC.NAME and WM_QOS.CORRELATION_ID are required",
            field="header",
        )
    return None


@route("walmart", "POST", r"/v3/token")
def token(request, state):
    missing = _missing_headers(request)
    if missing:
        return missing
    try:
        scheme, value = (request.header("Authorization") or "").split(" ", 1)
        client = tuple(base64.b64decode(value).decode().split(":", 1))
    except ValueError:
        client, scheme = None, ""
    if scheme.lower() != "basic" or client != (CREDENTIALS["client_id"], CREDENTIALS["client_secret"]):
        return _error(
            401, "UNAUTHORIZED.GMP_GATEWAY_API", "Unauthorized", "Unauthorized token or client id", field="UNAUTHORIZED"
        )
    if request.form().get("grant_type") != "client_credentials":
        return _error(
            400,
            "INVALID_REQUEST_CONTENT.GMP_GATEWAY_API",
            "Invalid grant type",
            "grant_type must be client_credentials",
        )
    return Response(200, {"access_token": state.issue_token(), "token_type": "Bearer", "expires_in": 900})


def _denied(request, state):
    missing = _missing_headers(request)
    if missing:
        return missing
    if not state.token_valid(request.header("WM_SEC.ACCESS_TOKEN")):
        return _error(
            401, "UNAUTHORIZED.GMP_GATEWAY_API", "Unauthorized", "Unauthorized token or client id", field="UNAUTHORIZED"
        )
    return None


def _order(state, ref):
    return sc.stores(state).order("walmart", ref, lambda r: _new_order(r, sc.original_number(r), 2))


@route("walmart", "GET", r"/v3/orders")
def list_orders(request, state):
    denied = _denied(request, state)
    if denied:
        return denied
    fault = _fault_response(sc.fault_for(state, "walmart:orders"))
    if fault:
        return fault
    return Response(
        200,
        {
            "list": {
                "meta": {"totalCount": 0, "limit": int(request.arg("limit", "10")), "nextCursor": None},
                "elements": {"order": []},
            }
        },
    )


def _order_call(request, state, ref):
    denied = _denied(request, state)
    if denied:
        return denied, None
    fault = sc.fault_for(state, f"walmart:{ref}", ref)
    if _fault_response(fault):
        return _fault_response(fault), None
    if fault == sc.NOT_FOUND:
        return _error(
            404, "CONTENT_NOT_FOUND.GMP_ORDER_API", f"Order {ref} not found", "Requested content could not be found."
        ), None
    return None, fault


@route("walmart", "GET", r"/v3/orders/(?P<ref>[^/]+)")
def get_order(request, state, ref):
    answer, _fault = _order_call(request, state, ref)
    return answer or Response(200, {"order": _order(state, ref)})


@route("walmart", "POST", r"/v3/orders/(?P<ref>[^/]+)/shipping")
def ship(request, state, ref):
    answer, fault = _order_call(request, state, ref)
    if answer:
        return answer
    order = _order(state, ref)
    lines = {line["lineNumber"]: line for line in order["orderLines"]["orderLine"]}
    try:
        updates = (request.json() or {})["orderShipment"]["orderLines"]["orderLine"]
        pairs = [(u["lineNumber"], s) for u in updates for s in u["orderLineStatuses"]["orderLineStatus"]]
    except (ValueError, KeyError, TypeError):
        return _error(
            400,
            "INVALID_REQUEST_CONTENT.GMP_ORDER_API",
            "Invalid request content",
            "orderShipment.orderLines.orderLine is required",
        )
    mode = ((request.json() or {}).get("orderShipment") or {}).get("processMode")
    if mode not in (None, PARTIAL_UPDATE):
        return _error(
            400, "INVALID_REQUEST_CONTENT.GMP_ORDER_API", f"Invalid processMode {mode}", "Use PARTIAL_UPDATE."
        )
    changes = []
    for number, status in pairs:
        tracking = status.get("trackingInfo") or {}
        carrier = tracking.get("carrierName") or {}
        if number not in lines:
            return _error(
                400,
                "INVALID_REQUEST_CONTENT.GMP_ORDER_API",
                f"Invalid lineNumber {number}",
                "The order has no such line.",
                field="lineNumber",
            )
        if (
            fault == sc.REJECT
            or not tracking.get("trackingNumber")
            or not isinstance(tracking.get("shipDateTime"), int)
        ):
            return _error(
                400,
                "INVALID_REQUEST_CONTENT.GMP_ORDER_API",
                f"Invalid tracking number {tracking.get('trackingNumber')!r}",
                "trackingNumber is not valid for the carrier.",
                field="trackingNumber",
            )
        if carrier.get("carrier") and carrier["carrier"] not in CARRIERS:
            return _error(
                400,
                "INVALID_REQUEST_CONTENT.GMP_ORDER_API",
                f"Invalid carrier {carrier['carrier']}",
                "Use otherCarrier for carriers outside the list.",
                field="carrier",
            )
        if carrier.get("otherCarrier") and not tracking.get("trackingURL"):
            return _error(
                400,
                "INVALID_REQUEST_CONTENT.GMP_ORDER_API",
                "trackingURL is required with otherCarrier",
                "Give the carrier's tracking URL.",
                field="trackingURL",
            )
        shipped = [s for s in lines[number]["orderLineStatuses"]["orderLineStatus"] if s["status"] == "Shipped"]
        refused = _change_refused(state, ref, number, shipped, mode)
        if refused:
            return _error(400, "INVALID_REQUEST_CONTENT.GMP_ORDER_API", refused, "processMode", field="processMode")
        current = (status.get("currentTrackingInfo") or {}).get("trackingNumber")
        replaced = next((s for s in shipped if s["trackingInfo"].get("trackingNumber") == current), None)
        if current and replaced is None:
            return _error(
                400,
                "INVALID_REQUEST_CONTENT.GMP_ORDER_API",
                f"currentTrackingInfo {current} is not on line {number}",
                "Name the tracking number being updated.",
                field="currentTrackingInfo",
            )
        changes.append((number, status, replaced))
    with sc.stores(state).lock:
        for number, _status, _replaced in changes:
            _first_shipped(state, ref, number)  # shipped now, if it was not
        for number, status, replaced in changes:
            new = {k: status[k] for k in ("status", "statusQuantity", "trackingInfo") if k in status}
            statuses = lines[number]["orderLineStatuses"]["orderLineStatus"]
            if replaced is not None:
                statuses[statuses.index(replaced)] = new  # updated in place
            elif not any(s["status"] == "Shipped" for s in statuses):
                statuses[:] = [new]  # acknowledged, now shipped
            else:
                statuses.append(new)  # a second shipped status: the line now shows two numbers
    return Response(200, {"order": order})


def _first_shipped(state, ref, number):
    """When the line's first shipping information reached Walmart (``time.time()``): recorded the
    first time it is asked (the line shipped through the sandbox then, or shipped with the order
    before), 3 days earlier for a reference saying SHIPPEDDAYSAGO."""
    sent = state.extra.setdefault("walmart_first_shipped", {})
    default = time.time() - (3 * 86400 if "SHIPPEDDAYSAGO" in ref.upper() else 0)
    return sent.setdefault((ref, number), default)


def _change_refused(state, ref, number, shipped, mode):
    """Why Walmart refuses this status for a line (the sandbox's texts), or None."""
    if not shipped:
        return f"Order line {number} is not shipped: processMode is for updates after shipment" if mode else None
    if mode != PARTIAL_UPDATE:
        return f"Order line {number} is already shipped: send processMode PARTIAL_UPDATE to update its tracking"
    if time.time() - _first_shipped(state, ref, number) > UPDATE_HOURS * 3600:
        return (
            f"Order line {number}: the shipment can be updated only within {UPDATE_HOURS} hours of its first "
            "shipping information"
        )
    return None
