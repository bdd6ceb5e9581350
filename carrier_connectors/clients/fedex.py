"""FedEx Track API v1 (``POST /track/v1/trackingnumbers``, up to 30 numbers a call, OAuth2 client credentials).

Delivery dates (vendor OpenAPI ``vendor_fedex_track_v1_openapi.json``, schema ``TrackResult``):

- promise (``promised_at``): ``dateAndTimes[]`` type COMMITMENT, else ``standardTransitTimeWindow``
  ("the standard committed window of time by which the package is expected to be delivered"),
  its ``window.ends``;
- latest estimate (``eta``): ``dateAndTimes[]`` type APPOINTMENT_DELIVERY (a delivery appointment made
  with the recipient, which supersedes estimates), else ESTIMATED_DELIVERY, else
  ``estimatedDeliveryTimeWindow`` ("may be periodically updated"), its ``window.ends`` (or ``begins``
  when it gives no end). A parcel running late answers an empty estimate window and keeps the promise
  only in ``standardTransitTimeWindow``: the estimate is then the promise (``TrackingResult.set_dates``).

Times: scan ``date`` and most dates carry an offset. Without one (``TimeRange.begins`` in FedEx's own
examples, ``dateAndTimes`` "2007-09-27T00:00:00") the value is local time: a scan's in the zone of its
``scanLocation``, a delivery date's in the zone of the recipient's address, else at the offset FedEx
gives for the window's other end, else taken as UTC (``timezones.zone_for`` decides what a place's zone is).

Codes: a scan is read by its ``eventType``, and by ``derivedStatusCode`` only when the type is not in
``STATUS_CODES``: the derived code is FedEx's coarse summary of the scan (FedEx's own sandbox answers
for its mock numbers, such as the return to shipper 076288115212522: OD, AR and HP scans derived IT,
the RS scan derived DL). The latest status likewise: ``code``, else ``derivedCode``.
"""

import re
import uuid
from datetime import timedelta, timezone

from . import status as st
from .base import (
    ERROR_CARRIER_DOWN,
    ERROR_CONFIG,
    ERROR_MALFORMED,
    ERROR_NOT_FOUND,
    BaseClient,
    CarrierError,
    TrackingEvent,
    TrackingResult,
    find_message,
    normalize_tracking_number,
    to_utc,
)
from .registry import register
from .timezones import zone_for


def _codes(status, kind, *codes):
    return {code: (status, kind) for code in codes}


# latestStatusDetail.code/derivedCode and scanEvents[].eventType/derivedStatusCode (vendor table
# "Tracking Status Codes"; IN initiated and RL running late are derived codes).
STATUS_CODES = {
    **_codes(st.INFO_RECEIVED, "", "OC", "IN", "EP", "AP"),
    **_codes(st.IN_TRANSIT, "", "PU", "PX", "PM", "IT", "IX", "AR", "AF", "DP", "LO", "SF", "FD", "OF", "AA"),
    **_codes(st.IN_TRANSIT, "", "PL", "PF", "EA", "EO", "TR", "AC", "AX", "CH", "CC", "CP", "AO", "DS", "DR"),
    **_codes(st.IN_TRANSIT, "", "SP", "RR", "RM", "RC", "OX"),
    **_codes(st.OUT_FOR_DELIVERY, "", "OD", "ED", "AD"),
    **_codes(st.AVAILABLE_FOR_PICKUP, "", "HL", "HP"),
    **_codes(st.DELIVERED, "", "DL"),
    **_codes(st.FAILED_ATTEMPT, "delivery_failed", "DE"),
    **_codes(st.EXCEPTION, "other", "SE", "CA"),
    **_codes(st.EXCEPTION, "customs", "CD"),
    **_codes(st.EXCEPTION, "delay", "DY", "DD", "PD", "RL"),
    **_codes(st.RETURNING, "returned", "RS"),
}
# FedEx names lost, damaged and destroyed parcels only in the exception text of DE/SE events.
KEYWORDS = [
    ("damage", st.EXCEPTION, "damaged"),
    ("destroyed", st.EXCEPTION, "destroyed"),
    ("disposed", st.EXCEPTION, "destroyed"),
    ("unable to locate", st.EXCEPTION, "lost"),
    ("could not be located", st.EXCEPTION, "lost"),
    ("lost", st.EXCEPTION, "lost"),
    ("returned to shipper", st.RETURNED, "returned"),
    ("return to shipper", st.RETURNING, "returned"),
    ("returning to shipper", st.RETURNING, "returned"),  # reason 060G: "... - Returning to shipper"
    ("clearance", st.EXCEPTION, "customs"),
    ("customs", st.EXCEPTION, "customs"),
    ("incorrect address", None, "address"),
    ("refused", None, "delivery_failed"),
]
_EXCEPTIONAL = (st.EXCEPTION, st.FAILED_ATTEMPT, st.RETURNING)
_OFFSET = re.compile(r"([+-])(\d{2}):?(\d{2})$")


