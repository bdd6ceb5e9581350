"""4PX open platform: ``tr.order.tracking.get`` over ``POST /router/api/service``.

Signing (4PX "签名规则", as in 4PX's SDKs): the public parameters except ``sign`` (and ``access_token``),
sorted by name, concatenated as name+value without separators, then the exact request body, then the app
secret; ``sign`` is the MD5 of that text as 32 *lowercase* hex digits. ``timestamp`` is in milliseconds.

Answers are HTTP 200 with ``result`` "1" (success, ``data.trackingList[]``) or "0" (``msg`` and
``errors[]`` with ``error_code``/``error_msg``). 4PX publishes no stable list of gateway error codes, so
refusals are classified from their text. ``occurDatetime`` is local time: in the event's ``timeZone``
("UTC+02:00") when 4PX gives one, China time (UTC+8) otherwise (4PX's platform time).

Delivery dates: ``tr.order.tracking.get`` documents none (``data`` has ``deliveryOrderNo``,
``destinationCountry``, ``serverName``, ``serverNum`` and ``trackingList``): ``promised_at`` and ``eta``
stay None.
"""

import hashlib
import json
import re
import time
from datetime import datetime, timedelta

from . import status as st
from .base import (
    ERROR_AUTH,
    ERROR_CARRIER_DOWN,
    ERROR_CONFIG,
    ERROR_MALFORMED,
    ERROR_NOT_FOUND,
    ERROR_RATE_LIMITED,
    BaseClient,
    BodyError,
    CarrierError,
    TrackingEvent,
    TrackingResult,
    is_placeholder,
)
from .registry import register

METHOD = "tr.order.tracking.get"
VERSION = "1.0.0"
CHINA_OFFSET = timedelta(hours=8)
ZONE = re.compile(r"([+-])(\d{1,2})(?::?(\d{2}))?")

# businessLinkCode values seen in 4PX answers (FPX_<stage>_<event>); codes 4PX also uses to relay partner
# events (FPX_O_*, FPX_D_LM ...) are read from their text (KEYWORDS).
CODES = {
    "FPX_L_RPIF": (st.INFO_RECEIVED, ""),  # Parcel information received
    "FPX_O_IR": (st.INFO_RECEIVED, ""),  # information relayed by a partner (text decides)
    "FPX_O_IRI": (st.INFO_RECEIVED, ""),
    "FPX_L_SC": (st.IN_TRANSIT, ""),
    "FPX_C_SPLS": (st.IN_TRANSIT, ""),  # Shipment picked up
    "FPX_C_SPQS": (st.IN_TRANSIT, ""),
    "FPX_C_AAF": (st.IN_TRANSIT, ""),  # Arrived at facility and measured
    "FPX_C_ADFF": (st.IN_TRANSIT, ""),  # Depart from facility to service provider
    "FPX_D_OFD": (st.OUT_FOR_DELIVERY, ""),
    "FPX_D_SD": (st.OUT_FOR_DELIVERY, ""),
    "FPX_D_FD": (st.FAILED_ATTEMPT, "delivery_failed"),  # delivery failed
    "FPX_D_UNDG": (st.EXCEPTION, "delivery_failed"),  # undeliverable
}
# Codes whose meaning is final whatever the text says (4PX forwards partner wording verbatim).
HARD_CODES = {
    "FPX_C_DT": (st.EXCEPTION, "destroyed"),  # destroyed / disposed of, even when the text is "Operation completed"
    "FPX_S_OK": (st.DELIVERED, ""),
    "FPX_S_OKGP": (st.DELIVERED, ""),
    "FPX_S_OKVP": (st.DELIVERED, ""),
    "FPX_S_OKPO": (st.DELIVERED, ""),
    "FPX_S_OKCC": (st.DELIVERED, ""),
    "FPX_S_OKSC": (st.DELIVERED, ""),
}
# trackingContent words, first match wins (checked before CODES, after HARD_CODES).
KEYWORDS = [
    ("lost", st.EXCEPTION, "lost"),
    ("missing", st.EXCEPTION, "lost"),
    ("damaged", st.EXCEPTION, "damaged"),
    ("destroyed", st.EXCEPTION, "destroyed"),
    ("disposal", st.EXCEPTION, "destroyed"),
    ("being returned", st.RETURNING, "returned"),
    ("returned to sender", st.RETURNED, "returned"),
    ("returned to shipper", st.RETURNED, "returned"),
    ("return to sender", st.RETURNING, "returned"),
    ("returning to sender", st.RETURNING, "returned"),
    ("held by customs", st.EXCEPTION, "customs"),
    ("customs hold", st.EXCEPTION, "customs"),
    ("customs inspection", st.EXCEPTION, "customs"),
    ("detained", st.EXCEPTION, "customs"),
    ("incorrect address", st.FAILED_ATTEMPT, "address"),
    ("delivery failed", st.FAILED_ATTEMPT, "delivery_failed"),
    ("undeliverable", st.EXCEPTION, "delivery_failed"),
    ("refused", st.EXCEPTION, "delivery_failed"),
    ("ready for collection", st.AVAILABLE_FOR_PICKUP, ""),
    ("available for pickup", st.AVAILABLE_FOR_PICKUP, ""),
    ("out for delivery", st.OUT_FOR_DELIVERY, ""),
]
NOT_DELIVERED = ("not delivered", "undeliver", "attempt", "out for delivery", "to be delivered", "delivery failed")

