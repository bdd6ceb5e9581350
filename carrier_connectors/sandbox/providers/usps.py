"""USPS Tracking API v3 and OAuth2 v3, as in public samples (karrioapi/karrio @ deea10f,
``modules/connectors/usps/tests/usps/test_tracking.py``; copies in ``tests/fixtures/``).

Delivery dates as the vendor OpenAPI (``TrackingDetails``) documents them: ``expectedDeliveryTimeStamp``
(the expected delivery by the service standard: the promise) and ``predictedDeliveryDate`` with
``predictedDeliveryWindowEndTime`` (USPS's predicted delivery, local to the destination: the latest
estimate). ``no_promise`` gives only the prediction; ``zero_date`` the placeholder ``0001-01-01``.
"""

import time
from urllib.parse import unquote

from .. import scenarios as sc
from ..core import CREDENTIALS, Response, generic_fault, route

# Generic event → (eventCode, eventType, statusCategory). Codes from Pub 199 Appendix G-4; the
# international/alert ones (IC, DM, DS) are illustrative: clients read those events by their words.
EVENTS = {
    sc.INFO: ("GX", "Shipping Label Created, USPS Awaiting Item", "Pre-Shipment"),
    sc.PICKED_UP: ("03", "USPS in possession of item", "Accepted"),
    sc.TRANSIT: ("10", "Arrived at USPS Regional Facility", "In Transit"),
    sc.CUSTOMS: ("IC", "Held in Customs", "Alert"),
    sc.OUT_FOR_DELIVERY: ("OF", "Out for Delivery", "Out for Delivery"),
    sc.PICKUP_POINT: ("16", "Available for Pickup", "Available for Pickup"),
    sc.FAILED_ATTEMPT: ("02", "Notice Left (No Authorized Recipient Available)", "Delivery Attempt"),
    sc.DELIVERED: ("01", "Delivered, Front Door/Porch", "Delivered"),
    sc.LOST: ("11", "Dead Letter, Sent to Mail Recovery Center", "Alert"),
    sc.DAMAGED: ("DM", "Item Damaged, Contact Sender", "Alert"),
    sc.DESTROYED: ("DS", "Item Destroyed, Prohibited Contents", "Alert"),
    sc.RETURNING: ("09", "Return to Sender Processed", "Alert"),
    sc.RETURNED: ("01", "Delivered, To Original Sender", "Delivered"),
}


def _error(status, message, title=None, headers=None):
    error = {"code": str(status), "message": message, "errors": []}
    if title:
        error["errors"].append({"status": str(status), "code": str(status), "title": title, "detail": message})
    return Response(status, {"apiVersion": "/tracking/v3", "error": error}, headers=headers or {})


@route("usps", "POST", r"/oauth2/v3/token")
def token(request, state):
    try:
        body = request.json() if "json" in (request.header("Content-Type") or "") else request.form()
    except ValueError:
        body = None
    if not isinstance(body, dict) or body.get("grant_type") != "client_credentials":
        return Response(400, {"error": "unsupported_grant_type", "error_description": "Unsupported grant type."})
    if body.get("client_id") != CREDENTIALS["client_id"] or body.get("client_secret") != CREDENTIALS["client_secret"]:
        return Response(
            401,
            {
                "error": "invalid_client",
                "error_description": "Client authentication failed.",
                "error_uri": "https://datatracker.ietf.org/doc/html/rfc6749#page-45",
            },
        )
    return Response(
        200,
        {
            "access_token": state.issue_token(),
            "token_type": "Bearer",
            "issued_at": int(time.time() * 1000),
            "expires_in": 28799,
            "status": "approved",
            "scope": body.get("scope") or "tracking",
            "issuer": "https://keyc.usps.com/realms/USPS",
            "client_id": body["client_id"],
            "application_name": "sandbox",
            "api_products": "[Public Access]",
        },
    )


