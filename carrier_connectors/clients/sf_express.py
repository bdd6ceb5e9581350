"""SF Express open platform (丰桥): route query ``EXP_RECE_SEARCH_ROUTES`` over ``POST /std/service``.

Signing ("数字签名认证"): ``msgDigest = base64(md5(urlencode(msgData + timestamp + checkword)))`` with the MD5
taken as raw bytes and the text encoded as UTF-8. SF's reference implementation is Java's
``URLEncoder.encode(..., "UTF-8")``; Python's ``quote_plus`` (used by SF's Python demo) gives the same text
except that Java keeps ``*`` and encodes ``~``, so ``sf_digest`` does exactly that.

The gateway answers HTTP 200 with ``apiResultCode`` (A1000 = success); ``apiResultData`` is a JSON *string*
holding ``success``/``errorCode``/``msgData.routeResps[].routes[]``. Route times are China time (UTC+8):
SF documents ``acceptTime`` as Beijing time, whatever the place, so no zone is looked up.

Delivery dates: the route query documents none (a route is ``acceptTime``, ``acceptAddress``, ``remark``,
``opCode``); SF's promised times come from other services this client does not call, so ``promised_at``
and ``eta`` stay None.
"""

import base64
import hashlib
import json
import time
import uuid
from datetime import datetime, timedelta
from urllib.parse import quote_plus

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
    normalize_tracking_number,
)
from .registry import register

SERVICE_CODE = "EXP_RECE_SEARCH_ROUTES"
CHINA_OFFSET = timedelta(hours=8)

# The gateway's apiResultCode (SF "公共响应码"). Retryable kinds are retried with backoff.
API_CODES = {
    "A1001": (ERROR_CONFIG, "required parameter missing"),
    "A1002": (ERROR_CONFIG, "request expired, check the server clock"),
    "A1003": (ERROR_AUTH, "IP address not allowed for this partner ID"),
    "A1004": (ERROR_AUTH, "no permission for this service, check the partner ID"),
    "A1005": (ERROR_RATE_LIMITED, "traffic limited by SF"),
    "A1006": (ERROR_AUTH, "invalid signature, check the checkword"),
    "A1007": (ERROR_CONFIG, "duplicate request"),
    "A1008": (ERROR_CONFIG, "data decryption failed"),
    "A1009": (ERROR_CARRIER_DOWN, "SF target service unavailable"),
    "A1099": (ERROR_CARRIER_DOWN, "SF system error"),
}

# Route opCodes (SF route operation codes as published in SF's route tables and integrators' code).
# Unknown codes are read as in transit, the raw code kept; remarks refine them (REMARK_KEYWORDS).
OPCODES = {
    "50": (st.IN_TRANSIT, ""),  # 顺丰已收取快件 - picked up
    "54": (st.IN_TRANSIT, ""),  # 上门收件 - picked up at the sender
    "30": (st.IN_TRANSIT, ""),  # 已装车/分拣, sorted and leaving
    "31": (st.IN_TRANSIT, ""),  # 快件到达 - arrived at a facility
    "36": (st.IN_TRANSIT, ""),  # 快件离开 - left a facility
    "123": (st.IN_TRANSIT, ""),  # 快件正送往顺丰店/站
    "130": (st.IN_TRANSIT, ""),  # 已到达目的地网点
    "44": (st.OUT_FOR_DELIVERY, ""),  # 正在派送途中
    "204": (st.OUT_FOR_DELIVERY, ""),  # 快件交给(courier) 正在派送途中: handed to the courier, after 44
    "70": (st.FAILED_ATTEMPT, "delivery_failed"),  # 派送不成功
    "33": (st.EXCEPTION, "other"),  # 派件异常/滞留 - held, reason in the remark
    "80": (st.DELIVERED, ""),  # 已签收
    "8000": (st.DELIVERED, ""),  # 签收确认 (delivery confirmed)
    "99": (st.RETURNING, "returned"),  # 退回/转寄中 - on its way back
    "631": (st.RETURNED, "returned"),  # 快件已退回
}

# Remark words (English for language=1, Chinese for language=0), first match wins. A None status keeps
# the opCode's status and only adds the kind.
REMARK_KEYWORDS = [
    ("lost", st.EXCEPTION, "lost"),
    ("遗失", st.EXCEPTION, "lost"),
    ("丢失", st.EXCEPTION, "lost"),
    ("damaged", st.EXCEPTION, "damaged"),
    ("破损", st.EXCEPTION, "damaged"),
    ("destroyed", st.EXCEPTION, "destroyed"),
    ("销毁", st.EXCEPTION, "destroyed"),
    ("being returned", st.RETURNING, "returned"),
    ("returning", st.RETURNING, "returned"),
    ("returned to sender", st.RETURNED, "returned"),
    ("returned to the sender", st.RETURNED, "returned"),
    ("退回件已签收", st.RETURNED, "returned"),
    ("已退回", st.RETURNED, "returned"),
    ("returned to shipper", st.RETURNED, "returned"),
    ("return to sender", st.RETURNING, "returned"),
    ("退回", st.RETURNING, "returned"),
    ("held by customs", st.EXCEPTION, "customs"),
    ("customs inspection", st.EXCEPTION, "customs"),
    ("海关查验", st.EXCEPTION, "customs"),
    ("扣关", st.EXCEPTION, "customs"),
    ("清关异常", st.EXCEPTION, "customs"),
    ("refused", st.EXCEPTION, "delivery_failed"),
    ("拒收", st.EXCEPTION, "delivery_failed"),
    ("address", None, "address"),
    ("地址", None, "address"),
    ("ready for pickup", st.AVAILABLE_FOR_PICKUP, ""),
    ("待取件", st.AVAILABLE_FOR_PICKUP, ""),
    ("丰巢", st.AVAILABLE_FOR_PICKUP, ""),
    ("驿站", st.AVAILABLE_FOR_PICKUP, ""),
]


