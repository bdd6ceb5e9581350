import hashlib
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import clients
from clients import status as st
from clients.base import ERROR_AUTH, ERROR_CARRIER_DOWN, ERROR_MALFORMED, ERROR_NOT_FOUND, ERROR_RATE_LIMITED
from clients.fourpx import FourPxClient, fourpx_sign, local_to_utc, normalize
from sandbox import scenarios

CREDS = {"app_key": "sandbox-app", "app_secret": "sandbox-app-secret"}

# No public 4PX answer fixture exists: this follows the documented tr.order.tracking.get fields
# (data.deliveryOrderNo, trackingList[].businessLinkCode/occurDatetime/timeZone/occurLocation/trackingContent).
DOCUMENTED_ANSWER = {
    "result": "1",
    "msg": "",
    "errors": [],
    "data": {
        "deliveryOrderNo": "4PX3000012345678CN",
        "destinationCountry": "SE",
        "trackingList": [
            {
                "businessLinkCode": "FPX_S_OK",
                "occurDatetime": "2026-08-27 13:20:12",
                "timeZone": "UTC+02:00",
                "occurLocation": "212 16 Malmö",
                "country": "SE",
                "trackingContent": "Paketet har levererats hem till dig",
            },
            {
                "businessLinkCode": "FPX_C_SPLS",
                "occurDatetime": "2026-08-21 10:00:00",
                "occurLocation": "Nancheng",
                "trackingContent": "Shipment picked up.",
            },
            {
                "businessLinkCode": "FPX_L_RPIF",
                "occurDatetime": "2026-08-20 08:45:13",
                "timeZone": "UTC+08:00",
                "occurLocation": "Nancheng",
                "country": "CN",
                "trackingContent": "Parcel information received",
            },
        ],
    },
}


def make_client(sandbox, sleep=None, **kwargs):
    return FourPxClient(
        base_url=sandbox.url,
        credentials=kwargs.pop("credentials", CREDS),
        rate_limit=1000,
        sleep=sleep or (lambda s: None),
        **kwargs,
    )


def test_sign_follows_4px_documented_example():
    # 4PX's documentation example: sorted public parameters, name+value, then body, then app secret.
    params = {
        "v": "1.0",
        "method": "ds.xms.order.create",
        "timestamp": "1532592413187",
        "format": "json",
        "app_key": "16081f05-e8fc-4250-b9c4-0660d1ecbb28",
        "access_token": "not-signed",
    }
    text = (
        "app_key16081f05-e8fc-4250-b9c4-0660d1ecbb28formatjsonmethodds.xms.order.create"
        'timestamp1532592413187v1.0{"aa":"bb"}7eebf328-8e5a-4030-904d-ec6e89174fbc'
    )
    sign = fourpx_sign(params, '{"aa":"bb"}', "7eebf328-8e5a-4030-904d-ec6e89174fbc")
    assert sign == hashlib.md5(text.encode()).hexdigest() and sign == sign.lower() and len(sign) == 32


def test_documented_answer_uses_each_event_time_zone():
    client = FourPxClient(credentials=CREDS)
    result = client._parse("4PX3000012345678CN", DOCUMENTED_ANSWER["data"]).finalize()
    assert result.status == st.DELIVERED and result.raw_status == "FPX_S_OK"
    assert [e.raw_code for e in result.events] == ["FPX_L_RPIF", "FPX_C_SPLS", "FPX_S_OK"]
    assert result.events[0].status == st.INFO_RECEIVED
    assert result.events[0].occurred_at == datetime(2026, 8, 20, 0, 45, 13)  # UTC+08:00
    assert result.events[1].occurred_at == datetime(2026, 8, 21, 2, 0, 0)  # no timeZone: China time
    assert result.delivered_at == datetime(2026, 8, 27, 11, 20, 12)  # UTC+02:00
    assert result.events[-1].location == "212 16 Malmö, SE"
    assert local_to_utc("2026-08-18 19:56:43", "UTC-10:00") == datetime(2026, 8, 19, 5, 56, 43)


def test_codes_and_content_give_status_and_exception_kind():
    assert normalize("FPX_C_DT", "Operation completed") == (st.EXCEPTION, "destroyed")
    assert normalize("FPX_D_LM", "Parcel Disposal") == (st.EXCEPTION, "destroyed")
    assert normalize("FPX_O_IR", "Parcel lost in transit") == (st.EXCEPTION, "lost")
    assert normalize("FPX_O_IR", "Undelivered - returning to sender") == (st.RETURNING, "returned")
    assert normalize("FPX_O_IR", "Returned to sender") == (st.RETURNED, "returned")
    assert normalize("FPX_I_CC", "Customs check: shipment held by customs") == (st.EXCEPTION, "customs")
    assert normalize("FPX_D_LM", "Secure delivery: delivered to the front door") == (st.DELIVERED, "")
    assert normalize("FPX_D_LM", "Not delivered, recipient absent") == (st.IN_TRANSIT, "")
    assert normalize("FPX_Z_NEW", "Something new") == (st.IN_TRANSIT, "")


