import base64
import hashlib
import json
from datetime import datetime, timedelta

import clients
from clients import status as st
from clients.base import ERROR_AUTH, ERROR_CARRIER_DOWN, ERROR_MALFORMED, ERROR_NOT_FOUND, ERROR_RATE_LIMITED
from clients.sf_express import SfExpressClient, china_time_to_utc, java_urlencode, normalize, sf_digest

from ..conftest import load_fixture

CREDS = {"partner_id": "sandbox-partner", "checkword": "sandbox-checkword"}

# An answer in the shape of SF's route query documentation: apiResultData is a JSON string.
DOCUMENTED_ANSWER = {
    "apiErrorMsg": "",
    "apiResponseID": "000174B7E9E0A23FE6EB0F8C8E6E0F3F",
    "apiResultCode": "A1000",
    "apiResultData": json.dumps(
        {
            "success": True,
            "errorCode": "S0000",
            "errorMsg": None,
            "msgData": {
                "routeResps": [
                    {
                        "mailNo": "SF7444407228423",
                        "routes": [
                            {
                                "acceptAddress": "深圳市",
                                "acceptTime": "2020-05-11 16:56:54",
                                "remark": "顺丰速运 已收取快件",
                                "opCode": "50",
                            },
                            {
                                "acceptAddress": "深圳市",
                                "acceptTime": "2020-05-12 09:10:00",
                                "remark": "快件交给王师傅, 正在派送途中",
                                "opCode": "44",
                            },
                            {
                                "acceptAddress": "深圳市",
                                "acceptTime": "2020-05-12 07:05:00",
                                "remark": "快件到达 【深圳福田集散中心】",
                                "opCode": "31",
                            },
                            {
                                "acceptAddress": "深圳市",
                                "acceptTime": "2020-05-12 11:32:18",
                                "remark": "已签收,感谢使用顺丰,期待再次为您服务",
                                "opCode": "80",
                            },
                        ],
                    }
                ]
            },
        },
        ensure_ascii=False,
    ),
}


def make_client(sandbox, sleep=None, **kwargs):
    return SfExpressClient(
        base_url=sandbox.url,
        credentials=kwargs.pop("credentials", CREDS),
        rate_limit=1000,
        sleep=sleep or (lambda s: None),
        **kwargs,
    )


def near(value, expected, seconds=120):
    return abs((value - expected).total_seconds()) < seconds


def test_message_data_has_the_shape_of_sf_sample_request():
    sample = load_fixture("sf_EXP_RECE_SEARCH_ROUTES_msgData_by_waybill.json")
    built = json.loads(SfExpressClient(credentials=CREDS).message_data(sample["trackingNumber"]))
    assert set(built) == set(sample)
    assert {k: built[k] for k in ("trackingType", "trackingNumber", "methodType")} == {
        k: sample[k] for k in ("trackingType", "trackingNumber", "methodType")
    }
    assert built["language"] == "1"  # English remarks; the sample asks "0" (Chinese)


def test_digest_is_base64_md5_of_java_urlencoded_text():
    assert java_urlencode('{"a":"b c"}~*/é') == "%7B%22a%22%3A%22b+c%22%7D%7E*%2F%C3%A9"
    msg, timestamp, checkword = '{"trackingNumber":["SF7444407228423"]}', "1589187414000", "abc~*"
    encoded = "%7B%22trackingNumber%22%3A%5B%22SF7444407228423%22%5D%7D1589187414000abc%7E*"
    expected = base64.b64encode(hashlib.md5(encoded.encode()).digest()).decode()
    assert sf_digest(msg, timestamp, checkword) == expected


