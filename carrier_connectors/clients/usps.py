"""USPS Tracking API v3 (``GET /tracking/v3/tracking/{number}?expand=DETAIL``, OAuth2 client credentials).

Delivery dates (vendor OpenAPI ``vendor_usps_tracking_openapi_v3.yaml``, schema ``TrackingDetails``; the
same names inside ``deliveryDateExpectation`` in the newer v3r2 answers are read too):

- promise: ``guaranteedDeliveryTimeStamp`` ("Guaranteed Delivery Date", Global Express), else
  ``expectedDeliveryTimeStamp`` ("The expected delivery date", set from the service standard), else
  ``expectedDeliveryDate`` with ``expectedDeliveryTime`` (the ``TrackingSummary`` names);
- latest estimate: ``predictedDeliveryDate`` with ``predictedDeliveryWindowEndTime`` (USPS's predicted
  delivery and its window, updated as the parcel moves), else the deprecated
  ``predictedDeliveryTimeStamp``; without a prediction the estimate is the promise.

Times: ``GMTTimestamp`` is UTC; ``eventTimestamp`` is local ("the offset of the local time of the event
from GMT" is ``GMTOffset``): used at ``GMTOffset``, else in the zone of the event's place (``eventState``
with ``eventCountry``, a US state when no country is given, as USPS leaves it empty for domestic
events; see ``timezones.zone_for``), else taken as UTC. Delivery dates without offset are local to the
destination (``destinationState``/``destinationCountryCode``), else taken as UTC.
"""

import re
from datetime import datetime, time, timedelta
from urllib.parse import quote

from . import status as st
from .base import (
    ERROR_MALFORMED,
    ERROR_NOT_FOUND,
    BaseClient,
    CarrierError,
    TrackingEvent,
    TrackingResult,
    to_utc,
)
from .registry import register
from .timezones import zone_for

# The summary's statusCategory (USPS.com's progress bar), lower-cased, hyphens as spaces.
CATEGORIES = {
    "pre shipment": st.INFO_RECEIVED,
    "accepted": st.IN_TRANSIT,
    "in transit": st.IN_TRANSIT,
    "out for delivery": st.OUT_FOR_DELIVERY,
    "available for pickup": st.AVAILABLE_FOR_PICKUP,
    "delivery attempt": st.FAILED_ATTEMPT,
    "delivered": st.DELIVERED,
    "alert": st.EXCEPTION,
    "return to sender": st.RETURNING,
}
_MOVING = (st.IN_TRANSIT, "")
_RETURNING = (st.RETURNING, "returned")
_ATTEMPT = (st.FAILED_ATTEMPT, "delivery_failed")
# eventCode → (status, exception kind), from Pub 199 Appendix G-4 (domestic scan events).
EVENT_CODES = {
    "GX": (st.INFO_RECEIVED, ""),  # Shipping label created, USPS awaiting item
    "MA": (st.INFO_RECEIVED, ""),  # Manifest acknowledgement
    "01": (st.DELIVERED, ""),
    "17": (st.DELIVERED, ""),  # Picked up by agent
    "OF": (st.OUT_FOR_DELIVERY, ""),
    "14": (st.AVAILABLE_FOR_PICKUP, ""),  # Arrival at pickup point
    "16": (st.AVAILABLE_FOR_PICKUP, ""),
    "02": _ATTEMPT,  # Notice left
    "30": _ATTEMPT,  # No access to delivery location
    "51": _ATTEMPT,  # Business closed
    "52": _ATTEMPT,
    "53": _ATTEMPT,  # Receptacle blocked
    "54": _ATTEMPT,  # Receptacle full / item oversized
    "55": _ATTEMPT,  # No secure location
    "56": _ATTEMPT,  # No authorized recipient
    "04": (st.EXCEPTION, "delivery_failed"),  # Refused
    "05": (st.EXCEPTION, "address"),  # Undeliverable as addressed
    "09": _RETURNING,  # Return to sender, and its reasons 21-31:
    "21": _RETURNING,  # No such number
    "22": _RETURNING,  # Insufficient address
    "23": _RETURNING,  # Moved, left no address
    "24": _RETURNING,  # Forward expired
    "25": _RETURNING,  # Addressee unknown
    "26": _RETURNING,  # Vacant
    "27": _RETURNING,  # Unclaimed
    "28": _RETURNING,  # Deceased
    "29": _RETURNING,  # Other
    "31": _RETURNING,  # Not picked up
    "44": _RETURNING,  # Customer recall
    "11": (st.EXCEPTION, "lost"),  # Dead letter: sent to the Mail Recovery Center
    "DX": (st.EXCEPTION, "delay"),  # Delivery status not updated
}
# Words in eventType/status that say more than the code (international and alert events).
KEYWORDS = [
    ("original sender", st.RETURNED, "returned"),
    ("returned to sender", st.RETURNED, "returned"),
    ("return to sender", st.RETURNING, "returned"),
    ("mail recovery center", st.EXCEPTION, "lost"),
    ("missing mail", st.EXCEPTION, "lost"),
    ("lost", st.EXCEPTION, "lost"),
    ("damaged", st.EXCEPTION, "damaged"),
    ("destroyed", st.EXCEPTION, "destroyed"),
    ("disposed", st.EXCEPTION, "destroyed"),
    ("held in customs", st.EXCEPTION, "customs"),
    ("customs delay", st.EXCEPTION, "customs"),
    ("refused", st.EXCEPTION, "delivery_failed"),
]
_OFFSET = re.compile(r"^([+-])(\d{1,2}):?(\d{2})$")
_CLOCK = re.compile(r"^(\d{1,2}):?(\d{2})(?::?(\d{2}))?\s*([ap]\.?m\.?)?$", re.IGNORECASE)


