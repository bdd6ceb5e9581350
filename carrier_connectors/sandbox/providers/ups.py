"""UPS Track API v1 and OAuth2 (HTTP Basic), as in public samples (karrioapi/karrio @ deea10f,
``modules/connectors/ups/tests/ups/test_tracking.py``; copies in ``tests/fixtures/``).

Delivery dates as the vendor OpenAPI documents them: ``deliveryDate[]`` SDD (scheduled: the promise),
RDD (rescheduled: a moved estimate), DEL (delivered), dates ``YYYYMMDD`` local to the destination, and
``deliveryTime`` (EOD end of day, CMT commit time ... with ``endTime`` HHMMSS). ``no_promise`` gives the
scheduled date alone, without a time; ``zero_date`` gives the placeholder ``00010101``.
"""

import base64
import re
import time
from urllib.parse import unquote

from .. import scenarios as sc
from ..core import CREDENTIALS, Response, generic_fault, route

# Generic event → activity status (type, code, statusCode, description), from the vendor code
# tables: activity types, package exception codes, status/description codes.
EVENTS = {
    sc.INFO: ("M", "MP", "003", "Shipper created a label, UPS has not received the package yet."),
    sc.PICKED_UP: ("I", "OR", "038", "Picked up by UPS"),
    sc.TRANSIT: ("I", "AR", "005", "Arrived at Facility"),
    sc.CUSTOMS: ("X", "5", "126", "Your package is pending release from a Government Agency."),
    sc.OUT_FOR_DELIVERY: ("I", "OF", "021", "Out For Delivery Today"),
    sc.PICKUP_POINT: ("I", "ZP", "161", "Delivered to UPS Access Point™ location and awaiting customer pickup."),
    sc.FAILED_ATTEMPT: ("X", "48", "022", "The receiver was not available for delivery."),
    sc.DELIVERED: ("D", "FS", "011", "DELIVERED"),
    sc.LOST: ("X", "S9", "068", "We've sent the package to UPS lost and found."),
    sc.DAMAGED: ("X", "45", "059", "Your package was damaged in transit. We will notify the sender with details."),
    sc.DESTROYED: ("X", "1F", "149", "Per government agency instruction, UPS has destroyed the package."),
    sc.RETURNING: ("X", "UF", "035", "We're in the process of returning this package to the sender."),
    sc.RETURNED: ("RS", "UA", "034", "UPS has returned your package to the sender."),
}
_INQUIRY = re.compile(r"^[A-Za-z0-9]{7,34}$")


def _errors(status, code, message, headers=None):
    return Response(status, {"response": {"errors": [{"code": code, "message": message}]}}, headers=headers or {})


def _basic_credentials(header):
    try:
        scheme, value = (header or "").split(" ", 1)
        client_id, secret = base64.b64decode(value).decode().split(":", 1)
    except ValueError:
        return None, None
    return (client_id, secret) if scheme.lower() == "basic" else (None, None)


@route("ups", "POST", r"/security/v1/oauth/token")
def token(request, state):
    client_id, secret = _basic_credentials(request.header("Authorization"))
    if client_id != CREDENTIALS["client_id"] or secret != CREDENTIALS["client_secret"]:
        return _errors(401, "10401", "ClientId is Invalid")
    if request.form().get("grant_type") != "client_credentials":
        return _errors(400, "10400", "Invalid/Missing grant_type")
    return Response(
        200,
        {
            "token_type": "Bearer",
            "issued_at": str(int(time.time() * 1000)),
            "client_id": client_id,
            "access_token": state.issue_token(),
            "expires_in": "14399",
            "status": "approved",
        },
    )


def _stamp(when, country):
    return sc.local_time(when, country)


