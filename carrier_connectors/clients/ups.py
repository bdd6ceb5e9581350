"""UPS Track API v1 (``GET /api/track/v1/details/{number}``, OAuth2 client credentials with HTTP Basic).

Delivery dates (vendor OpenAPI ``vendor_ups_tracking_openapi.yaml``, schemas ``DeliveryDate`` and
``DeliveryTime``): ``deliveryDate[]`` type SDD "Scheduled Delivery Date" is the promise, RDD "Rescheduled
Delivery Date" the moved estimate (the estimate is the SDD while UPS has not rescheduled), DEL the
delivered date; dates are ``YYYYMMDD``. ``deliveryTime.endTime`` ("the end time of a window or the
committed time or the delivered time", HHMMSS) belongs to the current date: types EOD, CMT, EDW, CDW,
IDW to the estimate, DEL to the delivery. Placeholders ("00010101", "00000000", the schema's "string")
are no date.

Times: activity ``date``/``time`` are local to the activity's location (UPS: "The date of the activity",
with ``gmtDate``/``gmtTime``/``gmtOffset`` for GMT; UPS's answers give ``gmtTime`` as "20:04:35", its
schema's example as "74700": both are read). Read in this order: gmtDate+gmtTime (UTC); local time
at ``gmtOffset``; local time in the zone of the activity's address (``timezones.zone_for``: a single-zone
country, or a US/CA/AU/BR/MX state); else taken as UTC. Delivery dates and times are local to the
destination: the zone of the DESTINATION ``packageAddress``, else the latest activity's ``gmtOffset``,
else UTC.
"""

import re
import uuid
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

from . import status as st
from .base import (
    ERROR_MALFORMED,
    ERROR_NOT_FOUND,
    BaseClient,
    CarrierError,
    TrackingEvent,
    TrackingResult,
    is_placeholder,
    normalize_tracking_number,
)
from .registry import register
from .timezones import zone_for

# Activity status.type (vendor table "Package Activity Types"); "P" pickup and "RS" returned to
# shipper also occur in answers.
TYPES = {
    "M": (st.INFO_RECEIVED, ""),
    "MV": (st.EXCEPTION, "other"),  # billing information voided
    "P": (st.IN_TRANSIT, ""),
    "I": (st.IN_TRANSIT, ""),
    "W": (st.IN_TRANSIT, ""),
    "U": (st.IN_TRANSIT, ""),
    "D": (st.DELIVERED, ""),
    "DO": (st.IN_TRANSIT, ""),  # "Delivered Origin CFS (Freight Only)": handed to the origin freight station
    "DD": (st.DELIVERED, ""),
    "X": (st.EXCEPTION, "other"),
    "RS": (st.RETURNED, "returned"),
}


def _codes(status, kind, *codes):
    return {code: (status, kind) for code in codes}


