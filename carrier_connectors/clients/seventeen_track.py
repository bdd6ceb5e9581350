"""17TRACK Tracking API v2.2 (header ``17token``): register, gettrackinfo, stoptrack, retrack, getquota.

``gettrackinfo`` takes up to 40 numbers; a number 17TRACK does not track yet comes back in
``data.rejected`` with -18019902 and is registered, then asked again, within the same ``track()`` call.
Webhook pushes (``TRACKING_UPDATED``) carry the same ``track_info`` as polling and are signed with header
``sign`` = sha256 hex of ``body + "/" + key``.

Delivery dates: ``track_info.time_metrics.estimated_delivery_date`` (``source``: "Official" for the
carrier's, "17TRACK" for 17TRACK's own; ``from``/``to``: the estimated window, ISO 8601) is the only date
17TRACK gives: the latest estimate, its ``to``, else its ``from``. 17TRACK keeps no first promise, so
``promised_at`` stays None (callers keep the first estimate they saw if they need the original one).

Times: events carry ``time_iso`` (local time with offset) and ``time_utc``; an event with only
``time_raw`` (the carrier's text) is read at ``time_raw.timezone``, else in the zone of the event's
``address`` (country and state, ``timezones.zone_for``), else taken as UTC. An estimate without offset
is read in the zone of ``shipping_info.recipient_address``, else taken as UTC.
"""

import hashlib
import hmac
import json

from . import status as st
from .base import (
    ERROR_AUTH,
    ERROR_CARRIER_DOWN,
    ERROR_CONFIG,
    ERROR_MALFORMED,
    ERROR_NOT_FOUND,
    ERROR_RATE_LIMITED,
    BaseClient,
    CarrierError,
    TrackingEvent,
    TrackingResult,
    to_utc,
)
from .registry import register
from .timezones import zone_for

API = "/track/v2.2"
ALREADY_REGISTERED = -18019901
NOT_REGISTERED = -18019902
NO_INFO_YET = -18019909

ERROR_CODES = {
    -18010001: ERROR_AUTH,  # IP address is not in whitelist
    -18010002: ERROR_AUTH,  # access token is invalid
    -18010003: ERROR_CARRIER_DOWN,  # internal service error, retry later
    -18010004: ERROR_AUTH,  # account is disabled
    -18010005: ERROR_AUTH,  # unauthorized access
    -18010014: ERROR_RATE_LIMITED,  # request limit exceeded
    -18019902: ERROR_NOT_FOUND,  # not registered
    -18019903: ERROR_NOT_FOUND,  # carrier cannot be detected: the number is not recognised
    -18019907: ERROR_RATE_LIMITED,  # daily request limit exceeded (retrying today cannot help)
    -18019908: ERROR_CONFIG,  # quota is not enough
    -18019909: ERROR_NOT_FOUND,  # no tracking information at this time
    -18019910: ERROR_CONFIG,  # carrier code not correct
}

# latest_status.status and the prefix of every sub_status.
STATUSES = {
    "NotFound": (st.NOT_FOUND, ""),
    "InfoReceived": (st.INFO_RECEIVED, ""),
    "InTransit": (st.IN_TRANSIT, ""),
    "Expired": (st.EXPIRED, ""),
    "AvailableForPickup": (st.AVAILABLE_FOR_PICKUP, ""),
    "OutForDelivery": (st.OUT_FOR_DELIVERY, ""),
    "DeliveryFailure": (st.FAILED_ATTEMPT, "delivery_failed"),
    "Delivered": (st.DELIVERED, ""),
    "Exception": (st.EXCEPTION, "other"),
}
SUB_STATUSES = {
    "InTransit_CustomsRequiringInformation": (st.EXCEPTION, "customs"),
    "DeliveryFailure_InvalidAddress": (st.FAILED_ATTEMPT, "address"),
    "DeliveryFailure_Security": (st.FAILED_ATTEMPT, "customs"),
    "Exception_Returning": (st.RETURNING, "returned"),
    "Exception_Returned": (st.RETURNED, "returned"),
    "Exception_Lost": (st.EXCEPTION, "lost"),
    "Exception_Damage": (st.EXCEPTION, "damaged"),
    "Exception_Destroyed": (st.EXCEPTION, "destroyed"),
    "Exception_Delayed": (st.EXCEPTION, "delay"),
    "Exception_Security": (st.EXCEPTION, "customs"),  # held by customs or security
    "Exception_NoBody": (st.EXCEPTION, "delivery_failed"),
    "Exception_Rejected": (st.EXCEPTION, "delivery_failed"),
    "Exception_InvalidAddress": (st.EXCEPTION, "address"),
}
# Event "stage" (the milestone key stages) when an event has no sub_status.
STAGES = {
    "InfoReceived": (st.INFO_RECEIVED, ""),
    "PickedUp": (st.IN_TRANSIT, ""),
    "Departure": (st.IN_TRANSIT, ""),
    "Arrival": (st.IN_TRANSIT, ""),
    "AvailableForPickup": (st.AVAILABLE_FOR_PICKUP, ""),
    "OutForDelivery": (st.OUT_FOR_DELIVERY, ""),
    "Delivered": (st.DELIVERED, ""),
    "Returning": (st.RETURNING, "returned"),
    "Returned": (st.RETURNED, "returned"),
}
# Words refining a generic "Exception_Other" / "Exception" (17TRACK passes carrier wording through).
KEYWORDS = [
    ("lost", "lost"),
    ("damaged", "damaged"),
    ("destroyed", "destroyed"),
    ("customs", "customs"),
]


