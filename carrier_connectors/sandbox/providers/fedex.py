"""FedEx Track API v1 and OAuth2, as in public samples (karrioapi/karrio @ deea10f,
``modules/connectors/fedex/tests/fedex/test_tracking.py``; copies in ``tests/fixtures/``).

Delivery dates as the Track API documents them (vendor OpenAPI ``TrackResult``): the promise in
``standardTransitTimeWindow`` ("the standard committed window") and ``dateAndTimes`` COMMITMENT, the
latest estimate in ``estimatedDeliveryTimeWindow`` ("may be periodically updated") and ``dateAndTimes``
ESTIMATED_DELIVERY. ``no_promise`` answers like FedEx does for a late parcel: an estimate window
without dates and the promise only in ``standardTransitTimeWindow``.
"""

import uuid

from .. import scenarios as sc
from ..core import CREDENTIALS, Response, generic_fault, route

# Generic event → (eventType, derivedStatusCode, eventDescription, exceptionCode, exceptionDescription).
# Codes from the vendor "Tracking Status Codes" table; exception texts are illustrative. The derived
# code is FedEx's coarse summary of the scan, as its answers give it (FedEx's own sandbox answers for
# its mock numbers: OD, AR and HP scans derived IT, a return to shipper RS derived DL), not the type.
EVENTS = {
    sc.INFO: ("OC", "IN", "Shipment information sent to FedEx", "", ""),
    sc.PICKED_UP: ("PU", "PU", "Picked up", "", ""),
    sc.TRANSIT: ("AR", "IT", "Arrived at FedEx location", "", ""),
    sc.CUSTOMS: ("CD", "CD", "Clearance delay", "A25", "Import clearance delay, held by customs"),
    sc.OUT_FOR_DELIVERY: ("OD", "IT", "On FedEx vehicle for delivery", "", ""),
    sc.PICKUP_POINT: ("HP", "IT", "Ready for recipient pickup", "", ""),
    sc.FAILED_ATTEMPT: ("DE", "DE", "Delivery exception", "15", "Customer not available or business closed"),
    sc.DELIVERED: ("DL", "DL", "Delivered", "", ""),
    sc.LOST: ("SE", "SE", "Shipment exception", "", "Unable to locate package, investigation opened"),
    sc.DAMAGED: ("SE", "SE", "Shipment exception", "", "Package damaged in transit"),
    sc.DESTROYED: ("SE", "SE", "Shipment exception", "", "Package destroyed, prohibited contents"),
    sc.RETURNING: ("RS", "DL", "Returning package to shipper", "", ""),
    sc.RETURNED: ("DL", "DL", "Delivered", "", ""),
}
MAX_NUMBERS = 30
PLACEHOLDER = f"{sc.PLACEHOLDER_DATE}T00:00:00+05:00"


def _errors(status, code, message, headers=None):
    body = {"transactionId": str(uuid.uuid4()), "errors": [{"code": code, "message": message}]}
    return Response(status, body, headers=headers or {})


@route("fedex", "POST", r"/oauth/token")
def token(request, state):
    form = request.form()
    if form.get("grant_type") != "client_credentials":
        return _errors(400, "BAD.REQUEST.ERROR", "The request is missing or has an invalid grant_type.")
    if form.get("client_id") != CREDENTIALS["client_id"] or form.get("client_secret") != CREDENTIALS["client_secret"]:
        return _errors(
            401,
            "NOT.AUTHORIZED.ERROR",
            "The given client credentials were not valid. Please modify your request and try again.",
        )
    return Response(
        200, {"access_token": state.issue_token(), "token_type": "bearer", "expires_in": 3599, "scope": "CXS"}
    )


def _stamp(when, country):
    local, offset = sc.local_time(when, country)
    return local.isoformat() + offset


def _delivery_dates(found):
    """(dateAndTimes entries, estimatedDeliveryTimeWindow, standardTransitTimeWindow) of a parcel on its way."""
    dest = sc.DESTINATION_COUNTRY
    if found.placeholder_dates:
        window = {"window": {"begins": PLACEHOLDER, "ends": PLACEHOLDER}, "type": "ESTIMATED_DELIVERY"}
        return [{"type": "ESTIMATED_DELIVERY", "dateTime": PLACEHOLDER}], window, dict(window)
    dates, estimate, standard = [], {"window": {}}, {"window": {}}
    if found.promised:
        standard = {"description": "Standard transit", "window": {"ends": _stamp(found.promised, dest)}}
        if found.scenario == "late":
            dates.append({"type": "COMMITMENT", "dateTime": _stamp(found.promised, dest)})
    if found.eta:
        begins = found.eta.replace(hour=8)
        estimate = {
            "window": {"begins": _stamp(begins, dest), "ends": _stamp(found.eta, dest)},
            "type": "ESTIMATED_DELIVERY",
        }
        dates.append({"type": "ESTIMATED_DELIVERY", "dateTime": _stamp(found.eta, dest)})
    return dates, estimate, standard