def _event(when, step):
    code, text, _category = EVENTS[step.code]
    local, offset = sc.local_time(when, step.country)
    return {
        "eventType": text,
        "eventTimestamp": local.isoformat(),
        "GMTTimestamp": when.isoformat() + "Z",
        "GMTOffset": offset,
        "eventCountry": None if step.country == "US" else step.country,
        "eventCity": step.city.upper(),
        "eventState": None,
        "eventZIP": None,
        "firm": None,
        "name": None,
        "authorizedAgent": "false",
        "eventCode": code,
        "additionalProp": None,
    }


def _delivery_dates(found):
    """The TrackingDetails date fields of a parcel on its way."""
    if found.placeholder_dates:
        return {"expectedDeliveryTimeStamp": f"{sc.PLACEHOLDER_DATE}T00:00:00Z", "predictedDeliveryDate": "0001-01-01"}
    fields = {}
    if found.promised and found.scenario not in sc.NO_ESTIMATE:
        fields["expectedDeliveryTimeStamp"] = found.promised.isoformat() + "Z"
        fields["expectedDeliveryType"] = "Expected Delivery by"
    predicted = found.eta or found.promised
    if predicted:
        local, _offset = sc.local_time(predicted, sc.DESTINATION_COUNTRY)
        fields["predictedDeliveryDate"] = local.date().isoformat()
        fields["predictedDeliveryWindowStartTime"] = local.replace(hour=8, minute=0).strftime("%H:%M:%S")
        fields["predictedDeliveryWindowEndTime"] = local.strftime("%H:%M:%S")
    return fields


@route("usps", "GET", r"/tracking/v3/tracking/(?P<number>[^/]+)")
def tracking(request, state, number):
    number = unquote(number)
    state.note_path_number(number)
    if not state.token_valid(request.header("Authorization")):
        return _error(
            401,
            "The access token is invalid or has expired.",
            headers={"WWW-Authenticate": 'Bearer realm="https://api.usps.com"'},
        )
    fault = state.fault([number])
    if fault == sc.RATE_LIMITED:
        return _error(429, "Too many requests have been received from the client.", headers={"Retry-After": "1"})
    if fault == sc.SERVER_ERROR:
        return _error(503, "Service Unavailable", headers={"Retry-After": "2"})
    if fault == sc.TIMEOUT:
        state.wait_for_timeout()
    if fault == sc.MALFORMED:
        return Response(200, "<html><body>Service temporarily unavailable</body></html>", content_type="text/html")
    if fault in sc.GENERIC_FAULTS:
        return generic_fault(fault)
    if state.token_revoked([number], request.header("Authorization")):
        return _error(401, "The access token is invalid or has expired.")
    found = state.tracking(number)
    if found is None:
        return _error(
            404,
            "Tracking is not available for this item. This may be because the tracking number is invalid; "
            "USPS has not yet received the item; the item does not include tracking; or other reasons.",
            title="Not Found",
        )
    events = [_event(when, step) for when, step in found.listed()]
    _code, text, category = EVENTS[found.last.code]
    if request.arg("expand", "SUMMARY").upper() != "DETAIL":
        summary = [f"{e['eventType']}, {e['eventTimestamp']}, {e['eventCity']}" for e in events]
        return Response(200, {"trackingNumber": number, "eventSummaries": summary})
    body = {
        "trackingNumber": number,
        "mailClass": "Priority Mail International<SUP>&#174;</SUP>",
        "mailType": "INTERNATIONAL_INBOUND",
        "originCountry": "CN",
        "destinationCountryCode": sc.DESTINATION_COUNTRY,
        "destinationCity": "AMSTERDAM",
        "status": text,
        "statusCategory": category,
        "statusSummary": f"{text} at {events[0]['eventTimestamp']} in {events[0]['eventCity']}.",
        "trackingEvents": events,
    }
    if not found.delivered:
        body.update(_delivery_dates(found))
    return Response(200, body)
