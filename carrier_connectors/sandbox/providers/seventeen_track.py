"""17TRACK API v2.2 (header ``17token``), shaped like a public sample of its
TRACKING_UPDATED push (agritheory/shipstation_integration @ 12b9530; a copy in ``tests/fixtures/``).

Every number counts as registered except those containing ``UNREG`` (registered by ``/register``) and
not-found numbers (``/register`` refuses them: carrier cannot be detected). Registrations live on the
sandbox state and survive ``reset()``: tests use distinct numbers. ``signed_webhook`` builds a real push.

Delivery dates: ``track_info.time_metrics.estimated_delivery_date`` (``source``, ``from``, ``to``), the only
date 17TRACK gives (its latest estimate, the carrier's "Official" one or 17TRACK's own). ``no_promise``
fills ``from`` alone; ``zero_date`` gives the placeholder ``0001-01-01``.
"""

import hashlib
import json

from .. import scenarios as sc
from ..core import CREDENTIALS, Response, generic_fault, route

API = "/track/v2.2"
MESSAGES = {
    -18010002: "Access token is invalid.",
    -18010003: "Internal service error, please retry later.",
    -18010013: "Submitted data is invalid.",
    -18010014: "Request limit exceeded.",
    -18019901: "The tracking number '{0}' has been registered, don't need to repeat registration.",
    -18019902: "The tracking number '{0}' does not register, please register first.",
    -18019903: "Carrier cannot be detected.",
    -18019904: "Retrack is not allowed. You can only retrack stopped number.",
    -18019906: "Stop tracking is not allowed. You can only stop numbers that are being tracked.",
}
# Generic event -> (milestone stage, sub_status, description)
EVENTS = {
    sc.INFO: ("InfoReceived", "InfoReceived", "Shipper created a label, the carrier has not received the package yet."),
    sc.PICKED_UP: ("PickedUp", "InTransit_PickedUp", "Picked up by the carrier"),
    sc.TRANSIT: ("Departure", "InTransit_Other", "Departed from the hub"),
    sc.CUSTOMS: (None, "Exception_Security", "Held by customs"),
    sc.OUT_FOR_DELIVERY: ("OutForDelivery", "OutForDelivery_Other", "Out For Delivery Today"),
    sc.PICKUP_POINT: ("AvailableForPickup", "AvailableForPickup_Other", "Ready for pickup at the service point"),
    sc.FAILED_ATTEMPT: (None, "DeliveryFailure_NoBody", "Delivery attempted, recipient not at home"),
    sc.DELIVERED: ("Delivered", "Delivered_Other", "DELIVERED"),
    sc.LOST: (None, "Exception_Lost", "The item is lost"),
    sc.DAMAGED: (None, "Exception_Damage", "The item is damaged"),
    sc.DESTROYED: (None, "Exception_Destroyed", "The item was destroyed"),
    sc.RETURNING: ("Returning", "Exception_Returning", "Returning to sender"),
    sc.RETURNED: ("Returned", "Exception_Returned", "Returned to sender"),
}
STAGES = [
    "InfoReceived",
    "PickedUp",
    "Departure",
    "Arrival",
    "AvailableForPickup",
    "OutForDelivery",
    "Delivered",
    "Returning",
    "Returned",
]


def _sets(state):
    with state.lock:
        return state.__dict__.setdefault("seventeen_track", {"registered": set(), "stopped": set()})


def _registered(state, number):
    return "UNREG" not in number.upper() or number in _sets(state)["registered"]


def _times(when, country):
    local, offset = sc.local_time(when, country)
    return {"time_iso": local.isoformat() + offset, "time_utc": when.isoformat() + "Z"}


def _estimate(tracking):
    empty = {"source": None, "from": None, "to": None}
    if not tracking or tracking.delivered:
        return empty
    if tracking.placeholder_dates:
        return {"source": "Official", "from": f"{sc.PLACEHOLDER_DATE}T00:00:00+08:00", "to": None}
    estimate = tracking.eta or tracking.promised
    if not estimate:
        return empty
    end = _times(estimate, sc.DESTINATION_COUNTRY)["time_iso"]
    start = _times(estimate.replace(hour=8), sc.DESTINATION_COUNTRY)["time_iso"]
    if tracking.scenario in sc.NO_ESTIMATE:
        return {"source": "Official", "from": end, "to": None}
    return {"source": "Official", "from": start, "to": end}


def _event(when, step):
    stage, sub_status, description = EVENTS[step.code]
    address = {"country": step.country, "state": None, "city": step.city, "street": None, "postal_code": None}
    return {
        **_times(when, step.country),
        "time_raw": {"date": None, "time": None, "timezone": None},
        "description": description,
        "location": f"{step.city}, {step.country}",
        "stage": stage,
        "sub_status": sub_status,
        "address": address,
    }