@register
class UspsClient(BaseClient):
    provider = "usps"
    label = "USPS"
    default_base_url = "https://apis.usps.com"
    public_tracking_url = "https://tools.usps.com/go/TrackConfirmAction?tLabels=<number>"
    batch_size = 1  # one number per call
    default_rate_limit = 60 / 3600  # new apps get 60 calls per hour
    credential_fields = ("client_id", "client_secret")
    token_path = "/oauth2/v3/token"

    def connection_test_number(self):
        return "9400100000000000000000"

    def _token_request(self):
        # The v3 OAuth endpoint takes JSON (or a form); ask only for the tracking scope.
        return {
            "json": {
                "grant_type": "client_credentials",
                "client_id": self.credentials["client_id"],
                "client_secret": self.credentials["client_secret"],
                "scope": "tracking",
            }
        }

    def _auth_headers(self):
        return {**self._bearer_headers(), "Accept": "application/json"}

    def _track_batch(self, numbers):
        (number,) = numbers
        # Escaped: a "/", "?" or "#" in a number must not change the URL it is sent to.
        path = f"/tracking/v3/tracking/{quote(number, safe='')}"
        response = self._request("GET", path, params={"expand": "DETAIL"})
        payload = self._json(response)
        error = payload.get("error") if isinstance(payload, dict) else None
        if response.status_code == 404 or error:
            detail = error if isinstance(error, dict) else {}
            message = detail.get("message") or str(error or "tracking is not available")
            not_found = response.status_code == 404 or str(detail.get("code")) == "404"
            raise CarrierError(ERROR_NOT_FOUND if not_found else ERROR_MALFORMED, f"USPS: {message} ({number})")
        try:
            return [self._parse_tracking(number, payload)]
        except (LookupError, TypeError, AttributeError) as exc:
            raise CarrierError(ERROR_MALFORMED, f"USPS: malformed tracking answer ({exc.__class__.__name__})") from exc

    def _parse_tracking(self, number, payload):
        if not isinstance(payload, dict) or not isinstance(payload.get("trackingEvents"), list):
            raise CarrierError(ERROR_MALFORMED, "USPS: the answer has no tracking details")
        result = TrackingResult(number, raw=payload)
        for event in payload.get("trackingEvents") or []:
            status, kind = normalize(event.get("eventCode"), event.get("eventType"))
            result.events.append(
                TrackingEvent(
                    occurred_at=event_time(event),
                    status=status,
                    raw_code=event.get("eventCode") or "",
                    description=event.get("eventType") or "",
                    location=_location(event),
                    exception_kind=kind,
                )
            )
        result.events = sorted((e for e in result.events if e.occurred_at), key=lambda e: e.occurred_at)
        latest = result.events[-1] if result.events else None
        result.status, result.exception_kind = self._summary(payload, latest)
        result.raw_status = payload.get("statusCategory") or (latest.raw_code if latest else "")
        self._read_dates(result, payload)
        return result

    @staticmethod
    def _read_dates(result, payload):
        """Promise and latest estimate (see the module doc for the fields and their order)."""
        country = payload.get("destinationCountryCode") or ("US" if payload.get("destinationState") else "")
        zone = zone_for(country, payload.get("destinationState"))
        promises, estimates = [], []
        nested = payload.get("deliveryDateExpectation")
        for prefix, fields in (("deliveryDateExpectation.", nested if isinstance(nested, dict) else {}), ("", payload)):

            def stamp(name, fields=fields, prefix=prefix):
                return (prefix + name, to_utc(fields.get(name), zone, strict=False))

            def day(name, clock=None, fields=fields, prefix=prefix):
                return (prefix + name, day_and_time(fields.get(name), fields.get(clock), zone))

            promises += [stamp("guaranteedDeliveryTimeStamp"), stamp("expectedDeliveryTimeStamp")]
            promises += [day("guaranteedDeliveryDate"), day("expectedDeliveryDate", "expectedDeliveryTime")]
            estimates += [day("predictedDeliveryDate", "predictedDeliveryWindowEndTime")]
            estimates += [stamp("predictedDeliveryTimeStamp")]
        result.set_dates(promises, estimates)
        if result.status in (st.DELIVERED, st.RETURNED):
            result.eta, result.eta_source = None, ""  # arrived: no estimate any more, the promise stays

    @staticmethod
    def _summary(payload, latest):
        """statusCategory is USPS's own summary; the latest event (or the status text) refines it."""
        category = CATEGORIES.get((payload.get("statusCategory") or "").lower().replace("-", " ").strip())
        status, kind = (latest.status, latest.exception_kind) if latest else (st.UNKNOWN, "")
        text_status, text_kind = normalize("", payload.get("status"))
        if text_kind:
            status, kind = text_status, text_kind
        if category is None or status in (st.RETURNED, st.RETURNING) or (kind and category != st.DELIVERED):
            return status, kind
        if category == st.EXCEPTION:
            return st.EXCEPTION, "other"
        return category, "delivery_failed" if category == st.FAILED_ATTEMPT else ""


