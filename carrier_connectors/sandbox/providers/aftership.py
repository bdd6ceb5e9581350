"""AfterShip Tracking API 2024-04 (header ``as-api-key``), tracking objects shaped like
public samples (trendhim/aftership-sdk-go @ abd0634, ``trackings_test.go``; copies in ``tests/fixtures/``).

A number is known to the account unless it contains ``UNREG`` (known once created with ``POST``) or is a
not-found number (``POST`` refuses it: 4012 BAD_COURIER). Like AfterShip, the list only returns trackings
created after ``created_at_min`` (default: 30 days ago); a tracking is created with its first event.
Creations live on the sandbox state and survive ``reset()``: tests use distinct numbers.

Delivery dates as the 2024-04 tracking object has them (AfterShip's SDK models for 2024-04 and later):
``first_estimated_delivery`` (the original estimate: the promise), ``latest_estimated_delivery``
(the latest), ``courier_estimated_delivery_date`` (the carrier's own) and ``expected_delivery``; all EDDs
in the recipient's time zone, with or without offset. ``no_promise`` gives ``first_estimated_delivery``
alone; ``zero_date`` the placeholder ``0001-01-01``.
"""

import base64
import hashlib
import hmac
import json
import math
import time
import uuid
from datetime import datetime, timedelta, timezone

from .. import scenarios as sc
from ..core import CREDENTIALS, Response, generic_fault, route

API = "/tracking/2024-04"
ISO3 = {"CN": "CHN", "DE": "DEU", "NL": "NLD"}
# Generic event -> (tag, subtag, subtag_message, checkpoint message)
CHECKPOINTS = {
    sc.INFO: ("InfoReceived", "InfoReceived_001", "Info Received", "Shipment information sent to the carrier"),
    sc.PICKED_UP: ("InTransit", "InTransit_002", "Acceptance scan", "Picked up"),
    sc.TRANSIT: ("InTransit", "InTransit_007", "Departure Scan", "Departed from the hub"),
    sc.CUSTOMS: ("Exception", "Exception_004", "Delayed (Customs clearance)", "Held by customs"),
    sc.OUT_FOR_DELIVERY: ("OutForDelivery", "OutForDelivery_001", "Out for Delivery", "Out for delivery"),
    sc.PICKUP_POINT: ("AvailableForPickup", "AvailableForPickup_001", "Available for Pickup", "Ready for pickup"),
    sc.FAILED_ATTEMPT: ("AttemptFail", "AttemptFail_001", "Failed Attempt", "Recipient not at home"),
    sc.DELIVERED: ("Delivered", "Delivered_001", "Delivered", "Delivered"),
    sc.LOST: ("Exception", "Exception_013", "Shipment lost", "The shipment is lost"),
    sc.DAMAGED: ("Exception", "Exception_012", "Shipment damage", "The shipment is damaged"),
    sc.DESTROYED: ("Exception", "Exception_001", "Exception", "The shipment was destroyed"),
    sc.RETURNING: ("Exception", "Exception_010", "Returning to sender", "Returning to sender"),
    sc.RETURNED: ("Exception", "Exception_011", "Returned to sender", "Returned to sender"),
}


def _stamp(when):
    return when.isoformat() + "+00:00"


def _checkpoint(when, step):
    tag, subtag, subtag_message, message = CHECKPOINTS[step.code]
    local, offset = sc.local_time(when, step.country)
    return {
        "slug": "4px",
        "city": step.city,
        "created_at": _stamp(when),
        "location": None,
        "country_name": None,
        "message": message,
        "country_iso3": ISO3.get(step.country),
        "tag": tag,
        "subtag": subtag,
        "subtag_message": subtag_message,
        "checkpoint_time": local.isoformat() + offset,
        "coordinates": [],
        "state": None,
        "zip": None,
        "raw_tag": subtag,
    }