# Words of 4PX refusals (result "0"), checked in this order.
ERROR_WORDS = [
    (ERROR_CONFIG, ("timestamp", "时间戳")),
    (ERROR_AUTH, ("sign", "签名", "app_key", "appkey", "token", "unauthori", "授权", "permission", "权限")),
    (ERROR_NOT_FOUND, ("not exist", "not found", "no track", "no data", "不存在", "未找到", "查询不到", "无轨迹")),
    (ERROR_RATE_LIMITED, ("frequen", "too many", "rate limit", "频繁", "限流")),
    (ERROR_CARRIER_DOWN, ("busy", "繁忙", "timeout", "超时", "unavailable")),
]


def fourpx_sign(params, body, app_secret):
    text = "".join(f"{name}{value}" for name, value in sorted(params.items()) if name not in ("sign", "access_token"))
    return hashlib.md5((text + body + app_secret).encode("utf-8")).hexdigest()


def local_to_utc(value, zone=None):
    """4PX "YYYY-MM-DD HH:MM:SS" local time in ``zone`` ("UTC+02:00"; China time if none) as naive UTC."""
    try:
        local = datetime.strptime(str(value).strip()[:19], "%Y-%m-%d %H:%M:%S")
    except ValueError as exc:
        raise CarrierError(ERROR_MALFORMED, f"4PX: unreadable event time {value!r}") from exc
    offset = CHINA_OFFSET
    match = ZONE.search(zone or "")
    if match:
        sign, hours, minutes = match.groups()
        offset = timedelta(hours=int(hours), minutes=int(minutes or 0)) * (-1 if sign == "-" else 1)
    return None if is_placeholder(local) else local - offset


def normalize(code, content, location=""):
    if code in HARD_CODES:
        return HARD_CODES[code]
    text = (content or "").lower()
    if "disposal" in (location or "").lower():  # 4PX partners sometimes put it in the place only
        return st.EXCEPTION, "destroyed"
    for keyword, status, kind in KEYWORDS:
        if keyword in text:
            return status, kind
    if code in CODES:
        return CODES[code]
    if "delivered" in text and not any(word in text for word in NOT_DELIVERED):
        return st.DELIVERED, ""
    return st.IN_TRANSIT, ""


def classify_refusal(text):
    lowered = text.lower()
    for kind, words in ERROR_WORDS:
        if any(word in lowered for word in words):
            return kind
    return ERROR_CONFIG


@register
class FourPxClient(BaseClient):
    provider = "fourpx"
    label = "4PX"
    default_base_url = "https://open.4px.com"
    public_tracking_url = "https://track.4px.com/#/result/0/<number>"
    batch_size = 1  # tr.order.tracking.get takes one deliveryOrderNo
    default_rate_limit = 2.0
    credential_fields = ("app_key", "app_secret")

    def signed_params(self, body, timestamp=None):
        params = {
            "app_key": self.credentials["app_key"],
            "format": "json",
            "method": METHOD,
            "timestamp": timestamp or str(int(time.time() * 1000)),
            "v": VERSION,
        }
        params["sign"] = fourpx_sign(params, body, self.credentials["app_secret"])
        return params

    def _track_batch(self, numbers):
        (number,) = numbers
        data, payload = self._with_body_retries(lambda: self._call(number))
        tracking_list = (data or {}).get("trackingList") or []
        if not tracking_list:
            raise CarrierError(ERROR_NOT_FOUND, f"4PX: no tracking events for {number}")
        return [self._parse(number, data, payload)]

    def _call(self, number):
        body = json.dumps({"deliveryOrderNo": number}, separators=(",", ":"))
        response = self._request(
            "POST",
            "/router/api/service",
            params=self.signed_params(body),
            data=body.encode("utf-8"),
            headers={"Content-Type": "application/json;charset=utf-8", "Accept": "application/json"},
        )
        if response.status_code == 404:
            raise CarrierError(ERROR_CONFIG, f"4PX: no service at {self.base_url}/router/api/service")
        payload = self._json(response)
        if str(payload.get("result")) == "1":
            return payload.get("data"), payload
        errors = payload.get("errors") or []
        parts = [f"{e.get('error_code')}: {e.get('error_msg')}" for e in errors if isinstance(e, dict)]
        text = "; ".join(filter(None, [payload.get("msg") or "", *parts])) or "request refused"
        kind = classify_refusal(text)
        error_class = BodyError if kind in (ERROR_RATE_LIMITED, ERROR_CARRIER_DOWN) else CarrierError
        raise error_class(kind, f"4PX: {text}")

    def _parse(self, number, data, raw=None):
        result = TrackingResult(number, raw=raw if raw is not None else data)
        for item in data.get("trackingList") or []:
            code = item.get("businessLinkCode") or ""
            content = item.get("trackingContent") or ""
            place = item.get("occurLocation") or item.get("city") or ""
            status, kind = normalize(code, content, place)
            country = item.get("country") or ""
            location = ", ".join(filter(None, [place, country if country and not place.endswith(country) else ""]))
            result.events.append(
                TrackingEvent(
                    occurred_at=local_to_utc(item["occurDatetime"], item.get("timeZone")),
                    status=status,
                    raw_code=code,
                    description=content,
                    location=location,
                    exception_kind=kind,
                )
            )
        return result