def test_documented_answer_parses_china_time_to_utc_and_opcodes():
    client = SfExpressClient(credentials=CREDS)
    (resp,) = client.result_data(DOCUMENTED_ANSWER)
    result = client._parse_routes("SF7444407228423", resp).finalize()
    assert result.status == st.DELIVERED and result.raw_status == "80"
    assert [e.raw_code for e in result.events] == ["50", "31", "44", "80"]
    assert [e.status for e in result.events] == [st.IN_TRANSIT, st.IN_TRANSIT, st.OUT_FOR_DELIVERY, st.DELIVERED]
    assert result.events[0].occurred_at == datetime(2020, 5, 11, 8, 56, 54)  # 16:56:54 UTC+8
    assert result.delivered_at == datetime(2020, 5, 12, 3, 32, 18)
    assert result.events[0].location == "深圳市" and "已收取快件" in result.events[0].description
    assert china_time_to_utc("2020-01-01 05:00:00") == datetime(2019, 12, 31, 21, 0)


def test_a_parcel_handed_to_its_courier_is_out_for_delivery():
    """opCode 204 follows 44 in SF's answers (快件交给<courier> 正在派送途中): it was read as in transit,
    so a parcel with its courier looked back in the network until delivered."""
    resp = {
        "mailNo": "SF1234567890",
        "routes": [
            {"acceptTime": "2019-04-04 21:10:02", "acceptAddress": "哈尔滨市", "opCode": "31", "remark": "快件到达"},
            {
                "acceptTime": "2019-04-05 07:46:24",
                "acceptAddress": "哈尔滨市",
                "opCode": "44",
                "remark": "正在派送途中",
            },
            {
                "acceptTime": "2019-04-05 07:58:24",
                "acceptAddress": "哈尔滨市",
                "opCode": "204",
                "remark": "快件交给吕国平，正在派送途中（联系电话：13900000000）",  # noqa: RUF001 (as SF writes it)
            },
        ],
    }
    result = SfExpressClient(credentials=CREDS)._parse_routes("SF1234567890", resp).finalize()
    assert [e.status for e in result.events] == [st.IN_TRANSIT, st.OUT_FOR_DELIVERY, st.OUT_FOR_DELIVERY]
    assert (result.status, result.raw_status) == (st.OUT_FOR_DELIVERY, "204")


def test_opcodes_and_remarks_give_status_and_exception_kind():
    assert normalize("8000", "") == (st.DELIVERED, "")
    assert normalize("70", "派送不成功") == (st.FAILED_ATTEMPT, "delivery_failed")
    assert normalize("33", "快件遗失") == (st.EXCEPTION, "lost")
    assert normalize("33", "Shipment held by customs for inspection") == (st.EXCEPTION, "customs")
    assert normalize("99", "The shipment is being returned to sender") == (st.RETURNING, "returned")
    assert normalize("80", "退回件已签收") == (st.RETURNED, "returned")
    assert normalize("80", "Delivered to the address on the label") == (st.DELIVERED, "")
    assert normalize("9999", "New code SF added") == (st.IN_TRANSIT, "")  # unknown: in transit, raw code kept


def test_delivered_parcel_over_http_in_utc(sandbox):
    result = make_client(sandbox).track_one("SF0DELIVERED01")
    assert result.ok and result.status == st.DELIVERED
    now = datetime.utcnow()
    assert near(result.delivered_at, now - timedelta(hours=26))  # a UTC+8 time read as UTC would be 8 h off
    assert near(result.events[0].occurred_at, now - timedelta(hours=140))  # pickup; no "info" route at SF
    assert [e.raw_code for e in result.events] == ["50", "31", "44", "80"]


def test_batch_of_waybills_is_one_call_per_ten(sandbox):
    numbers = [f"SF1INTRANSIT{i:02d}" for i in range(12)]
    results = make_client(sandbox).track(numbers)
    assert all(results[n].ok and results[n].status == st.IN_TRANSIT for n in numbers)
    assert sandbox.state.requests["sf_express"] == 2