# status.statusCode (vendor table "Status/Description Codes", 3 digits in answers: "068").
STATUS_CODES = {
    **_codes(st.INFO_RECEIVED, "", 3, 80, 157, 166),
    **_codes(st.IN_TRANSIT, "", 5, 10, 12, 14, 16, 25, 38, 39, 44, 45, 47, 57, 73, 74, 79, 84, 87, 92, 134, 137),
    **_codes(st.IN_TRANSIT, "", 138, 158, 159, 160, 164, 165, 167, 168, 169),
    **_codes(st.OUT_FOR_DELIVERY, "", 6, 21, 37, 71, 72, 78, 89, 91, 146, 162),
    **_codes(st.AVAILABLE_FOR_PICKUP, "", 17, 40, 144, 161),
    **_codes(st.DELIVERED, "", 11, 26, 143),
    **_codes(st.FAILED_ATTEMPT, "delivery_failed", 22, 23, 24, 60, 61, 62, 66, 145),
    **_codes(st.EXCEPTION, "delivery_failed", 64, 69),  # refused, unable to deliver
    **_codes(st.EXCEPTION, "address", 50),
    **_codes(st.EXCEPTION, "customs", 58, 123, 124, 125, 126),
    **_codes(st.EXCEPTION, "delay", 32, 46, 48, 49, 51, 52, 53, 86, 90, 132),
    **_codes(st.EXCEPTION, "lost", 68, 127, 128, 129, 130, 140),  # lost and found, investigation, claim
    **_codes(st.EXCEPTION, "damaged", 59),
    **_codes(st.RETURNED, "damaged", 81),  # returned - damage reported
    **_codes(st.EXCEPTION, "destroyed", 149),
    **_codes(st.EXCEPTION, "other", 7, 13, 29, 30, 76, 142, 147),
    **_codes(st.RETURNED, "returned", 34, 67),
    **_codes(st.RETURNING, "returned", 33, 35, 36, 118, 119),
}
# status.code of an exception activity (type X; vendor table "Package Exceptions").
EXCEPTION_CODES = {
    **_codes(st.EXCEPTION, "lost", "S9", "TJ", "UO", "AJ", "26"),
    **_codes(st.EXCEPTION, "damaged", "13", "45", "64", "65", "66", "67", "A1", "A3", "A4", "HD", "HE", "HR", "TV"),
    **_codes(st.EXCEPTION, "damaged", "KQ", "LQ"),
    **_codes(st.EXCEPTION, "destroyed", "1F", "A2"),
    **_codes(st.RETURNING, "returned", "DL", "KP", "O4", "UF", "I1", "4R", "90", "7H", "8H", "3N", "6C", "CS", "XU"),
    **_codes(st.RETURNED, "returned", "UA", "PP", "4S", "TU", "YJ", "YK"),
    **_codes(st.EXCEPTION, "customs", "5", "29", "40", "43", "71", "B9", "CF", "CT", "D0", "OI", "X9"),
    **_codes(st.FAILED_ATTEMPT, "delivery_failed", "48", "49", "51", "52", "55", "KT", "KR", "KS", "AM", "KI"),
    **_codes(st.EXCEPTION, "address", "47", "A6", "A7", "A8", "AA", "AC", "AE", "AF", "AG", "CY", "FA", "TF"),
}
_NOT_FOUND_CODES = ("TW0001", "TV1002", "TW0002")
_OFFSET = re.compile(r"^([+-])(\d{1,2}):?(\d{2})$")


