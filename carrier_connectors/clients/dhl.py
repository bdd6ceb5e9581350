"""DHL Shipment Tracking - Unified API (``GET /track/shipments``, header ``DHL-API-Key``).

Delivery dates (karrio's DHL Unified schema, public sample ``karrio_dhl_unified_tracking_schema.json``
of karrioapi/karrio,
and DHL's OpenAPI ``TrackingShipment``): ``estimatedTimeOfDelivery`` ("Estimated time of delivery"), else
``estimatedDeliveryTimeFrame.estimatedThrough`` (the end of the estimated frame), else its
``estimatedFrom``. Both are DHL's current estimate: DHL publishes no commitment apart from it, so
``promised_at`` stays None (callers keep the first estimate they saw if they need the original one).

Times: DHL's schema gives ``timestamp`` as "a combination of date and time of day" and documents no time
zone. Values with an offset (``Z``, ``+02:00``) are converted; values without one are taken as UTC, as
DHL's own sample gives the same clock reading with ``Z`` in ``status`` and without it in ``events``.
"""

from . import status as st
from .base import ERROR_NOT_FOUND, BaseClient, CarrierError, TrackingEvent, TrackingResult, to_utc
from .registry import register

# DHL's coarse statusCode; the finer meaning is in the free text, read by _exception_kind.
STATUS_CODES = {
    "pre-transit": st.INFO_RECEIVED,
    "transit": st.IN_TRANSIT,
    "delivered": st.DELIVERED,
    "failure": st.EXCEPTION,
    "unknown": st.UNKNOWN,
}
# Words DHL uses in status/description for the events that matter to a lost-parcel case.
KEYWORDS = [
    ("lost", st.EXCEPTION, "lost"),
    ("missing", st.EXCEPTION, "lost"),
    ("damaged", st.EXCEPTION, "damaged"),
    ("destroyed", st.EXCEPTION, "destroyed"),
    ("returned to sender", st.RETURNED, "returned"),
    ("returned to shipper", st.RETURNED, "returned"),
    ("return to sender", st.RETURNING, "returned"),
    ("being returned", st.RETURNING, "returned"),
    ("customs", None, "customs"),
    ("out for delivery", st.OUT_FOR_DELIVERY, ""),
    ("ready for pick", st.AVAILABLE_FOR_PICKUP, ""),
    ("available for pick", st.AVAILABLE_FOR_PICKUP, ""),
    ("delivery attempt", st.FAILED_ATTEMPT, "delivery_failed"),
    ("could not be delivered", st.FAILED_ATTEMPT, "delivery_failed"),
]


@register
class DhlClient(BaseClient):
    provider = "dhl"
    label = "DHL"
    default_base_url = "https://api-eu.dhl.com"
    public_tracking_url = "https://www.dhl.com/global-en/home/tracking.html?tracking-id=<number>"
    batch_size = 1  # the Unified API takes one number per call
    default_rate_limit = 1.0  # starter tier: 1 call per second
    credential_fields = ("api_key",)

    def _auth_headers(self):
        return {"DHL-API-Key": self.credentials["api_key"], "Accept": "application/json"}

    def _track_batch(self, numbers):
        (number,) = numbers
        response = self._request("GET", "/track/shipments", params={"trackingNumber": number})
        payload = self._json(response)
        if response.status_code == 404:
            raise CarrierError(ERROR_NOT_FOUND, f"DHL: {payload.get('detail') or 'no shipment found'} ({number})")
        shipments = payload["shipments"] if isinstance(payload, dict) else None
        if not shipments:
            raise CarrierError(ERROR_NOT_FOUND, f"DHL: no shipment with tracking number {number}")
        return [self._parse_shipment(number, shipments[0], payload)]

    def _parse_shipment(self, number, shipment, payload):
        result = TrackingResult(number, raw=payload)
        for event in shipment.get("events") or []:
            status, kind = self._normalize(event)
            result.events.append(
                TrackingEvent(
                    occurred_at=to_utc(event["timestamp"]),
                    status=status,
                    raw_code=event.get("statusCode") or "",
                    description=" - ".join(filter(None, [event.get("status"), event.get("description")])),
                    location=self._location(event.get("location")),
                    exception_kind=kind,
                )
            )
        summary = shipment.get("status") or {}
        if summary:
            result.status, result.exception_kind = self._normalize(summary)
            result.raw_status = summary.get("statusCode") or ""
        frame = shipment.get("estimatedDeliveryTimeFrame") or {}
        estimates = [
            ("estimatedTimeOfDelivery", to_utc(shipment.get("estimatedTimeOfDelivery"), strict=False)),
            ("estimatedDeliveryTimeFrame.estimatedThrough", to_utc(frame.get("estimatedThrough"), strict=False)),
            ("estimatedDeliveryTimeFrame.estimatedFrom", to_utc(frame.get("estimatedFrom"), strict=False)),
        ]
        result.set_dates(estimates=estimates)
        pod = (shipment.get("details") or {}).get("proofOfDelivery") or {}
        if result.status == st.DELIVERED:
            result.delivered_at = to_utc(pod.get("timestamp") or summary.get("timestamp"), strict=False)
        return result

    @staticmethod
    def _normalize(event):
        status = STATUS_CODES.get((event.get("statusCode") or "unknown").lower(), st.UNKNOWN)
        # DHL reports "returned to sender" as statusCode "delivered": read the words first.
        text = " ".join(filter(None, [event.get("status"), event.get("description"), event.get("remark")])).lower()
        for keyword, keyword_status, kind in KEYWORDS:
            if keyword in text and not (status == st.DELIVERED and keyword_status is None):
                return keyword_status or status, kind
        return status, "other" if status == st.EXCEPTION else ""

    @staticmethod
    def _location(location):
        address = (location or {}).get("address") or {}
        return ", ".join(
            filter(None, [address.get("addressLocality"), address.get("postalCode"), address.get("countryCode")])
        )