def test_stalled_lost_returned_and_exceptions(sandbox):
    client = make_client(sandbox)
    results = client.track(
        [
            "SF2STALLED",
            "SF2LOST",
            "SF2RETURNED",
            "SF2RETURNING",
            "SF2DAMAGED",
            "SF2DESTROYED",
            "SF2CUSTOMS",
            "SF2FAILED",
        ]
    )
    assert results["SF2STALLED"].status == st.IN_TRANSIT
    assert (datetime.utcnow() - results["SF2STALLED"].events[-1].occurred_at).days >= 29
    kinds = {n: (r.status, r.exception_kind) for n, r in results.items()}
    assert kinds["SF2LOST"] == (st.EXCEPTION, "lost")
    assert kinds["SF2RETURNED"] == (st.RETURNED, "returned")
    assert kinds["SF2RETURNING"] == (st.RETURNING, "returned")
    assert kinds["SF2DAMAGED"] == (st.EXCEPTION, "damaged")
    assert kinds["SF2DESTROYED"] == (st.EXCEPTION, "destroyed")
    assert kinds["SF2CUSTOMS"] == (st.EXCEPTION, "customs")
    assert kinds["SF2FAILED"] == (st.FAILED_ATTEMPT, "delivery_failed")


def test_unknown_waybill_is_not_found_without_retry(sandbox):
    waits = []
    results = make_client(sandbox, sleep=waits.append).track(["SF3NOTFOUND", "SF3DELIVERED"])
    assert results["SF3NOTFOUND"].error_kind == ERROR_NOT_FOUND and "SF3NOTFOUND" in results["SF3NOTFOUND"].error
    assert results["SF3DELIVERED"].status == st.DELIVERED
    assert waits == [] and sandbox.state.calls["SF3NOTFOUND"] == 1


def test_bad_checkword_is_a_signature_error_not_retried(sandbox):
    waits = []
    client = make_client(sandbox, sleep=waits.append, credentials={**CREDS, "checkword": "wrong"})
    result = client.track_one("SF4DELIVERED")
    assert result.error_kind == ERROR_AUTH and "A1006" in result.error and "checkword" in result.error
    assert waits == [] and sandbox.state.calls["SF4DELIVERED"] == 0


def test_unknown_partner_is_an_auth_error(sandbox):
    result = make_client(sandbox, credentials={**CREDS, "partner_id": "someone"}).track_one("SF5DELIVERED")
    assert result.error_kind == ERROR_AUTH and "A1004" in result.error


def test_traffic_limit_in_the_body_is_retried_with_backoff(sandbox):
    waits = []
    result = make_client(sandbox, sleep=waits.append).track_one("SF6FLAKY429")
    assert result.ok and result.status == st.IN_TRANSIT
    assert waits == [0.5] and sandbox.state.calls["SF6FLAKY429"] == 2


def test_persistent_limits_and_system_errors_give_clear_errors(sandbox):
    client = make_client(sandbox, max_attempts=3)
    limited = client.track_one("SF7RATELIMIT")
    assert limited.error_kind == ERROR_RATE_LIMITED and "A1005" in limited.error
    down = client.track_one("SF7SERVERERROR")
    assert down.error_kind == ERROR_CARRIER_DOWN and "A1099" in down.error
    assert sandbox.state.calls["SF7SERVERERROR"] == 3


def test_gateway_503_is_retried(sandbox):
    waits = []
    result = make_client(sandbox, sleep=waits.append).track_one("SF8FLAKY500")
    assert result.ok and waits == [0.5]


def test_timeout_and_malformed_answers(sandbox):
    client = make_client(sandbox, timeout=(1, 0.5), max_attempts=1)
    assert client.track_one("SF9TIMEOUT").error_kind == ERROR_CARRIER_DOWN
    assert client.track_one("SF9MALFORMED").error_kind == ERROR_MALFORMED


def test_registry_and_link():
    assert clients.get_client_class("sf_express") is SfExpressClient
    assert SfExpressClient(credentials=CREDS).tracking_link("SF1").endswith("/SF1")
