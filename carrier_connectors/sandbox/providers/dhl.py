"""DHL Shipment Tracking - Unified API, as in public samples (karrio's DHL
Unified tracking schema and tests, karrioapi/karrio).

Delivery dates as the karrio DHL schema (``karrio_dhl_unified_tracking_schema.json``) has them:
``estimatedTimeOfDelivery`` and ``estimatedDeliveryTimeFrame`` (``estimatedFrom``/``estimatedThrough``).
DHL publishes no promise separate from its estimate, so only the latest estimate is rendered;
``no_promise`` gives the time frame alone, ``zero_date`` the placeholder ``0001-01-01``.
"""

from .. import scenarios as sc
from ..core import CREDENTIALS, Response, generic_fault, route

# Generic event → (statusCode, status, description)
EVENTS = {
    sc.INFO: (
        "pre-transit",
        "SHIPMENT INFORMATION RECEIVED",
        "The instruction data for this shipment have been provided by the sender",
    ),
    sc.PICKED_UP: ("transit", "PICKED UP", "The shipment has been picked up"),
    sc.TRANSIT: ("transit", "PROCESSED", "The shipment has been processed in the parcel center"),
    sc.CUSTOMS: ("transit", "CUSTOMS STATUS UPDATED", "The shipment is pending completion of customs inspection"),
    sc.OUT_FOR_DELIVERY: ("transit", "WITH DELIVERY COURIER", "The shipment is out for delivery"),
    sc.PICKUP_POINT: ("transit", "READY FOR PICKUP", "The shipment is ready for pick-up at the retail outlet"),
    sc.FAILED_ATTEMPT: ("failure", "DELIVERY ATTEMPT", "The shipment could not be delivered: recipient not at home"),
    sc.DELIVERED: ("delivered", "DELIVERED", "The shipment has been successfully delivered"),
    sc.LOST: ("failure", "SHIPMENT LOST", "The shipment is missing and could not be located"),
    sc.DAMAGED: ("failure", "SHIPMENT DAMAGED", "The shipment was damaged in transit"),
    sc.DESTROYED: ("failure", "SHIPMENT DESTROYED", "The shipment was destroyed"),
    sc.RETURNING: ("transit", "RETURN TO SENDER", "The shipment is being returned to sender"),
    sc.RETURNED: ("delivered", "RETURNED TO SENDER", "The shipment has been returned to sender"),
}


def _problem(status, title, detail, number):
    return Response(
        status,
        {"title": title, "detail": detail, "status": status, "instance": f"/shipment/{number}"},
        content_type="application/problem+json",
    )


def _location(city, country):
    return {"address": {"countryCode": country, "addressLocality": city.upper()}}


def _event(when, step, with_offset):
    code, status, description = EVENTS[step.code]
    # The Unified API gives event times without offset and the summary with "Z": keep both.
    timestamp = when.isoformat() + ("Z" if with_offset else "")
    return {
        "timestamp": timestamp,
        "location": _location(step.city, step.country),
        "statusCode": code,
        "status": status,
        "description": description,
    }


def _delivery_dates(tracking):
    if tracking.placeholder_dates:
        return {"estimatedTimeOfDelivery": f"{sc.PLACEHOLDER_DATE}T00:00:00+01:00"}
    estimate = tracking.eta or tracking.promised
    if not estimate:
        return {}
    start = estimate.replace(hour=8)
    frame = {"estimatedFrom": start.isoformat() + "Z", "estimatedThrough": estimate.isoformat() + "Z"}
    if tracking.scenario in sc.NO_ESTIMATE:
        return {"estimatedDeliveryTimeFrame": frame}
    return {
        "estimatedTimeOfDelivery": estimate.isoformat() + "Z",
        "estimatedDeliveryTimeFrame": frame,
        "estimatedTimeOfDeliveryRemark": "By End of Day",
    }


@route("dhl", "GET", r"/track/shipments")
def track_shipments(request, state):
    number = request.arg("trackingNumber", "")
    if request.header("DHL-API-Key") != CREDENTIALS["api_key"]:
        return _problem(401, "Unauthorized", "Invalid API key", number)
    fault = state.fault([number])
    if fault in (sc.RATE_LIMITED,):
        return Response(
            429,
            {"title": "Too many requests", "status": 429, "detail": "Rate limit exceeded"},
            headers={"Retry-After": "1"},
            content_type="application/problem+json",
        )
    if fault == sc.SERVER_ERROR:
        return _problem(500, "Internal Server Error", "Please retry later", number)
    if fault == sc.TIMEOUT:
        state.wait_for_timeout()
    if fault == sc.MALFORMED:
        return Response(200, "<html><body>Service temporarily unavailable</body></html>", content_type="text/html")
    if fault in sc.GENERIC_FAULTS:
        return generic_fault(fault)
    tracking = state.tracking(number)
    if tracking is None:
        return _problem(404, "No result found", "No shipment with given tracking number found.", number)
    events = [_event(when, step, False) for when, step in tracking.listed()]
    summary = dict(events[0], timestamp=events[0]["timestamp"] + "Z")
    shipment = {
        "id": number,
        "service": "express",
        "origin": _location("Shenzhen", "CN"),
        "destination": _location("Amsterdam", "NL"),
        "status": summary,
        "details": {"product": {"productName": "EXPRESS WORLDWIDE"}, "totalNumberOfPieces": 1},
        "events": events,
    }
    if not tracking.delivered:
        shipment.update(_delivery_dates(tracking))
    if tracking.delivered:
        shipment["details"]["proofOfDelivery"] = {
            "timestamp": summary["timestamp"],
            "documentUrl": "https://webpod.dhl.com/webPOD/DHLePODRequest",
        }
    return Response(200, {"url": f"/shipments?trackingNumber={number}", "shipments": [shipment]})