def _edd(when):
    """An EDD object: the recipient's local time, without offset (one of the formats AfterShip documents)."""
    local, _offset = sc.local_time(when, sc.DESTINATION_COUNTRY)
    return {"type": "specific", "source": "Carrier EDD", "datetime": local.isoformat(), "datetime_max": None}


def _delivery_dates(tracking):
    if tracking is None or tracking.delivered:
        return {}
    if tracking.placeholder_dates:
        zero = {"type": "specific", "source": "Carrier EDD", "datetime": sc.PLACEHOLDER_DATE}
        return {"first_estimated_delivery": zero, "latest_estimated_delivery": dict(zero)}
    fields = {}
    if tracking.promised:
        fields["first_estimated_delivery"] = _edd(tracking.promised)
    if tracking.eta:
        fields["latest_estimated_delivery"] = _edd(tracking.eta)
        fields["courier_estimated_delivery_date"] = {
            "estimated_delivery_date": tracking.eta.isoformat() + "+00:00",
            "estimated_delivery_date_min": None,
            "estimated_delivery_date_max": None,
        }
    return fields


def tracking_object(number, tracking, created_at=None):
    """A 2024-04 tracking object; ``tracking`` None gives the Pending object of a fresh creation."""
    checkpoints = [_checkpoint(when, step) for when, step in tracking.listed(newest_first=False)] if tracking else []
    last = _checkpoint(*tracking.events[-1]) if tracking and tracking.events else None
    created = created_at or (tracking.events[0][0] if tracking else datetime.utcnow().replace(microsecond=0))
    delivered = tracking.events[-1][0] if tracking and tracking.delivered else None
    return {
        "id": uuid.uuid5(uuid.NAMESPACE_OID, number).hex[:24],
        "created_at": _stamp(created),
        "updated_at": _stamp(tracking.events[-1][0] if tracking else created),
        "tracking_number": number,
        "slug": "4px",
        "active": not (delivered or (last and last["subtag"] == "Exception_011")),
        "transit_time": (delivered - tracking.events[0][0]).days if delivered else None,
        "origin_country_iso3": "CHN",
        "destination_country_iso3": "NLD",
        "expected_delivery": None,
        "shipment_pickup_date": None,
        "shipment_delivery_date": delivered.isoformat() if delivered else None,
        "tag": last["tag"] if last else "Pending",
        "subtag": last["subtag"] if last else "Pending_001",
        "subtag_message": last["subtag_message"] if last else "Pending",
        "title": number,
        "checkpoints": checkpoints,
        "return_to_sender": bool(last and last["subtag"] in ("Exception_010", "Exception_011")),
        "aftership_estimated_delivery_date": None,
        "first_estimated_delivery": None,
        "latest_estimated_delivery": None,
        "courier_estimated_delivery_date": None,
        "courier_tracking_link": f"https://track.4px.com/#/result/0/{number}",
        "destination_state": None,
        "destination_city": "Amsterdam",
        **_delivery_dates(tracking),
    }


def _meta(status, code, message, kind, headers=None):
    return Response(status, {"meta": {"code": code, "message": message, "type": kind}, "data": {}}, headers or {})


def _created(state):
    with state.lock:
        return state.__dict__.setdefault("aftership_created", set())


def _known(state, number):
    if state.scenario(number) == sc.NOT_FOUND:
        return False
    return "UNREG" not in number.upper() or number in _created(state)


def _guard(request, state, numbers):
    if request.header("as-api-key") != CREDENTIALS["api_key"]:
        return _meta(401, 401, "Invalid API key.", "Unauthorized")
    fault = state.fault(numbers)
    if fault == sc.RATE_LIMITED:
        headers = {"X-RateLimit-Reset": str(math.ceil(time.time()) + 1), "X-RateLimit-Limit": "10"}
        headers["X-RateLimit-Remaining"] = "0"
        message = "You have exceeded the API call rate limit. The default limit is 10 requests per second."
        return _meta(429, 429, message, "TooManyRequests", headers)
    if fault == sc.SERVER_ERROR:
        return _meta(500, 500, "Something went wrong on AfterShip's end.", "InternalError")
    if fault == sc.TIMEOUT:
        state.wait_for_timeout()
    if fault == sc.MALFORMED:
        return Response(200, "<html><body>Service Unavailable</body></html>", content_type="text/html")
    return generic_fault(fault)


