"""USPS Tracking API v3 (``GET /tracking/v3/tracking/{number}?expand=DETAIL``, OAuth2 client credentials)."""

import re
from datetime import timedelta

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
        response = self._request("GET", f"/tracking/v3/tracking/{number}", params={"expand": "DETAIL"})
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
        result.events.sort(key=lambda e: e.occurred_at)
        latest = result.events[-1] if result.events else None
        result.status, result.exception_kind = self._summary(payload, latest)
        result.raw_status = payload.get("statusCategory") or (latest.raw_code if latest else "")
        result.eta = to_utc(
            payload.get("expectedDeliveryTimeStamp")
            or payload.get("guaranteedDeliveryTimeStamp")
            or payload.get("predictedDeliveryDate")
            or payload.get("expectedDeliveryDate")
        )
        return result

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
    """UTC time of an event: GMTTimestamp, else the local eventTimestamp shifted by GMTOffset."""
    if event.get("GMTTimestamp"):
        return to_utc(event["GMTTimestamp"])
    local = to_utc(event.get("eventTimestamp"))
    if local is None:
        raise CarrierError(ERROR_MALFORMED, "USPS: tracking event without date")
    return local - offset_delta(event.get("GMTOffset"))


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