def track_info(tracking):
    """``track_info`` for a sandbox timeline (None: a registered number the carrier does not know)."""
    events = [_event(when, step) for when, step in tracking.listed()] if tracking else []
    latest = events[0] if events else None
    sub_status = latest["sub_status"] if latest else "NotFound_Other"
    stamps = {}
    for event in events:
        stamps.setdefault(event["stage"], event)
    milestone = [
        {"key_stage": stage, **{k: (stamps.get(stage) or {}).get(k) for k in ("time_iso", "time_utc")}}
        for stage in STAGES
    ]
    return {
        "shipping_info": {"shipper_address": {"country": "CN"}, "recipient_address": {"country": "NL"}},
        "latest_status": {"status": sub_status.split("_")[0], "sub_status": sub_status, "sub_status_descr": None},
        "latest_event": latest,
        "time_metrics": {"days_after_order": None, "estimated_delivery_date": _estimate(tracking)},
        "milestone": milestone,
        "misc_info": {"service_type": "Standard"},
        "tracking": {
            "providers_hash": 1,
            "providers": [
                {
                    "provider": {"key": 190094, "name": "4PX", "alias": "4PX", "homepage": "http://www.4px.com/"},
                    "latest_sync_status": "Success",
                    "events": events,
                }
            ],
        },
    }


def _entry(number, tracking):
    return {"number": number, "carrier": 190094, "param": None, "tag": "", "track_info": track_info(tracking)}


def _error(code, number=""):
    return {"code": code, "message": MESSAGES.get(code, "Error").format(number)}


def _global(status, code):
    return Response(status, {"code": code, "data": {"errors": [_error(code)]}})


def _guard(request, state):
    """(numbers, None) or (None, an error Response): key, body shape, faults."""
    if request.header("17token") != CREDENTIALS["api_key"]:
        return None, _global(401, -18010002)
    try:
        items = request.json()
        numbers = [str(item["number"]) for item in items] if isinstance(items, list) else []
    except (ValueError, KeyError, TypeError):
        return None, _global(200, -18010013)
    if len(numbers) > 40:
        return None, _global(200, -18010013)
    fault = state.fault(numbers)
    if fault == sc.RATE_LIMITED:
        return None, Response(429, {"code": -18010014, "data": {"errors": [_error(-18010014)]}}, {"Retry-After": "1"})
    if fault == sc.SERVER_ERROR:
        return None, _global(500, -18010003)
    if fault == sc.TIMEOUT:
        state.wait_for_timeout()
    if fault == sc.MALFORMED:
        return None, Response(200, "<html><body>Bad gateway</body></html>", content_type="text/html")
    if fault in sc.GENERIC_FAULTS:
        return None, generic_fault(fault)
    return numbers, None


def _answer(accepted, rejected):
    return Response(200, {"code": 0, "data": {"accepted": accepted, "rejected": rejected}})


@route("seventeen_track", "POST", rf"{API}/register")
def register(request, state):
    numbers, error = _guard(request, state)
    if error:
        return error
    accepted, rejected = [], []
    for number in numbers:
        if state.scenario(number) == sc.NOT_FOUND:
            rejected.append({"number": number, "error": _error(-18019903, number)})
        elif _registered(state, number):
            rejected.append({"number": number, "error": _error(-18019901, number)})
        else:
            _sets(state)["registered"].add(number)
            accepted.append({"origin": 1, "number": number, "carrier": 190094})
    return _answer(accepted, rejected)


@route("seventeen_track", "POST", rf"{API}/gettrackinfo")
def gettrackinfo(request, state):
    numbers, error = _guard(request, state)
    if error:
        return error
    accepted, rejected = [], []
    for number in numbers:
        if state.scenario(number) == sc.NOT_FOUND or not _registered(state, number):
            rejected.append({"number": number, "error": _error(-18019902, number)})
        else:
            accepted.append(_entry(number, state.tracking(number)))
    return _answer(accepted, rejected)


@route("seventeen_track", "POST", rf"{API}/(?P<action>stoptrack|retrack)")
def stop_or_retrack(request, state, action):
    numbers, error = _guard(request, state)
    if error:
        return error
    stopped = _sets(state)["stopped"]
    accepted, rejected = [], []
    for number in numbers:
        allowed = _registered(state, number) and ((number in stopped) == (action == "retrack"))
        if not allowed:
            rejected.append({"number": number, "error": _error(-18019904 if action == "retrack" else -18019906)})
            continue
        (stopped.discard if action == "retrack" else stopped.add)(number)
        accepted.append({"number": number, "carrier": 190094})
    return _answer(accepted, rejected)


@route("seventeen_track", "POST", rf"{API}/getquota")
def getquota(request, state):
    if request.header("17token") != CREDENTIALS["api_key"]:
        return _global(401, -18010002)
    used = len(_sets(state)["registered"])
    data = {"quota_total": 1000, "quota_used": used, "quota_remain": 1000 - used, "today_used": used}
    return Response(200, {"code": 0, "data": data})


def signed_webhook(state_or_none, number, secret):
    """(body bytes, headers) of a TRACKING_UPDATED push for a scenario number, signed with ``secret``."""
    if state_or_none is not None:
        tracking = state_or_none.tracking(number)
    else:
        scenario = sc.scenario_from_number(number)
        known = scenario if scenario in sc.TIMELINES else "in_transit"
        tracking = None if scenario == sc.NOT_FOUND else sc.build_tracking(number, known)
    body = json.dumps({"event": "TRACKING_UPDATED", "data": _entry(number, tracking)}).encode()
    sign = hashlib.sha256(body + b"/" + secret.encode()).hexdigest()
    return body, {"Content-Type": "application/json", "sign": sign}
