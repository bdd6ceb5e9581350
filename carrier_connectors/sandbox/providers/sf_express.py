"""SF Express open platform, ``POST /std/service`` with ``EXP_RECE_SEARCH_ROUTES`` (see the client's doc).

The digest is checked with an implementation of Java's ``URLEncoder`` written here, independently of the
client's, so a signing bug in the client shows as A1006. Route times are China time (UTC+8).
SF lists routes from pickup on: the "info received" step has no route, so a parcel still at that step has
an empty ``routes`` list, as at SF. The route query documents no delivery estimate: none is given.
"""

import base64
import hashlib
import json
import time
import uuid
from datetime import timedelta

from .. import scenarios as sc
from ..core import CREDENTIALS, Response, generic_fault, route

CHINA = timedelta(hours=8)
UNRESERVED = set(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-*_")

# Generic event -> (opCode, English remark as with language=1)
EVENTS = {
    sc.PICKED_UP: ("50", "Your shipment has been picked up by SF Express"),
    sc.TRANSIT: ("31", "Shipment arrived at the sorting center"),
    sc.CUSTOMS: ("33", "Shipment held by customs for inspection"),
    sc.OUT_FOR_DELIVERY: ("44", "Out for delivery"),
    sc.PICKUP_POINT: ("125", "Your shipment is ready for pickup at the SF service point"),
    sc.FAILED_ATTEMPT: ("70", "Delivery failed: the recipient was not available"),
    sc.DELIVERED: ("80", "Delivered, signed by the recipient"),
    sc.LOST: ("33", "The shipment is lost, a compensation claim has been opened"),
    sc.DAMAGED: ("33", "The shipment was damaged in transit"),
    sc.DESTROYED: ("33", "The shipment was destroyed"),
    sc.RETURNING: ("99", "The shipment is being returned to sender"),
    sc.RETURNED: ("80", "The shipment has been returned to sender and signed for"),
}
CITIES = {"Shenzhen": "深圳市 Shenzhen", "Leipzig": "Leipzig", "Amsterdam": "Amsterdam"}


def java_url_encode(text):
    """Byte by byte, as java.net.URLEncoder with UTF-8 does it."""
    out = []
    for byte in text.encode("utf-8"):
        if byte in UNRESERVED:
            out.append(chr(byte))
        elif byte == 0x20:
            out.append("+")
        else:
            out.append("%%%02X" % byte)
    return "".join(out)


def expected_digest(msg_data, timestamp, checkword):
    return base64.b64encode(hashlib.md5(java_url_encode(msg_data + timestamp + checkword).encode()).digest()).decode()


def _gateway(code, message, result_data=None):
    body = {"apiErrorMsg": message, "apiResponseID": uuid.uuid4().hex.upper(), "apiResultCode": code}
    body["apiResultData"] = json.dumps(result_data, ensure_ascii=False) if result_data is not None else None
    return Response(200, body)


def _routes(tracking):
    routes = []
    for when, step in tracking.listed(newest_first=False) if tracking else []:
        if step.code not in EVENTS:
            continue
        op_code, remark = EVENTS[step.code]
        routes.append(
            {
                "acceptAddress": CITIES.get(step.city, step.city),
                "acceptTime": (when + CHINA).strftime("%Y-%m-%d %H:%M:%S"),
                "remark": remark,
                "opCode": op_code,
            }
        )
    return routes


def _timestamp_ok(value):
    try:
        stamp = int(value)
    except (TypeError, ValueError):
        return False
    seconds = stamp / 1000 if stamp > 10**11 else stamp
    return abs(seconds - time.time()) < 30 * 60


@route("sf_express", "POST", r"/std/service")
def std_service(request, state):
    form = request.form()
    missing = [name for name in ("partnerID", "requestID", "serviceCode", "timestamp", "msgData") if not form.get(name)]
    if missing or not form.get("msgDigest"):
        return _gateway("A1001", f"必传参数不可为空 (missing: {', '.join(missing or ['msgDigest'])})")
    if form["partnerID"] != CREDENTIALS["partner_id"] or form["serviceCode"] != "EXP_RECE_SEARCH_ROUTES":
        return _gateway("A1004", "无对应服务权限 (no permission for this service)")
    if not _timestamp_ok(form["timestamp"]):
        return _gateway("A1002", "请求时效已过期 (request expired)")
    if form["msgDigest"] != expected_digest(form["msgData"], form["timestamp"], CREDENTIALS["checkword"]):
        return _gateway("A1006", "数字签名无效 (invalid digital signature)")
    try:
        msg = json.loads(form["msgData"])
        numbers = msg["trackingNumber"]
        numbers = numbers.split(",") if isinstance(numbers, str) else [str(n) for n in numbers]
    except (ValueError, KeyError, TypeError):
        return _gateway(
            "A1000", "", {"success": False, "errorCode": "1010", "errorMsg": "msgData格式错误", "msgData": None}
        )
    if str(msg.get("trackingType")) not in ("1", "2") or not numbers or len(numbers) > 10:
        error = {"success": False, "errorCode": "1011", "errorMsg": "trackingNumber: 1 to 10 numbers", "msgData": None}
        return _gateway("A1000", "", error)
    fault = state.fault(numbers)
    if fault == sc.RATE_LIMITED:
        return _gateway("A1005", "流量受控 (traffic limited)")
    if fault == sc.SERVER_ERROR:
        if any(state.scenario(n) == sc.FLAKY_500 for n in numbers):
            return Response(
                503, "<html><body>503 Service Temporarily Unavailable</body></html>", content_type="text/html"
            )
        return _gateway("A1099", "系统异常 (system error)")
    if fault == sc.TIMEOUT:
        state.wait_for_timeout()
    if fault == sc.MALFORMED:
        return Response(200, "<html><body>SF gateway maintenance</body></html>", content_type="text/html")
    if fault in sc.GENERIC_FAULTS:
        return generic_fault(fault)
    route_resps = [{"mailNo": number, "routes": _routes(state.tracking(number))} for number in numbers]
    result = {"success": True, "errorCode": "S0000", "errorMsg": None, "msgData": {"routeResps": route_resps}}
    return _gateway("A1000", "", result)
