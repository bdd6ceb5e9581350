"""AfterShip Tracking API 2024-04 (header ``as-api-key``), base ``/tracking/2024-04``.

Polling: ``GET /trackings?tracking_numbers=a,b,...`` (up to 50 numbers per call) answers
``data.trackings[]``; a number AfterShip does not know yet is created with ``POST /trackings``
(``{"tracking": {"tracking_number": ...}}``, answer ``data.tracking``) and reported as pending.
Differences from the public v4 samples (trendhim/aftership-sdk-go, copies in tests/fixtures/) that
matter here: the list only covers trackings
created in the last 30 days unless ``created_at_min`` is given (AfterShip keeps 120 days), ``delivery_time``
became ``transit_time``, and estimates come in ``latest_estimated_delivery``/``first_estimated_delivery``
besides ``expected_delivery`` and ``aftership_estimated_delivery_date``. Webhooks post
``{"event": "tracking_update", "msg": {...tracking...}}`` signed with header ``aftership-hmac-sha256``.

Delivery dates (AfterShip's tracking object, as in its generated SDK models ``Tracking`` for 2024-04 and
later; EDD objects have ``datetime``/``datetime_min``/``datetime_max`` or ``estimated_delivery_date``/
``_min``/``_max``):

- promise: ``first_estimated_delivery`` ("the shipment's original estimated delivery date", from the
  carrier, AfterShip AI or custom settings); ``order_promised_delivery_date`` is the merchant's promise,
  not the carrier's, and is not read;
- latest estimate: ``latest_estimated_delivery`` ("the most recently calculated"), else
  ``courier_estimated_delivery_date`` (the carrier's own, 2024-07 and later), ``expected_delivery``,
  ``aftership_estimated_delivery_date``, ``custom_estimated_delivery_date``.
  Each EDD object: its exact date, else the end of its range.

Times: "All EDDs use the shipment recipient's timezone" (with or without offset): one without offset
is read in the zone of ``destination_country_iso3`` (``destination_country_region`` in later versions)
and ``destination_state``; ``checkpoint_time`` "uses the timezone of the checkpoint": one without offset
is read in the zone of the checkpoint's ``country_iso3``/``country_region`` and ``state``; either is
taken as UTC when the zone cannot be determined (``timezones.zone_for``). ``shipment_delivery_date`` is
documented in the recipient's zone, but the samples give it in UTC (it equals ``first_attempted_at``
``+09:00`` shifted to UTC for a Japanese recipient): it is read as UTC, like the samples.
"""

import base64
import hashlib
import hmac
import json
import time
from datetime import datetime, timedelta, timezone

from . import status as st
from .base import (
    ERROR_CONFIG,
    ERROR_MALFORMED,
    ERROR_NOT_FOUND,
    ERROR_RATE_LIMITED,
    BaseClient,
    CarrierError,
    TrackingEvent,
    TrackingResult,
    normalize_tracking_number,
    to_utc,
)
from .registry import register
from .timezones import zone_for

API = "/tracking/2024-04"
KEEP_DAYS = 120  # AfterShip keeps trackings 120 days; the list defaults to the last 30 without created_at_min
# meta codes meaning the number itself cannot be tracked (create refused).
UNTRACKABLE = {4005: "invalid tracking number", 4012: "carrier not recognised", 4017: "invalid number format"}

TAGS = {
    "Pending": (st.PENDING, ""),
    "InfoReceived": (st.INFO_RECEIVED, ""),
    "InTransit": (st.IN_TRANSIT, ""),
    "OutForDelivery": (st.OUT_FOR_DELIVERY, ""),
    "AttemptFail": (st.FAILED_ATTEMPT, "delivery_failed"),
    "Delivered": (st.DELIVERED, ""),
    "AvailableForPickup": (st.AVAILABLE_FOR_PICKUP, ""),
    "Exception": (st.EXCEPTION, "other"),
    "Expired": (st.EXPIRED, ""),
}
# AfterShip exception subtags (delivery status reference).
SUBTAGS = {
    "Exception_002": (st.EXCEPTION, "address"),  # customer moved
    "Exception_003": (st.EXCEPTION, "delivery_failed"),  # customer refused delivery
    "Exception_004": (st.EXCEPTION, "customs"),  # delayed (customs clearance)
    "Exception_005": (st.EXCEPTION, "delay"),  # delayed (external factors)
    "Exception_006": (st.EXCEPTION, "customs"),  # held for payment (duties and taxes)
    "Exception_007": (st.EXCEPTION, "address"),  # incorrect address
    "Exception_010": (st.RETURNING, "returned"),  # returning to sender
    "Exception_011": (st.RETURNED, "returned"),  # returned to sender
    "Exception_012": (st.EXCEPTION, "damaged"),  # shipment damage
    "Exception_013": (st.EXCEPTION, "lost"),  # shipment lost
}
# Words refining a generic exception (Exception_001, 008, 009) from the checkpoint message.
KEYWORDS = [("lost", "lost"), ("damage", "damaged"), ("destroyed", "destroyed"), ("customs", "customs")]