def _scan(when, step):
    event_type, derived, description, exception_code, exception_text = EVENTS[step.code]
    return {
        "date": _stamp(when, step.country),
        "derivedStatus": description,
        "scanLocation": {"city": step.city.upper(), "countryCode": step.country, "residential": False},
        "exceptionDescription": exception_text,
        "eventDescription": description,
        "eventType": event_type,
        "derivedStatusCode": derived,
        "exceptionCode": exception_code,
    }


def _result(number, found):
    scans = [_scan(when, step) for when, step in found.listed()]
    last_when, last = found.events[-1]
    latest = {
        "scanLocation": scans[0]["scanLocation"],
        "code": scans[0]["eventType"],
        "derivedCode": scans[0]["derivedStatusCode"],
        "statusByLocale": scans[0]["eventDescription"],
        "description": scans[0]["eventDescription"],
    }
    if scans[0]["exceptionDescription"]:
        latest["ancillaryDetails"] = [
            {"reason": scans[0]["exceptionCode"], "reasonDescription": scans[0]["exceptionDescription"]}
        ]
    dates = [
        {"type": "ACTUAL_PICKUP", "dateTime": _stamp(when, step.country)}
        for when, step in found.events
        if step.code == sc.PICKED_UP
    ]
    result = {
        "trackingNumberInfo": {"trackingNumber": number.upper(), "carrierCode": "FDXE", "trackingNumberUniqueId": ""},
        "latestStatusDetail": latest,
        "dateAndTimes": dates,
        "scanEvents": scans,
        "serviceDetail": {"type": "INTERNATIONAL_PRIORITY", "description": "FedEx International Priority"},
        "recipientInformation": {"address": {"city": "AMSTERDAM", "countryCode": sc.DESTINATION_COUNTRY}},
    }
    if found.delivered:
        dates.append({"type": "ACTUAL_DELIVERY", "dateTime": _stamp(last_when, last.country)})
    else:
        more, result["estimatedDeliveryTimeWindow"], result["standardTransitTimeWindow"] = _delivery_dates(found)
        dates.extend(more)
    return result


@route("fedex", "POST", r"/track/v1/trackingnumbers")
def track(request, state):
    if not state.token_valid(request.header("Authorization")):
        return _errors(401, "NOT.AUTHORIZED.ERROR", "Access token expired. Please modify your request and try again.")
    try:
        numbers = [item["trackingNumberInfo"]["trackingNumber"] for item in request.json()["trackingInfo"]]
    except (ValueError, LookupError, TypeError):
        return _errors(400, "TRACKING.TRACKINGNUMBER.EMPTY", "Please provide tracking number.")
    if not numbers:
        return _errors(400, "TRACKING.TRACKINGNUMBER.EMPTY", "Please provide tracking number.")
    if len(numbers) > MAX_NUMBERS:
        return _errors(400, "TRACKING.TRACKINGNUMBER.LIMIT.EXCEEDED", f"Please provide at most {MAX_NUMBERS}.")
    fault = state.fault(numbers)
    if fault == sc.RATE_LIMITED:
        return _errors(
            429,
            "TOO.MANY.REQUESTS.ERROR",
            "We have received too many requests in a short duration. Please wait a while to try again.",
            headers={"Retry-After": "1"},
        )
    if fault == sc.SERVER_ERROR:
        return _errors(
            500,
            "INTERNAL.SERVER.ERROR",
            "We encountered an unexpected error and are working to resolve the issue. "
            "Please check back at a later time.",
        )
    if fault == sc.TIMEOUT:
        state.wait_for_timeout()
    if fault == sc.MALFORMED:
        return Response(200, '{"transactionId": "' + str(uuid.uuid4()) + '", "output": {"completeTrack')
    if fault in sc.GENERIC_FAULTS:
        return generic_fault(fault)
    if state.token_revoked(numbers, request.header("Authorization")):
        return _errors(401, "NOT.AUTHORIZED.ERROR", "Access token expired. Please modify your request and try again.")
    complete, missing = [], False
    for number in numbers:
        found = state.tracking(number)
        if found is None:
            missing = True
            error = {
                "code": "TRACKING.TRACKINGNUMBER.NOTFOUND",
                "message": "Tracking number cannot be found. Please correct the tracking number and try again.",
            }
            result = {"trackingNumberInfo": {"trackingNumber": number, "trackingNumberUniqueId": ""}, "error": error}
        else:
            result = _result(number, found)
        # FedEx answers with its own spelling of the number (upper case), not necessarily the one asked.
        complete.append({"trackingNumber": number.upper(), "trackResults": [result]})
    output = {"completeTrackResults": complete}
    if missing:
        output["alerts"] = "TRACKING.DATA.NOTFOUND -  Tracking data unavailable"
    return Response(200, {"transactionId": str(uuid.uuid4()), "output": output})