@route("aftership", "GET", rf"{API}/trackings")
def get_trackings(request, state):
    numbers = [n for n in (request.arg("tracking_numbers") or "").split(",") if n]
    if len(numbers) > 50:
        return _meta(400, 4008, "The value of tracking_numbers is invalid.", "BadRequest")
    error = _guard(request, state, numbers)
    if error:
        return error
    try:
        since = datetime.fromisoformat(request.arg("created_at_min") or _stamp(datetime.utcnow() - timedelta(days=30)))
    except ValueError:
        return _meta(400, 4008, "The value of created_at_min is invalid.", "BadRequest")
    since = since.astimezone(timezone.utc).replace(tzinfo=None)
    trackings = []
    for number in numbers:
        if not _known(state, number):
            continue
        tracking = state.tracking(number)
        if tracking.events[0][0] >= since:
            trackings.append(tracking_object(number, tracking))
    limit = int(request.arg("limit") or 100)
    data = {"page": 1, "limit": limit, "count": len(trackings), "keyword": "", "slug": "", "tag": "", "fields": ""}
    data.update(created_at_min=_stamp(since), created_at_max=_stamp(datetime.utcnow().replace(microsecond=0)))
    data["trackings"] = trackings[:limit]
    return Response(200, {"meta": {"code": 200, "message": "", "type": "OK"}, "data": data})


@route("aftership", "POST", rf"{API}/trackings")
def create_tracking(request, state):
    try:
        number = str(request.json()["tracking"]["tracking_number"])
    except (ValueError, KeyError, TypeError):
        return _meta(400, 4007, "tracking_number is required.", "BadRequest")
    error = _guard(request, state, [number])
    if error:
        return error
    if state.scenario(number) == sc.NOT_FOUND:
        message = "Unable to import shipment as we don't recognize the carrier from this tracking number."
        return _meta(400, 4012, message, "BadRequest")
    if _known(state, number):
        return _meta(400, 4003, "Tracking already exists.", "BadRequest")
    _created(state).add(number)
    body = {
        "meta": {"code": 201, "message": "", "type": "Created"},
        "data": {"tracking": tracking_object(number, None)},
    }
    return Response(201, body)


@route("aftership", "GET", rf"{API}/couriers")
def couriers(request, state):
    if request.header("as-api-key") != CREDENTIALS["api_key"]:
        return _meta(401, 401, "Invalid API key.", "Unauthorized")
    courier = {"slug": "4px", "name": "4PX", "web_url": "http://www.4px.com", "required_fields": []}
    return Response(
        200, {"meta": {"code": 200, "message": "", "type": "OK"}, "data": {"total": 1, "couriers": [courier]}}
    )


def signed_webhook(state_or_none, number, secret):
    """(body bytes, headers) of a ``tracking_update`` push for a scenario number, signed with ``secret``."""
    if state_or_none is not None:
        tracking = state_or_none.tracking(number)
    else:
        scenario = sc.scenario_from_number(number)
        known = scenario if scenario in sc.TIMELINES else "in_transit"
        tracking = None if scenario == sc.NOT_FOUND else sc.build_tracking(number, known)
    payload = {
        "event": "tracking_update",
        "event_id": str(uuid.uuid4()),
        "is_tracking_first_tag": False,
        "msg": tracking_object(number, tracking),
        "ts": int(time.time()),
    }
    body = json.dumps(payload).encode()
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return body, {"Content-Type": "application/json", "aftership-hmac-sha256": base64.b64encode(digest).decode()}