def normalize(tag, subtag="", text=""):
    if subtag in SUBTAGS:
        return SUBTAGS[subtag]
    status, kind = TAGS.get(tag or (subtag or "").split("_")[0], (st.UNKNOWN, ""))
    if status == st.EXCEPTION:
        lowered = (text or "").lower()
        kind = next((word_kind for word, word_kind in KEYWORDS if word in lowered), kind)
    return status, kind


def _location(checkpoint):
    if checkpoint.get("location"):
        return checkpoint["location"]
    country = checkpoint.get("country_region") or checkpoint.get("country_iso3")
    return ", ".join(filter(None, [checkpoint.get("city"), checkpoint.get("state"), checkpoint.get("zip"), country]))


def _edd(tracking, name, zone):
    """(source field, naive UTC) of one EDD object of a tracking: its exact date, else its range's end."""
    edd = tracking.get(name)
    if isinstance(edd, str):  # expected_delivery is a plain date-time string
        return (name, to_utc(edd, zone, strict=False))
    edd = edd if isinstance(edd, dict) else {}
    for key in ("datetime", "estimated_delivery_date", "datetime_max", "estimated_delivery_date_max"):
        if edd.get(key):
            return (f"{name}.{key}", to_utc(edd[key], zone, strict=False))
    return (name, None)


def _set_dates(result, tracking):
    zone = zone_for(
        tracking.get("destination_country_iso3") or tracking.get("destination_country_region"),
        tracking.get("destination_state"),
    )
    estimates = [
        "latest_estimated_delivery",
        "courier_estimated_delivery_date",
        "expected_delivery",
        "aftership_estimated_delivery_date",
        "custom_estimated_delivery_date",
    ]
    result.set_dates(
        [_edd(tracking, "first_estimated_delivery", zone)], [_edd(tracking, name, zone) for name in estimates]
    )


def _checkpoint_zone(checkpoint):
    return zone_for(checkpoint.get("country_iso3") or checkpoint.get("country_region"), checkpoint.get("state"))


def parse_tracking(number, tracking):
    """A TrackingResult from one tracking object (list entry, create answer or webhook ``msg``)."""
    result = TrackingResult(number, raw=tracking)
    for checkpoint in tracking.get("checkpoints") or []:
        status, kind = normalize(checkpoint.get("tag"), checkpoint.get("subtag"), checkpoint.get("message"))
        result.events.append(
            TrackingEvent(
                occurred_at=to_utc(checkpoint["checkpoint_time"], _checkpoint_zone(checkpoint)),
                status=status if status != st.UNKNOWN else st.IN_TRANSIT,
                raw_code=checkpoint.get("subtag") or checkpoint.get("tag") or "",
                description=checkpoint.get("message") or "",
                location=_location(checkpoint),
                exception_kind=kind,
            )
        )
    if tracking.get("tag"):
        dated = [e for e in result.events if e.occurred_at]
        last = max(dated, key=lambda e: e.occurred_at).description if dated else ""
        result.status, result.exception_kind = normalize(tracking["tag"], tracking.get("subtag"), last)
        result.raw_status = tracking.get("subtag") or tracking["tag"]
    _set_dates(result, tracking)
    if result.status == st.DELIVERED:
        # shipment_delivery_date is given without offset, in UTC (cf. first_attempted_at in the samples).
        result.delivered_at = to_utc(tracking.get("shipment_delivery_date"), strict=False)
    return result


