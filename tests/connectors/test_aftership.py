import base64
import hashlib
import hmac
import json
from datetime import datetime, timedelta

import clients
import pytest
from clients import status as st
from clients.aftership import AfterShipClient, normalize, parse_tracking, parse_webhook, verify_webhook
from clients.base import ERROR_AUTH, ERROR_CARRIER_DOWN, ERROR_MALFORMED, ERROR_NOT_FOUND, CarrierError
from sandbox.providers import aftership as sandbox_aftership

from ..conftest import load_fixture

KEY = {"api_key": "sandbox-key"}
SECRET = "sandbox-webhook-secret"


def make_client(sandbox, sleep=None, **kwargs):
    return AfterShipClient(
        base_url=sandbox.url,
        credentials=kwargs.pop("credentials", KEY),
        rate_limit=1000,
        sleep=sleep or (lambda s: None),
        **kwargs,
    )


def near(value, expected, seconds=120):
    return abs((value - expected).total_seconds()) < seconds


def test_real_delivered_tracking_parses_events_and_delivery_date():
    tracking = load_fixture("aftership_v4_get_tracking_delivered.json")["data"]["tracking"]
    result = parse_tracking("111111111111", tracking).finalize()
    assert (result.status, result.raw_status) == (st.DELIVERED, "Delivered_001")
    assert result.delivered_at == datetime(2018, 7, 25, 1, 10)  # = first_attempted_at 10:10+09:00
    assert result.eta is None
    (event,) = result.events
    assert event.occurred_at == datetime(2018, 7, 23, 6, 21, 39)  # 01:21:39-05:00
    assert (event.status, event.raw_code) == (st.INFO_RECEIVED, "InfoReceived_001")
    assert event.description == "Shipment information sent to FedEx"


def test_real_list_gives_eta_and_expired():
    delivered, expired = load_fixture("aftership_v4_get_trackings_list.json")["data"]["trackings"]
    first = parse_tracking("1111111111111", delivered).finalize()
    assert first.status == st.DELIVERED and first.eta == datetime(2018, 8, 1)
    assert first.delivered_at == datetime(2018, 8, 1, 17, 19, 47)
    second = parse_tracking("2222222222222", expired).finalize()
    assert (second.status, second.raw_status, second.events) == (st.EXPIRED, "Expired_001", [])
    assert second.eta == datetime(2022, 7, 6)  # latest_estimated_delivery


def test_real_create_answer_is_pending():
    tracking = load_fixture("aftership_v4_create_tracking_pending.json")["data"]["tracking"]
    result = parse_tracking("1111111111111", tracking).finalize()
    assert (result.status, result.raw_status, result.ok) == (st.PENDING, "Pending_001", True)


def test_subtags_give_status_and_exception_kind():
    assert normalize("Exception", "Exception_010") == (st.RETURNING, "returned")
    assert normalize("Exception", "Exception_011") == (st.RETURNED, "returned")
    assert normalize("Exception", "Exception_012") == (st.EXCEPTION, "damaged")
    assert normalize("Exception", "Exception_013") == (st.EXCEPTION, "lost")
    assert normalize("Exception", "Exception_004") == (st.EXCEPTION, "customs")
    assert normalize("Exception", "Exception_001", "Parcel destroyed by customs") == (st.EXCEPTION, "destroyed")
    assert normalize("AttemptFail", "AttemptFail_002") == (st.FAILED_ATTEMPT, "delivery_failed")
    assert normalize("Expired", "Expired_001") == (st.EXPIRED, "")


def test_webhook_signature_and_real_shape():
    tracking = load_fixture("aftership_v4_get_tracking_delivered.json")["data"]["tracking"]
    body = json.dumps({"event": "tracking_update", "event_id": "e1", "msg": tracking, "ts": 1534484000}).encode()
    good = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    assert verify_webhook(body, {"aftership-hmac-sha256": good}, SECRET)
    assert verify_webhook(body, {"AfterShip-Hmac-SHA256": good}, SECRET)
    assert not verify_webhook(body, {"aftership-hmac-sha256": good}, "other")
    assert not verify_webhook(body.replace(b"FedEx", b"FedEX"), {"aftership-hmac-sha256": good}, SECRET)
    assert not verify_webhook(body, {}, SECRET)
    (result,) = parse_webhook(body)
    assert result.tracking_number == "111111111111" and result.status == st.DELIVERED
    assert parse_webhook(json.dumps({"event": "other", "msg": {}}).encode()) == []
    with pytest.raises(CarrierError) as error:
        parse_webhook(b"{")
    assert error.value.kind == ERROR_MALFORMED