@register
class FedexClient(BaseClient):
    provider = "fedex"
    label = "FedEx"
    default_base_url = "https://apis.fedex.com"
    public_tracking_url = "https://www.fedex.com/fedextrack/?trknbr=<number>"
    batch_size = 30  # the most numbers one track call takes
    default_rate_limit = 100.0  # FedEx allows 1,400 transactions per 10 s per project
    credential_fields = ("client_id", "client_secret")
    token_path = "/oauth/token"

    def connection_test_number(self):
        return "123456789012"

    def _auth_headers(self):
        return {**self._bearer_headers(), "Accept": "application/json", "X-locale": "en_US"}

    @staticmethod
    def request_body(numbers):
        return {
            "trackingInfo": [{"trackingNumberInfo": {"trackingNumber": number}} for number in numbers],
            "includeDetailedScans": True,
        }

    def _track_batch(self, numbers):
        headers = {"x-customer-transaction-id": uuid.uuid4().hex}
        response = self._request("POST", "/track/v1/trackingnumbers", headers=headers, json=self.request_body(numbers))
        payload = self._json(response)
        if response.status_code == 404:
            message = find_message(payload) or "resource not found"
            kind = ERROR_NOT_FOUND if "TRACKINGNUMBER" in str(payload) else ERROR_CONFIG
            raise CarrierError(kind, f"FedEx: {message} (HTTP 404)")
        try:
            complete = payload["output"]["completeTrackResults"]
            # FedEx may answer in its own spelling of a number: matched in normalized form.
            by_number = {normalize_tracking_number(entry["trackingNumber"]): entry for entry in complete}
        except (LookupError, TypeError, AttributeError) as exc:
            raise CarrierError(ERROR_MALFORMED, "FedEx: the answer has no completeTrackResults") from exc
        results = []
        for number in numbers:
            entry = by_number.get(normalize_tracking_number(number))
            if entry is not None:
                results.append(self._parse_entry(number, entry, payload))
        return results

    def _parse_entry(self, number, entry, payload):
        """One number's result; a problem with it never spoils the rest of the batch."""
        try:
            track = entry["trackResults"][0]
            error = track.get("error") or {}
            if error and not (track.get("latestStatusDetail") or track.get("scanEvents")):
                raise number_error(number, error)
            return self._parse_track(number, track, payload)
        except CarrierError as exc:
            return TrackingResult.failure(number, exc)
        except (LookupError, TypeError, AttributeError, ValueError, ArithmeticError) as exc:
            error = CarrierError(ERROR_MALFORMED, f"FedEx: malformed result for {number} ({exc.__class__.__name__})")
            return TrackingResult.failure(number, error)

    def _parse_track(self, number, track, payload):
        result = TrackingResult(number, raw=payload)
        for scan in track.get("scanEvents") or []:
            # The scan's own type first: ``derivedStatusCode`` is a coarse summary of it (FedEx's
            # answers: OD, AR and HP scans derived IT, a return to shipper RS derived DL).
            code = scan.get("eventType") if scan.get("eventType") in STATUS_CODES else scan.get("derivedStatusCode")
            code = code or scan.get("eventType") or ""
            texts = [scan.get("eventDescription"), scan.get("exceptionDescription")]
            status, kind = normalize(code, texts)
            description = " - ".join(filter(None, texts))
            place = scan.get("scanLocation") or {}
            result.events.append(
                TrackingEvent(
                    occurred_at=to_utc(scan["date"], _zone(place)),
                    status=status,
                    raw_code="/".join(filter(None, [scan.get("eventType"), scan.get("exceptionCode")])),
                    description=description,
                    location=_location(scan.get("scanLocation")),
                    exception_kind=kind,
                )
            )
        result.events = [e for e in result.events if e.occurred_at]  # placeholder dates are no events
        result.events.sort(key=lambda e: e.occurred_at)
        # Back at the shipper: a delivery after a return to shipper is the return's end.
        returning = False
        for event in result.events:
            returning = returning or event.status == st.RETURNING
            if returning and event.status == st.DELIVERED:
                event.status, event.exception_kind = st.RETURNED, "returned"
        latest = track.get("latestStatusDetail") or {}
        if latest:
            code = latest.get("code") if latest.get("code") in STATUS_CODES else latest.get("derivedCode")
            code = code or latest.get("code") or ""
            texts = [latest.get("description"), latest.get("statusByLocale")]
            texts += [d.get("reasonDescription") for d in latest.get("ancillaryDetails") or []]
            result.status, result.exception_kind = normalize(code, texts)
            result.raw_status = code
            if returning and result.status == st.DELIVERED:
                result.status, result.exception_kind = st.RETURNED, "returned"
        self._read_dates(result, track)
        return result

    @staticmethod
    def _read_dates(result, track):
        """Promise, latest estimate and delivery date (see the module doc for the fields and their order)."""
        zone = _zone(
            (track.get("recipientInformation") or {}).get("address")
            or track.get("lastUpdatedDestinationAddress")
            or ((track.get("destinationLocation") or {}).get("locationContactAndAddress") or {}).get("address")
        )
        dates = {d.get("type"): d.get("dateTime") for d in track.get("dateAndTimes") or [] if isinstance(d, dict)}

        def date_of(kind):
            return (f"dateAndTimes[{kind}]", to_utc(dates.get(kind), zone, strict=False))

        def window_of(name):
            window = (track.get(name) or {}).get("window") or {}
            ends, begins = window.get("ends"), window.get("begins")
            # A naive end takes the offset FedEx gives for the other end, when the place is unknown.
            local = zone or _offset_zone(begins if ends else None)
            if ends:
                return (f"{name}.window.ends", to_utc(ends, local, strict=False))
            return (f"{name}.window.begins", to_utc(begins, local, strict=False))

        promises = [date_of("COMMITMENT"), window_of("standardTransitTimeWindow")]
        estimates = [date_of("APPOINTMENT_DELIVERY"), date_of("ESTIMATED_DELIVERY")]
        estimates.append(window_of("estimatedDeliveryTimeWindow"))
        result.set_dates(promises, estimates)
        if result.status in (st.DELIVERED, st.RETURNED):
            result.eta, result.eta_source = None, ""  # arrived: no estimate any more, the promise stays
        if result.status == st.DELIVERED:
            result.delivered_at = to_utc(dates.get("ACTUAL_DELIVERY"), zone, strict=False)