@register
class AfterShipClient(BaseClient):
    provider = "aftership"
    label = "AfterShip"
    default_base_url = "https://api.aftership.com"
    public_tracking_url = "https://track.aftership.com/trackings?tracking-numbers=<number>"
    batch_size = 50  # tracking_numbers accepts up to 50 numbers
    default_rate_limit = 10.0  # AfterShip's default: 10 requests per second
    credential_fields = ("api_key",)

    def _auth_headers(self):
        return {"as-api-key": self.credentials["api_key"], "Content-Type": "application/json"}

    def _error_from_response(self, response, auth_request=False):
        error = super()._error_from_response(response, auth_request)
        try:
            meta = response.json().get("meta") or {}
        except (ValueError, AttributeError):
            meta = {}
        error.meta_code, error.meta_message = meta.get("code"), meta.get("message") or ""
        reset = response.headers.get("X-RateLimit-Reset")
        if error.kind == ERROR_RATE_LIMITED and error.retry_after is None and reset and reset.isdigit():
            # AfterShip gives the end of the rate-limit window (epoch seconds) instead of Retry-After.
            error.retry_after = max(0.0, int(reset) - time.time())
        return error

    def _track_batch(self, numbers):
        since = datetime.now(timezone.utc) - timedelta(days=KEEP_DAYS)
        params = {
            "tracking_numbers": ",".join(numbers),
            "limit": 200,
            "created_at_min": since.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
        }
        response = self._request("GET", f"{API}/trackings", params=params)
        if response.status_code == 404:
            raise CarrierError(ERROR_CONFIG, f"AfterShip: no endpoint {API}/trackings at {self.base_url}")
        payload = self._json(response)
        found = {}
        for tracking in payload["data"]["trackings"]:
            # Matched in normalized form: AfterShip may store a number in its own spelling.
            number = normalize_tracking_number(str(tracking["tracking_number"]))
            # A number tracked with several couriers: keep the most recently updated tracking.
            if number not in found or (tracking.get("updated_at") or "") > (found[number].get("updated_at") or ""):
                found[number] = tracking
        asked = {number: found.get(normalize_tracking_number(number)) for number in numbers}
        results = [parse_tracking(number, tracking) for number, tracking in asked.items() if tracking]
        results += [self._create(number) for number, tracking in asked.items() if not tracking]
        return results

    def _create(self, number):
        """Start tracking an unknown number; AfterShip answers a Pending tracking."""
        try:
            response = self._request(
                "POST", f"{API}/trackings", data=json.dumps({"tracking": {"tracking_number": number}})
            )
        except CarrierError as exc:
            meta = getattr(exc, "meta_code", None)
            if meta in UNTRACKABLE:
                detail = getattr(exc, "meta_message", "")
                exc = CarrierError(ERROR_NOT_FOUND, f"AfterShip: {UNTRACKABLE[meta]} ({number}): {detail}")
            elif meta == 4003:
                exc = CarrierError(ERROR_NOT_FOUND, f"AfterShip: {number} exists but is older than {KEEP_DAYS} days")
            return TrackingResult.failure(number, exc)
        payload = self._json(response)
        return parse_tracking(number, payload["data"]["tracking"])

    def test_connection(self):
        """List the account's couriers: checks the key without creating a tracking."""
        self._json(self._request("GET", f"{API}/couriers"))
        return True


def _header(headers, name):
    return next((value for key, value in (headers or {}).items() if key.lower() == name), None)


def verify_webhook(body: bytes, headers: dict, secret: str) -> bool:
    """AfterShip: header ``aftership-hmac-sha256`` == base64 HMAC-SHA256 of the raw body with the secret."""
    received = _header(headers, "aftership-hmac-sha256")
    if not received or not secret:
        return False
    expected = base64.b64encode(hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()).decode("ascii")
    return hmac.compare_digest(expected, str(received).strip())


def parse_webhook(body: bytes) -> list:
    """TrackingResults of a push (``tracking_update``); other events: []."""
    try:
        payload = json.loads(body)
        if payload.get("event") != "tracking_update":
            return []
        tracking = payload["msg"]
        return [parse_tracking(str(tracking["tracking_number"]), tracking).finalize()]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CarrierError(ERROR_MALFORMED, f"AfterShip: unreadable webhook ({exc.__class__.__name__})") from exc