def java_urlencode(text):
    """``java.net.URLEncoder.encode(text, "UTF-8")``: quote_plus, but ``*`` kept and ``~`` encoded."""
    return quote_plus(text, safe="*", encoding="utf-8").replace("~", "%7E")


def sf_digest(msg_data, timestamp, checkword):
    raw = hashlib.md5(java_urlencode(msg_data + timestamp + checkword).encode("utf-8")).digest()
    return base64.b64encode(raw).decode("ascii")


def china_time_to_utc(value):
    """SF's "YYYY-MM-DD HH:MM:SS" China time (UTC+8) as a naive UTC datetime; None for a placeholder."""
    try:
        local = datetime.strptime(str(value).strip(), "%Y-%m-%d %H:%M:%S")
    except ValueError as exc:
        raise CarrierError(ERROR_MALFORMED, f"SF Express: unreadable route time {value!r}") from exc
    return None if is_placeholder(local) else local - CHINA_OFFSET


def normalize(op_code, remark):
    status, kind = OPCODES.get(op_code, (st.IN_TRANSIT, ""))
    text = (remark or "").lower()
    for keyword, keyword_status, keyword_kind in REMARK_KEYWORDS:
        if keyword in text:
            if keyword_status is None:
                if status in (st.DELIVERED, st.RETURNED):
                    continue
                return status, keyword_kind
            return keyword_status, keyword_kind
    return status, kind


@register
class SfExpressClient(BaseClient):
    provider = "sf_express"
    label = "SF Express"
    default_base_url = "https://sfapi.sf-express.com"
    public_tracking_url = "https://www.sf-express.com/chn/en/waybill/waybill-detail/<number>"
    batch_size = 10  # waybills per EXP_RECE_SEARCH_ROUTES call: SF caps it; 10 stays within every published cap
    default_rate_limit = 2.0
    credential_fields = ("partner_id", "checkword")
    language = "1"  # route remarks in English (0 = simplified Chinese, 2 = traditional)

    def message_data(self, numbers):
        """msgData as in SF's sample request (trackingType 1 = SF waybill numbers, methodType 1 = standard)."""
        payload = {"language": self.language, "trackingType": "1", "trackingNumber": list(numbers), "methodType": "1"}
        return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))

    def _track_batch(self, numbers):
        route_resps, raw = self._with_body_retries(lambda: self._query_routes(numbers))
        # Matched in normalized form: SF may answer a waybill in its own spelling.
        by_number = {normalize_tracking_number(str(resp.get("mailNo"))): resp for resp in route_resps}
        results = []
        for number in numbers:
            resp = by_number.get(normalize_tracking_number(number))
            if not resp or not resp.get("routes"):
                error = CarrierError(
                    ERROR_NOT_FOUND,
                    f"SF Express: no route for waybill {number} (unknown, not yet picked up, "
                    "or not shipped under this partner ID)",
                )
                results.append(TrackingResult.failure(number, error))
                continue
            results.append(self._parse_routes(number, resp, raw))
        return results

    def _query_routes(self, numbers):
        msg_data = self.message_data(numbers)
        timestamp = str(int(time.time() * 1000))
        form = {
            "partnerID": self.credentials["partner_id"],
            "requestID": uuid.uuid4().hex,
            "serviceCode": SERVICE_CODE,
            "timestamp": timestamp,
            "msgDigest": sf_digest(msg_data, timestamp, self.credentials["checkword"]),
            "msgData": msg_data,
        }
        headers = {"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"}
        response = self._request("POST", "/std/service", data=form, headers=headers)
        if response.status_code == 404:
            raise CarrierError(ERROR_CONFIG, f"SF Express: no service at {self.base_url}/std/service")
        payload = self._json(response)
        return self.result_data(payload), payload

    @staticmethod
    def result_data(payload):
        """routeResps from a gateway answer; raises CarrierError for gateway or business refusals."""
        code = payload.get("apiResultCode")
        if code != "A1000":
            kind, meaning = API_CODES.get(code, (ERROR_CONFIG, "request refused"))
            detail = payload.get("apiErrorMsg") or ""
            error_class = BodyError if kind in (ERROR_CARRIER_DOWN, ERROR_RATE_LIMITED) else CarrierError
            raise error_class(kind, f"SF Express: {meaning} ({code}{': ' + detail if detail else ''})")
        data = payload["apiResultData"]
        if isinstance(data, str):
            data = json.loads(data)
        if not data.get("success"):
            raise CarrierError(
                ERROR_CONFIG,
                f"SF Express: route query refused ({data.get('errorCode')}: {data.get('errorMsg') or 'no reason'})",
            )
        return data["msgData"]["routeResps"]

    def _parse_routes(self, number, resp, raw=None):
        result = TrackingResult(number, raw=raw if raw is not None else resp)
        for route in resp.get("routes") or []:
            code = str(route.get("opCode") or "")
            remark = route.get("remark") or ""
            status, kind = normalize(code, remark)
            result.events.append(
                TrackingEvent(
                    occurred_at=china_time_to_utc(route["acceptTime"]),
                    status=status,
                    raw_code=code,
                    description=remark,
                    location=route.get("acceptAddress") or "",
                    exception_kind=kind,
                )
            )
        return result