def normalize(code, texts):
    """(status, exception kind) from a FedEx status code, refined by the exception's words."""
    status, kind = STATUS_CODES.get((code or "").upper(), (st.UNKNOWN, ""))
    if status not in _EXCEPTIONAL:
        return status, kind
    words = " ".join(filter(None, texts)).lower()
    for keyword, keyword_status, keyword_kind in KEYWORDS:
        if keyword in words:
            return keyword_status or status, keyword_kind
    return status, kind


def number_error(number, error):
    code = error.get("code") or ""
    message = error.get("message") or code
    if "NOTFOUND" in code or "INVALID" in code:
        return CarrierError(ERROR_NOT_FOUND, f"FedEx: {message} ({number})")
    return CarrierError(ERROR_CARRIER_DOWN, f"FedEx: {message} [{code}] ({number})")


def _zone(address):
    address = address or {}
    return zone_for(address.get("countryCode"), address.get("stateOrProvinceCode"))


def _offset_zone(value):
    """A fixed zone from the offset of a FedEx timestamp ("...-06:00"), or None."""
    match = _OFFSET.search(str(value or ""))
    if not match or len(str(value)) <= 19:
        return None
    sign, hours, minutes = match.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    return timezone(-delta if sign == "-" else delta)


def _location(location):
    location = location or {}
    region = " ".join(filter(None, [location.get("stateOrProvinceCode"), location.get("postalCode")]))
    return ", ".join(filter(None, [location.get("city"), region, location.get("countryCode")]))