def normalize(status="", sub_status="", text=""):
    if sub_status in SUB_STATUSES:
        return SUB_STATUSES[sub_status]
    found, kind = STATUSES.get(status or (sub_status or "").split("_")[0], (st.UNKNOWN, ""))
    if found == st.EXCEPTION and kind == "other":
        lowered = (text or "").lower()
        kind = next((word_kind for word, word_kind in KEYWORDS if word in lowered), kind)
    return found, kind


def _zone(address):
    address = address if isinstance(address, dict) else {}
    return zone_for(address.get("country"), address.get("state"))


def _event_time(event):
    if event.get("time_iso") or event.get("time_utc"):
        return to_utc(event.get("time_iso") or event.get("time_utc"))
    raw = event.get("time_raw") or {}
    if not raw.get("date"):
        return None
    text = f"{raw['date']}T{raw.get('time') or '00:00:00'}{raw.get('timezone') or ''}"
    return to_utc(text, _zone(event.get("address")))


def parse_track_info(number, item):
    """A TrackingResult from one ``accepted`` entry (or a webhook's ``data``): same shape for both."""
    info = item.get("track_info") or {}
    result = TrackingResult(number, raw=item)
    for provider in (info.get("tracking") or {}).get("providers") or []:
        for event in provider.get("events") or []:
            occurred = _event_time(event)
            if occurred is None:
                continue
            sub_status, stage = event.get("sub_status") or "", event.get("stage") or ""
            if sub_status:
                status, kind = normalize(sub_status=sub_status, text=event.get("description"))
            else:
                status, kind = STAGES.get(stage, (st.IN_TRANSIT, ""))
            result.events.append(
                TrackingEvent(
                    occurred_at=occurred,
                    status=status,
                    raw_code=sub_status or stage,
                    description=event.get("description") or "",
                    location=event.get("location") or "",
                    exception_kind=kind,
                )
            )
    latest = info.get("latest_status") or {}
    if latest.get("status"):
        last_text = (info.get("latest_event") or {}).get("description") or ""
        result.status, result.exception_kind = normalize(latest["status"], latest.get("sub_status"), last_text)
        result.raw_status = latest.get("sub_status") or latest["status"]
    estimate = (info.get("time_metrics") or {}).get("estimated_delivery_date") or {}
    zone = _zone((info.get("shipping_info") or {}).get("recipient_address"))
    path = "time_metrics.estimated_delivery_date"
    result.set_dates(
        estimates=[(f"{path}.{key}", to_utc(estimate.get(key), zone, strict=False)) for key in ("to", "from")]
    )
    if result.status == st.DELIVERED:
        milestones = {m.get("key_stage"): m for m in info.get("milestone") or []}
        delivered = milestones.get("Delivered") or {}
        result.delivered_at = to_utc(delivered.get("time_iso") or delivered.get("time_utc"), strict=False)
    return result


def _code_error(code, message):
    kind = ERROR_CODES.get(code, ERROR_CONFIG)
    return CarrierError(kind, f"17TRACK: {message or 'request refused'} ({code})")