@register
class UpsClient(BaseClient):
    provider = "ups"
    label = "UPS"
    default_base_url = "https://onlinetools.ups.com"
    public_tracking_url = "https://www.ups.com/track?tracknum=<number>"
    batch_size = 1  # one inquiry number per call
    default_rate_limit = 5.0
    credential_fields = ("client_id", "client_secret")
    token_path = "/security/v1/oauth/token"
    transaction_source = "carrier_connectors"

    def connection_test_number(self):
        return "1Z12345E0205271688"

    def _token_request(self):
        auth = (self.credentials["client_id"], self.credentials["client_secret"])
        return {"auth": auth, "data": {"grant_type": "client_credentials"}}

    def _auth_headers(self):
        return {
            **self._bearer_headers(),
            "Accept": "application/json",
            "transId": uuid.uuid4().hex,
            "transactionSrc": self.transaction_source,
        }

    def _error_from_response(self, response, auth_request=False):
        # TV1002 "Invalid inquiry number" comes as HTTP 400: a final answer, not a refused request.
        code, message = _first_error(_safe_json(response))
        if not auth_request and code in _NOT_FOUND_CODES:
            return CarrierError(ERROR_NOT_FOUND, f"UPS: {message or code} ({code})")
        return super()._error_from_response(response, auth_request)

    def _track_batch(self, numbers):
        (number,) = numbers
        # Escaped: a "/", "?" or "#" in a number must not change the URL it is sent to.
        path = f"/api/track/v1/details/{quote(number, safe='')}"
        response = self._request("GET", path, params={"locale": "en_US"})
        payload = self._json(response)
        if response.status_code == 404:
            _code, message = _first_error(payload)
            raise CarrierError(ERROR_NOT_FOUND, f"UPS: {message or 'tracking information not found'} ({number})")
        try:
            return [self._parse_payload(number, payload)]
        except (LookupError, TypeError, AttributeError, ValueError) as exc:
            raise CarrierError(ERROR_MALFORMED, f"UPS: malformed tracking answer ({exc.__class__.__name__})") from exc

    def _parse_payload(self, number, payload):
        shipment = payload["trackResponse"]["shipment"][0]
        packages = shipment.get("package") or []
        if not packages:
            warnings = shipment.get("warnings") or []
            text = "; ".join(f"{w.get('code')} {w.get('message')}" for w in warnings) or "no package"
            kind = ERROR_NOT_FOUND if any(w.get("code") in _NOT_FOUND_CODES for w in warnings) else ERROR_MALFORMED
            raise CarrierError(kind, f"UPS: {text} ({number})")
        wanted = normalize_tracking_number(number)
        matching = (p for p in packages if normalize_tracking_number(p.get("trackingNumber")) == wanted)
        package = next(matching, packages[0])
        return self._parse_package(number, package, payload)

    def _parse_package(self, number, package, payload):
        result = TrackingResult(number, raw=payload)
        offset = None
        for activity in package.get("activity") or []:
            status, kind = normalize(activity.get("status") or {})
            offset = offset or activity.get("gmtOffset")
            result.events.append(
                TrackingEvent(
                    occurred_at=activity_time(activity),
                    status=status,
                    raw_code=raw_code(activity.get("status") or {}),
                    description=(activity.get("status") or {}).get("description") or "",
                    location=_location(activity.get("location")),
                    exception_kind=kind,
                )
            )
        result.events = sorted((e for e in result.events if e.occurred_at), key=lambda e: e.occurred_at)
        current = package.get("currentStatus") or {}
        if current:
            result.status, result.exception_kind = normalize(current)
            result.raw_status = raw_code(current)
        self._read_dates(result, package, offset)
        return result

    @staticmethod
    def _read_dates(result, package, offset):
        """Promise, latest estimate and delivery date (see the module doc)."""
        dates = {d.get("type"): d.get("date") for d in package.get("deliveryDate") or [] if isinstance(d, dict)}
        times = package.get("deliveryTime") or {}
        addresses = package.get("packageAddress") or []
        destination = next((a.get("address") or {} for a in addresses if "DESTINATION" in str(a.get("type"))), {})
        zone = zone_for(destination.get("countryCode") or destination.get("country"), destination.get("stateProvince"))
        zone = zone or _fixed_zone(offset)
        # deliveryTime belongs to the current date: the rescheduled one when there is one.
        estimate_time = times.get("type") if times.get("type") in ("EOD", "CMT", "EDW", "CDW", "IDW") else None
        latest = "RDD" if delivery_date(dates.get("RDD"), None, zone) else "SDD"

        def read(kind, with_time):
            end = times.get("endTime") if with_time and estimate_time else None
            source = f"deliveryDate[{kind}]" + (f"+deliveryTime[{estimate_time}]" if end else "")
            return (source, delivery_date(dates.get(kind), end, zone))

        promise = read("SDD", with_time=latest == "SDD")
        result.set_dates([promise], [read("RDD", with_time=True)] if latest == "RDD" else [])
        if result.status in (st.DELIVERED, st.RETURNED):
            result.eta, result.eta_source = None, ""  # arrived: no estimate any more, the promise stays
        if result.status == st.DELIVERED:
            delivered = [e.occurred_at for e in result.events if e.status == st.DELIVERED]
            end = times.get("endTime") if times.get("type") == "DEL" else None
            result.delivered_at = delivered[-1] if delivered else delivery_date(dates.get("DEL"), end, zone)


