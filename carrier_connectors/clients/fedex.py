"""FedEx Track API v1 (``POST /track/v1/trackingnumbers``, up to 30 numbers a call, OAuth2 client credentials)."""

import uuid

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
    to_utc,
)
from .registry import register


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
    ("clearance", st.EXCEPTION, "customs"),
    ("customs", st.EXCEPTION, "customs"),
    ("incorrect address", None, "address"),
    ("refused", None, "delivery_failed"),
]
_EXCEPTIONAL = (st.EXCEPTION, st.FAILED_ATTEMPT, st.RETURNING)


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
            by_number = {entry["trackingNumber"]: entry for entry in complete}
        except (LookupError, TypeError, AttributeError) as exc:
            raise CarrierError(ERROR_MALFORMED, "FedEx: the answer has no completeTrackResults") from exc
        results = []
        for number in numbers:
            if number in by_number:
                results.append(self._parse_entry(number, by_number[number], payload))
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
        except (LookupError, TypeError, AttributeError, ValueError) as exc:
            error = CarrierError(ERROR_MALFORMED, f"FedEx: malformed result for {number} ({exc.__class__.__name__})")
            return TrackingResult.failure(number, error)

    def _parse_track(self, number, track, payload):
        result = TrackingResult(number, raw=payload)
        for scan in track.get("scanEvents") or []:
            code = scan.get("derivedStatusCode") or scan.get("eventType") or ""
            texts = [scan.get("eventDescription"), scan.get("exceptionDescription")]
            status, kind = normalize(code, texts)
            description = " - ".join(filter(None, texts))
            result.events.append(
                TrackingEvent(
                    occurred_at=to_utc(scan["date"]),
                    status=status,
                    raw_code="/".join(filter(None, [scan.get("eventType"), scan.get("exceptionCode")])),
                    description=description,
                    location=_location(scan.get("scanLocation")),
                    exception_kind=kind,
                )
            )
        result.events.sort(key=lambda e: e.occurred_at)
        # Back at the shipper: a delivery after a return to shipper is the return's end.
        returning = False
        for event in result.events:
            returning = returning or event.status == st.RETURNING
            if returning and event.status == st.DELIVERED:
                event.status, event.exception_kind = st.RETURNED, "returned"
        latest = track.get("latestStatusDetail") or {}
        if latest:
            code = latest.get("derivedCode") or latest.get("code") or ""
            texts = [latest.get("description"), latest.get("statusByLocale")]
            texts += [d.get("reasonDescription") for d in latest.get("ancillaryDetails") or []]
            result.status, result.exception_kind = normalize(code, texts)
            result.raw_status = code
            if returning and result.status == st.DELIVERED:
                result.status, result.exception_kind = st.RETURNED, "returned"
        dates = {d.get("type"): d.get("dateTime") for d in track.get("dateAndTimes") or []}
        window = ((track.get("estimatedDeliveryTimeWindow") or {}).get("window") or {}).get("ends")
        if result.status not in (st.DELIVERED, st.RETURNED):
            result.eta = to_utc(dates.get("ESTIMATED_DELIVERY") or window)
        elif result.status == st.DELIVERED:
            result.delivered_at = to_utc(dates.get("ACTUAL_DELIVERY"))
        return result


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


def _location(location):
    location = location or {}
    region = " ".join(filter(None, [location.get("stateOrProvinceCode"), location.get("postalCode")]))
    return ", ".join(filter(None, [location.get("city"), region, location.get("countryCode")]))