@register
class SeventeenTrackClient(BaseClient):
    provider = "seventeen_track"
    label = "17TRACK"
    default_base_url = "https://api.17track.net"
    public_tracking_url = "https://t.17track.net/en#nums=<number>"
    batch_size = 40  # numbers per register/gettrackinfo call
    default_rate_limit = 3.0  # 17TRACK allows 3 requests per second
    credential_fields = ("api_key",)

    def _auth_headers(self):
        return {"17token": self.credentials["api_key"], "Content-Type": "application/json"}

    def _post(self, endpoint, payload):
        response = self._request("POST", f"{API}/{endpoint}", data=json.dumps(payload))
        if response.status_code == 404:
            raise CarrierError(ERROR_CONFIG, f"17TRACK: no endpoint {API}/{endpoint} at {self.base_url}")
        body = self._json(response)
        if body.get("code") != 0:
            errors = (body.get("data") or {}).get("errors") or [{}]
            raise _code_error(errors[0].get("code", body.get("code")), errors[0].get("message"))
        return body["data"]

    def _track_batch(self, numbers):
        data = self._post("gettrackinfo", [{"number": n} for n in numbers])
        results, unregistered = self._collect(data)
        if unregistered:
            registered, failures = self._register(unregistered)
            results.update(failures)
            if registered:
                again, still_missing = self._collect(self._post("gettrackinfo", [{"number": n} for n in registered]))
                results.update(again)
                for number in still_missing:  # registered, 17TRACK has not fetched the carrier yet
                    results[number] = TrackingResult(number, status=st.PENDING, raw_status="Registered")
                for result in again.values():
                    if result.ok and result.status == st.NOT_FOUND and not result.events:
                        result.status = st.PENDING
        return list(results.values())

    def _collect(self, data):
        """({number: result}, [numbers to register]) from a gettrackinfo answer."""
        results, unregistered = {}, []
        for item in data.get("accepted") or []:
            results[str(item["number"])] = parse_track_info(str(item["number"]), item)
        for item in data.get("rejected") or []:
            number, error = str(item["number"]), item.get("error") or {}
            if error.get("code") == NOT_REGISTERED:
                unregistered.append(number)
            elif error.get("code") == NO_INFO_YET:
                results[number] = TrackingResult(number, status=st.PENDING, raw_status=str(NO_INFO_YET))
            else:
                results[number] = TrackingResult.failure(number, _code_error(error.get("code"), error.get("message")))
        return results, unregistered

    def _register(self, numbers):
        data = self._post("register", [{"number": n} for n in numbers])
        registered = [str(item["number"]) for item in data.get("accepted") or []]
        failures = {}
        for item in data.get("rejected") or []:
            number, error = str(item["number"]), item.get("error") or {}
            if error.get("code") == ALREADY_REGISTERED:
                registered.append(number)
            else:
                failures[number] = TrackingResult.failure(number, _code_error(error.get("code"), error.get("message")))
        return registered, failures

    def _per_number(self, endpoint, numbers):
        """{number: None, or the CarrierError 17TRACK gave} for register/stoptrack/retrack."""
        outcome = {}
        for start in range(0, len(numbers), self.batch_size):
            data = self._post(endpoint, [{"number": n} for n in numbers[start : start + self.batch_size]])
            outcome.update({str(item["number"]): None for item in data.get("accepted") or []})
            for item in data.get("rejected") or []:
                error = item.get("error") or {}
                outcome[str(item["number"])] = _code_error(error.get("code"), error.get("message"))
        return outcome

    def register(self, numbers):
        return self._per_number("register", list(numbers))

    def stop_tracking(self, numbers):
        return self._per_number("stoptrack", list(numbers))

    def retrack(self, numbers):
        return self._per_number("retrack", list(numbers))

    def test_connection(self):
        """``getquota`` checks the key without registering anything (registering costs quota)."""
        self._post("getquota", {})
        return True


def _header(headers, name):
    return next((value for key, value in (headers or {}).items() if key.lower() == name), None)


def verify_webhook(body: bytes, headers: dict, secret: str) -> bool:
    """17TRACK push signature: header ``sign`` == sha256 hex of ``body + "/" + key``."""
    received = _header(headers, "sign")
    if not received or not secret:
        return False
    expected = hashlib.sha256(body + b"/" + secret.encode("utf-8")).hexdigest()
    return hmac.compare_digest(expected, str(received).strip().lower())


def parse_webhook(body: bytes) -> list:
    """TrackingResults of a push; ``TRACKING_STOPPED`` and other events carry no tracking: []."""
    try:
        payload = json.loads(body)
        if payload.get("event") != "TRACKING_UPDATED":
            return []
        data = payload["data"]
        return [parse_track_info(str(data["number"]), data).finalize()]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CarrierError(ERROR_MALFORMED, f"17TRACK: unreadable webhook ({exc.__class__.__name__})") from exc