def test_sandbox_push_for_a_returned_parcel():
    body, headers = sandbox_aftership.signed_webhook(None, "ASWRETURNED", SECRET)
    assert verify_webhook(body, headers, SECRET)
    (result,) = parse_webhook(body)
    assert (result.status, result.exception_kind, result.raw_status) == (st.RETURNED, "returned", "Exception_011")


def test_batch_is_one_call_with_utc_times(sandbox):
    results = make_client(sandbox).track(["AS0DELIVERED", "AS0LOST", "AS0RETURNING", "AS0CUSTOMS"])
    assert sandbox.state.requests["aftership"] == 1
    delivered = results["AS0DELIVERED"]
    assert delivered.status == st.DELIVERED and near(delivered.delivered_at, datetime.utcnow() - timedelta(hours=26))
    assert near(delivered.events[0].occurred_at, datetime.utcnow() - timedelta(hours=150))  # CN checkpoint, +08:00
    assert (results["AS0LOST"].status, results["AS0LOST"].exception_kind) == (st.EXCEPTION, "lost")
    assert (results["AS0RETURNING"].status, results["AS0RETURNING"].exception_kind) == (st.RETURNING, "returned")
    assert results["AS0CUSTOMS"].exception_kind == "customs"


def test_stalled_parcel_older_than_30_days_is_still_listed(sandbox):
    result = make_client(sandbox).track_one("AS1STALLED")
    assert result.status == st.IN_TRANSIT and result.eta < datetime.utcnow()
    assert (datetime.utcnow() - result.events[0].occurred_at).days >= 34  # created_at_min sent
    assert sandbox.state.requests["aftership"] == 1  # not created again


def test_unknown_number_is_created_and_pending_then_tracked(sandbox):
    client = make_client(sandbox)
    first = client.track_one("AS2UNREGDELIVERED")
    assert first.ok and (first.status, first.raw_status) == (st.PENDING, "Pending_001")
    assert sandbox.state.requests["aftership"] == 2  # list, create
    assert client.track_one("AS2UNREGDELIVERED").status == st.DELIVERED


def test_untrackable_number_is_not_found_without_retry(sandbox):
    waits = []
    result = make_client(sandbox, sleep=waits.append).track_one("AS3NOTFOUND")
    assert result.error_kind == ERROR_NOT_FOUND and "recognize the carrier" in result.error
    assert waits == [] and sandbox.state.calls["AS3NOTFOUND"] == 2  # list + create, once each


def test_bad_key_is_an_auth_error_not_retried(sandbox):
    client = make_client(sandbox, credentials={"api_key": "wrong"})
    result = client.track_one("AS4DELIVERED")
    assert result.error_kind == ERROR_AUTH and "Invalid API key" in result.error
    assert sandbox.state.calls["AS4DELIVERED"] == 0
    with pytest.raises(CarrierError):
        client.test_connection()
    assert make_client(sandbox).test_connection()


def test_429_waits_for_the_rate_limit_reset(sandbox):
    waits = []
    result = make_client(sandbox, sleep=waits.append).track_one("AS5FLAKY429")
    assert result.ok and result.status == st.IN_TRANSIT
    assert len(waits) == 1 and 0.9 < waits[0] <= 2.0  # from X-RateLimit-Reset (1-2 s ahead), not 0.5 s backoff


def test_persistent_500_timeout_and_malformed(sandbox):
    client = make_client(sandbox, max_attempts=3)
    down = client.track_one("AS6SERVERERROR")
    assert down.error_kind == ERROR_CARRIER_DOWN and "500" in down.error
    assert sandbox.state.calls["AS6SERVERERROR"] == 3
    quick = make_client(sandbox, timeout=(1, 0.5), max_attempts=1)
    assert quick.track_one("AS6TIMEOUT").error_kind == ERROR_CARRIER_DOWN
    assert quick.track_one("AS6MALFORMED").error_kind == ERROR_MALFORMED


def test_registry_and_webhook_handlers():
    assert clients.get_client_class("aftership") is AfterShipClient
    assert clients.get_webhook_handlers("aftership") == (verify_webhook, parse_webhook)


def test_wrong_base_url_is_a_configuration_error(sandbox):
    client = AfterShipClient(base_url=sandbox.url + "/typo", credentials=KEY, rate_limit=1000, sleep=lambda s: None)
    result = client.track_one("AS7DELIVERED")
    assert result.error_kind == "config" and "/typo" in result.error