def normalize(code, text):
    """(status, exception kind) of an event from its code, refined by its words."""
    status, kind = EVENT_CODES.get((code or "").upper(), _MOVING if code else (st.UNKNOWN, ""))
    words = (text or "").lower()
    for keyword, keyword_status, keyword_kind in KEYWORDS:
        if keyword in words:
            if keyword_status == st.RETURNED and status != st.DELIVERED:
                continue  # "to original sender" is a return only once it is delivered
            return keyword_status, keyword_kind
    return status, kind


def event_time(event):
    """UTC time of an event (None for a placeholder date): GMTTimestamp, else the local eventTimestamp
    at GMTOffset, else in the zone of the event's place, else taken as UTC."""
    if event.get("GMTTimestamp"):
        return to_utc(event["GMTTimestamp"])
    if not event.get("eventTimestamp"):
        raise CarrierError(ERROR_MALFORMED, "USPS: tracking event without date")
    if _OFFSET.match((event.get("GMTOffset") or "").strip()):
        local = to_utc(event["eventTimestamp"])
        return local - offset_delta(event["GMTOffset"]) if local else None
    country = event.get("eventCountry") or ("US" if event.get("eventState") else "")
    return to_utc(event["eventTimestamp"], zone_for(country, event.get("eventState")))


def day_and_time(day, clock, zone):
    """A USPS date ("2019-08-24") with an optional local time of day ("18:00:00", "6:00 pm") as naive
    UTC; the date alone stays that calendar day. None when missing, a placeholder or unreadable."""
    date_only = to_utc(str(day)[:10], strict=False) if day else None
    parsed = _clock(clock)
    if date_only is None or parsed is None:
        return date_only
    return to_utc(datetime.combine(date_only.date(), parsed), zone, strict=False)


def _clock(text):
    match = _CLOCK.match(str(text or "").strip())
    if not match:
        return None
    hours, minutes, seconds, meridiem = match.groups()
    hours = int(hours) % 12 + (12 if meridiem and meridiem.lower().startswith("p") else 0) if meridiem else int(hours)
    try:
        return time(hours, int(minutes), int(seconds or 0))
    except ValueError:
        return None


def offset_delta(offset):
    """'-05:00' or '-7:00' → timedelta; none or unreadable → 0 (time taken as UTC)."""
    match = _OFFSET.match((offset or "").strip())
    if not match:
        return timedelta(0)
    sign, hours, minutes = match.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    return -delta if sign == "-" else delta


def _location(event):
    region = " ".join(filter(None, [event.get("eventState"), event.get("eventZIP")]))
    return ", ".join(filter(None, [event.get("eventCity"), region, event.get("eventCountry")]))