def test_delivered_parcel_over_http_with_local_times(sandbox):
    result = make_client(sandbox).track_one("4PX0DELIVERED")
    expected = scenarios.build_tracking("4PX0DELIVERED", "delivered")
    assert result.ok and result.status == st.DELIVERED
    assert [e.raw_code for e in result.events] == ["FPX_L_RPIF", "FPX_C_SPLS", "FPX_M_DFOA", "FPX_D_OFD", "FPX_S_OK"]
    for event, (when, _step) in zip(result.events, expected.events, strict=True):
        assert abs((event.occurred_at - when).total_seconds()) < 120  # CN events at UTC+8, NL events at UTC+1
    assert result.delivered_at == result.events[-1].occurred_at


def test_request_is_signed_in_the_query_string(sandbox):
    seen = []
    client = make_client(sandbox)
    client.session.hooks["response"].append(lambda response, **kw: seen.append(response.request))
    client.track_one("4PX1INTRANSIT")
    query = parse_qs(urlsplit(seen[0].url).query)
    assert {k: v[0] for k, v in query.items() if k != "sign" and k != "timestamp"} == {
        "app_key": "sandbox-app",
        "format": "json",
        "method": "tr.order.tracking.get",
        "v": "1.0.0",
    }
    assert seen[0].body == b'{"deliveryOrderNo":"4PX1INTRANSIT"}'


def test_stalled_lost_returned_and_exceptions(sandbox):
    client = make_client(sandbox)
    stalled = client.track_one("4PX2STALLED")
    assert stalled.status == st.IN_TRANSIT and (datetime.utcnow() - stalled.events[-1].occurred_at).days >= 29
    results = client.track(["4PX2LOST", "4PX2RETURNED", "4PX2DESTROYED", "4PX2CUSTOMS", "4PX2DAMAGED", "4PX2PICKUP"])
    kinds = {n: (r.status, r.exception_kind) for n, r in results.items()}
    assert kinds["4PX2LOST"] == (st.EXCEPTION, "lost")
    assert kinds["4PX2RETURNED"] == (st.RETURNED, "returned")
    assert kinds["4PX2DESTROYED"] == (st.EXCEPTION, "destroyed")
    assert kinds["4PX2CUSTOMS"] == (st.EXCEPTION, "customs")
    assert kinds["4PX2DAMAGED"] == (st.EXCEPTION, "damaged")
    assert kinds["4PX2PICKUP"] == (st.AVAILABLE_FOR_PICKUP, "")
    assert sandbox.state.requests["fourpx"] == 7  # one number per call


def test_unknown_number_is_not_found_without_retry(sandbox):
    waits = []
    result = make_client(sandbox, sleep=waits.append).track_one("4PX3NOTFOUND")
    assert result.error_kind == ERROR_NOT_FOUND and "does not exist" in result.error
    assert waits == [] and sandbox.state.calls["4PX3NOTFOUND"] == 1


def test_bad_secret_or_key_is_an_auth_error_not_retried(sandbox):
    waits = []
    bad_secret = make_client(sandbox, sleep=waits.append, credentials={**CREDS, "app_secret": "wrong"})
    result = bad_secret.track_one("4PX4DELIVERED")
    assert result.error_kind == ERROR_AUTH and "sign" in result.error
    bad_key = make_client(sandbox, sleep=waits.append, credentials={**CREDS, "app_key": "wrong"})
    assert bad_key.track_one("4PX4DELIVERED").error_kind == ERROR_AUTH
    assert waits == [] and sandbox.state.calls["4PX4DELIVERED"] == 0


def test_frequency_refusal_is_retried_then_reported(sandbox):
    waits = []
    assert make_client(sandbox, sleep=waits.append).track_one("4PX5FLAKY429").status == st.IN_TRANSIT
    assert waits == [0.5]
    limited = make_client(sandbox, max_attempts=3).track_one("4PX5RATELIMIT")
    assert limited.error_kind == ERROR_RATE_LIMITED and "frequency" in limited.error
    assert sandbox.state.calls["4PX5RATELIMIT"] == 3


def test_server_errors_timeout_and_malformed(sandbox):
    client = make_client(sandbox, max_attempts=3)
    down = client.track_one("4PX6SERVERERROR")
    assert down.error_kind == ERROR_CARRIER_DOWN and "500" in down.error
    assert sandbox.state.calls["4PX6SERVERERROR"] == 3
    assert client.track_one("4PX6FLAKY500").status == st.IN_TRANSIT
    quick = make_client(sandbox, timeout=(1, 0.5), max_attempts=1)
    assert quick.track_one("4PX6TIMEOUT").error_kind == ERROR_CARRIER_DOWN
    assert quick.track_one("4PX6MALFORMED").error_kind == ERROR_MALFORMED


def test_registry_knows_fourpx():
    assert clients.get_client_class("fourpx") is FourPxClient