def normalize(status):
    """(status, exception kind) of an activity status: statusCode first, then type and exception code.

    A ``currentStatus`` may give only a description and its three-digit status code in ``code``
    (a real answer: ``{"description": "Delivered", "code": "011"}``, no ``statusCode``, no ``type``):
    that code is read as the status code (activity and exception codes have one or two characters)."""
    kind_of_type = (status.get("type") or "").upper()
    code = (status.get("code") or "").upper()
    number = (status.get("statusCode") or "").strip()
    if not number and len(code) == 3 and code.isdigit():
        number, code = code, ""
    found = STATUS_CODES.get(int(number)) if number.isdigit() else None
    if kind_of_type == "X" and code in EXCEPTION_CODES:
        return EXCEPTION_CODES[code]
    if found:
        if kind_of_type == "X" and found[0] not in (st.EXCEPTION, st.FAILED_ATTEMPT, st.RETURNING, st.RETURNED):
            return st.EXCEPTION, "other"  # an exception activity whose status text says little
        return found
    return TYPES.get(kind_of_type, (st.UNKNOWN, ""))


def raw_code(status):
    """``type/code/statusCode``, e.g. ``X/S9/068``: all three matter to read an activity back."""
    return "/".join(filter(None, [status.get("type"), status.get("code"), status.get("statusCode")]))


def activity_time(activity):
    """UTC time of an activity (None for a placeholder date): gmtDate+gmtTime, else the local date+time
    at gmtOffset, else in the zone of the activity's address, else taken as UTC."""
    if activity.get("gmtDate") and activity.get("gmtTime"):
        return _to_utc(_parse(activity["gmtDate"], activity["gmtTime"]), timezone.utc)
    address = (activity.get("location") or {}).get("address") or {}
    zone = _fixed_zone(activity.get("gmtOffset")) or zone_for(
        address.get("countryCode") or address.get("country"), address.get("stateProvince")
    )
    return _to_utc(_parse(activity.get("date"), activity.get("time") or "000000"), zone)


def delivery_date(date, time, zone):
    """A delivery date (``YYYYMMDD``, optional HHMMSS) as naive UTC; None for a placeholder or an
    unreadable value (an estimate never costs the parcel its events). A date without time is that
    calendar day, not shifted."""
    if not (date and len(date) == 8 and date.isdigit()) or date.strip("0") == "":
        return None
    try:
        parsed = _parse(date, time or "000000")
    except CarrierError:
        return None
    return _to_utc(parsed, zone if time else None)


def _fixed_zone(offset):
    match = _OFFSET.match((offset or "").strip())
    if not match:
        return None
    sign, hours, minutes = match.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    return timezone(-delta if sign == "-" else delta)


def _to_utc(parsed, zone):
    if is_placeholder(parsed):
        return None
    if zone is None:
        return parsed
    try:
        return parsed.replace(tzinfo=zone).astimezone(timezone.utc).replace(tzinfo=None)
    except OverflowError:
        return None


def _parse(date, time):
    """``YYYYMMDD`` and ``HHMMSS`` as UPS documents them, or ``HH:MM:SS`` as its answers give
    ``gmtTime`` ("15:44:34", UPS-API/api-documentation issues #99 and #187; a real answer: "20:04:35"),
    or ``YYYY-MM-DD`` (the legacy API's ``GMTDate``); a time without its leading zero ("74700", the
    schema's example) is padded."""
    date, time = str(date or ""), str(time)
    if len(time) == 8 and time[2] == time[5] == ":":
        time = time.replace(":", "")
    if len(date) == 10 and date[4] == date[7] == "-":
        date = date.replace("-", "")
    try:
        return datetime.strptime(f"{date}{time.zfill(6)}", "%Y%m%d%H%M%S")
    except (TypeError, ValueError) as exc:
        raise CarrierError(ERROR_MALFORMED, f"UPS: unreadable date {date!r} {time!r}") from exc


def _location(location):
    address = (location or {}).get("address") or {}
    region = " ".join(filter(None, [address.get("stateProvince"), address.get("postalCode")]))
    return ", ".join(filter(None, [address.get("city"), region, address.get("countryCode") or address.get("country")]))


def _safe_json(response):
    try:
        return response.json()
    except ValueError:
        return None


def _first_error(payload):
    """(code, message) of the first entry of UPS's ``{"response": {"errors": [...]}}``."""
    try:
        error = payload["response"]["errors"][0]
        return error.get("code"), error.get("message")
    except (LookupError, TypeError, AttributeError):
        return None, None