def _activity(when, step):
    kind, code, status_code, description = EVENTS[step.code]
    local, offset = _stamp(when, step.country)
    return {
        "date": local.strftime("%Y%m%d"),
        "time": local.strftime("%H%M%S"),
        "gmtDate": when.strftime("%Y%m%d"),
        "gmtTime": when.strftime("%H:%M:%S"),  # as UPS's answers give it ("20:04:35"), not the schema's "74700"
        "gmtOffset": offset,
        "location": {"address": {"city": step.city, "countryCode": step.country, "country": step.country}},
        "status": {"type": kind, "description": description, "code": code, "statusCode": status_code},
    }


def _delivery_dates(found):
    """(deliveryDate list, deliveryTime) of a parcel on its way."""
    dest = sc.DESTINATION_COUNTRY
    if found.placeholder_dates:
        return [{"type": "SDD", "date": "00010101"}], {"type": "EOD", "endTime": "000000"}
    dates, times = [], {}
    if found.promised:
        dates.append({"type": "SDD", "date": _stamp(found.promised, dest)[0].strftime("%Y%m%d")})
    if found.eta:
        local = _stamp(found.eta, dest)[0]
        if found.promised and found.promised.date() != found.eta.date():
            dates.append({"type": "RDD", "date": local.strftime("%Y%m%d")})
        times = {"type": "EOD", "endTime": local.strftime("%H%M%S")}
    return dates, times


@route("ups", "GET", r"/api/track/v1/details/(?P<number>[^/]+)")
def details(request, state, number):
    number = unquote(number)
    state.note_path_number(number)
    if not state.token_valid(request.header("Authorization")):
        return _errors(401, "250002", "Invalid Authentication Information.")
    if not request.header("transId") or not request.header("transactionSrc"):
        return _errors(400, "VSS000", "Missing required header transId or transactionSrc")
    if not _INQUIRY.match(number):
        return _errors(400, "TV1002", "Invalid inquiry number")
    fault = state.fault([number])
    if fault == sc.RATE_LIMITED:
        return _errors(429, "429", "Too Many Requests", headers={"Retry-After": "1"})
    if fault == sc.SERVER_ERROR:
        return _errors(500, "500", "Internal server error")
    if fault == sc.TIMEOUT:
        state.wait_for_timeout()
    if fault == sc.MALFORMED:
        body = {"trackResponse": {"shipment": [{"package": [{"activity": [{"date": "2024-13", "time": "??"}]}]}]}}
        return Response(200, body)
    if fault in sc.GENERIC_FAULTS:
        return generic_fault(fault)
    if state.token_revoked([number], request.header("Authorization")):
        return _errors(401, "250002", "Invalid Authentication Information.")
    found = state.tracking(number)
    if found is None:
        warning = {"code": "TW0001", "message": "Tracking Information Not Found"}
        return Response(200, {"trackResponse": {"shipment": [{"inquiryNumber": number, "warnings": [warning]}]}})
    activities = [_activity(when, step) for when, step in found.listed()]
    package = {
        "trackingNumber": number,
        "activity": activities,
        "currentStatus": dict(
            activities[0]["status"], simplifiedTextDescription=activities[0]["status"]["description"]
        ),
        "packageCount": 1,
        "service": {"code": "518", "description": "UPS Ground"},
    }
    if found.delivered:
        when, step = found.events[-1]
        local, _offset = _stamp(when, step.country)
        package["deliveryDate"] = [{"type": "DEL", "date": local.strftime("%Y%m%d")}]
        package["deliveryTime"] = {"type": "DEL", "endTime": local.strftime("%H%M%S")}
    else:
        package["deliveryDate"], times = _delivery_dates(found)
        if times:
            package["deliveryTime"] = times
        package["packageAddress"] = [
            {"type": "DESTINATION", "address": {"city": "Amsterdam", "countryCode": sc.DESTINATION_COUNTRY}}
        ]
    shipment = {"inquiryNumber": number, "package": [package], "userRelation": []}
    return Response(200, {"trackResponse": {"shipment": [shipment]}})
