"""4PX open platform, ``POST /router/api/service?method=tr.order.tracking.get`` (see the client's doc).

The sign is recomputed here from the query string and the raw body, independently of the client. Event
times are local: each event carries the ``timeZone`` of its place (China UTC+8, Europe UTC+1 here).
4PX publishes no public list of gateway error codes: the codes below are the sandbox's own, the
messages follow 4PX's wording. 4PX documents no delivery estimate in ``tr.order.tracking.get``: none is given.
"""

import hashlib
import json
import time

from .. import scenarios as sc
from ..core import CREDENTIALS, Response, generic_fault, route

# Generic event -> (businessLinkCode, trackingContent). FPX_O_IR relays a partner's own wording.
EVENTS = {
    sc.INFO: ("FPX_L_RPIF", "Parcel information received"),
    sc.PICKED_UP: ("FPX_C_SPLS", "Shipment picked up."),
    sc.TRANSIT: ("FPX_M_DFOA", "Departure from the original airport"),
    sc.CUSTOMS: ("FPX_I_CC", "Customs check: shipment held by customs"),
    sc.OUT_FOR_DELIVERY: ("FPX_D_OFD", "Out for delivery"),
    sc.PICKUP_POINT: ("FPX_D_STPP", "Ready for collection at the pickup point"),
    sc.FAILED_ATTEMPT: ("FPX_D_FD", "Delivery failed: recipient not at home"),
    sc.DELIVERED: ("FPX_S_OK", "Delivered"),
    sc.LOST: ("FPX_O_IR", "Parcel lost in transit, investigation closed"),
    sc.DAMAGED: ("FPX_O_IR", "Parcel damaged, not deliverable"),
    sc.DESTROYED: ("FPX_C_DT", "Operation completed"),
    sc.RETURNING: ("FPX_O_IR", "Undelivered - returning to sender"),
    sc.RETURNED: ("FPX_O_IR", "Returned to sender"),
}


def expected_sign(app_key, method, timestamp, version, body, secret):
    text = f"app_key{app_key}formatjsonmethod{method}timestamp{timestamp}v{version}{body}{secret}"
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def _refusal(code, message, msg="System processing failed"):
    return Response(
        200, {"result": "0", "msg": msg, "errors": [{"error_code": code, "error_msg": message}], "data": None}
    )


def _item(when, step):
    code, content = EVENTS[step.code]
    local, offset = sc.local_time(when, step.country)
    return {
        "businessLinkCode": code,
        "occurDatetime": local.strftime("%Y-%m-%d %H:%M:%S"),
        "timeZone": f"UTC{offset}",
        "occurLocation": step.city,
        "country": step.country,
        "city": step.city,
        "trackingContent": content,
    }


@route("fourpx", "POST", r"/router/api/service")
def service(request, state):
    names = ("app_key", "format", "method", "timestamp", "v", "sign")
    missing = [name for name in names if not request.arg(name)]
    if missing:
        return _refusal("SYS0001", f"Missing public parameter: {', '.join(missing)}")
    if request.arg("app_key") != CREDENTIALS["app_key"]:
        return _refusal("SYS0002", "Invalid app_key: app does not exist")
    try:
        stamp = int(request.arg("timestamp"))
    except ValueError:
        stamp = 0
    if abs(stamp / 1000 - time.time()) > 30 * 60:
        return _refusal("SYS0003", "Invalid timestamp: the request has expired")
    body = request.body.decode("utf-8")
    sign = expected_sign(
        request.arg("app_key"),
        request.arg("method"),
        request.arg("timestamp"),
        request.arg("v"),
        body,
        CREDENTIALS["app_secret"],
    )
    if request.arg("sign") != sign:
        return _refusal("SYS0004", "Illegal sign: signature verification failed")
    if request.arg("method") != "tr.order.tracking.get" or request.arg("v") != "1.0.0":
        return _refusal("SYS0005", f"Unknown method {request.arg('method')} v{request.arg('v')}")
    try:
        number = str(json.loads(body)["deliveryOrderNo"])
    except (ValueError, KeyError, TypeError):
        return _refusal("TR0001", "deliveryOrderNo is required", msg="Parameter error")
    fault = state.fault([number])
    if fault == sc.RATE_LIMITED:
        return _refusal("SYS0009", "API call frequency too high, please try again later", msg="Request too frequent")
    if fault == sc.SERVER_ERROR:
        return Response(500, {"result": "0", "msg": "System busy, please try again later", "errors": [], "data": None})
    if fault == sc.TIMEOUT:
        state.wait_for_timeout()
    if fault == sc.MALFORMED:
        return Response(200, "<html><body>502 Bad Gateway</body></html>", content_type="text/html")
    if fault in sc.GENERIC_FAULTS:
        return generic_fault(fault)
    tracking = state.tracking(number)
    if tracking is None:
        return _refusal("TR0002", f"Tracking number {number} does not exist", msg="Query failed")
    data = {
        "deliveryOrderNo": number,
        "destinationCountry": "NL",
        "serverName": "PostNL",
        "serverNum": f"3S{number[-8:]}",
        "trackingList": [_item(when, step) for when, step in tracking.listed()],  # newest first
    }
    return Response(200, {"result": "1", "msg": "", "errors": [], "data": data})
