import hashlib
import json
from datetime import datetime, timedelta

import clients
import pytest
from clients import status as st
from clients.base import ERROR_AUTH, ERROR_CARRIER_DOWN, ERROR_MALFORMED, ERROR_NOT_FOUND, CarrierError
from clients.seventeen_track import SeventeenTrackClient, normalize, parse_webhook, verify_webhook
from sandbox.providers import seventeen_track as sandbox_17track

from ..conftest import FIXTURES

KEY = {"api_key": "sandbox-key"}
SECRET = "sandbox-webhook-secret"


def make_client(sandbox, sleep=None, **kwargs):
    return SeventeenTrackClient(
        base_url=sandbox.url,
        credentials=kwargs.pop("credentials", KEY),
        rate_limit=1000,
        sleep=sleep or (lambda s: None),
        **kwargs,
    )


def sample_body():
    return (FIXTURES / "webhook_TRACKING_UPDATED_agritheory_fixture.json").read_bytes()


def test_real_push_parses_events_status_and_utc_times():
    (result,) = parse_webhook(sample_body())
    assert result.tracking_number == "1Z2617V10397725789"
    assert (result.status, result.raw_status, result.exception_kind) == (st.DELIVERED, "Delivered_Other", "")
    assert result.delivered_at == datetime(2022, 4, 4, 23, 35, 22)  # 16:35:22-07:00
    assert result.eta is None
    assert [e.occurred_at for e in result.events] == sorted(e.occurred_at for e in result.events)
    assert result.events[0].occurred_at == datetime(2022, 3, 29, 5, 43, 8)
    assert [e.raw_code for e in result.events] == ["InfoReceived", "", "", "OutForDelivery", "Delivered"]
    assert [e.status for e in result.events] == [
        st.INFO_RECEIVED,
        st.IN_TRANSIT,
        st.IN_TRANSIT,
        st.OUT_FOR_DELIVERY,
        st.DELIVERED,
    ]
    assert result.events[-1].location == "GASQUET, CA, US" and result.events[-1].description == "DELIVERED"


def test_webhook_signature_good_bad_missing_and_header_case():
    body = sample_body()
    sign = hashlib.sha256(body + b"/" + SECRET.encode()).hexdigest()
    assert verify_webhook(body, {"sign": sign}, SECRET)
    assert verify_webhook(body, {"Sign": sign.upper()}, SECRET)
    assert not verify_webhook(body, {"sign": sign}, "another-secret")
    assert not verify_webhook(body + b" ", {"sign": sign}, SECRET)
    assert not verify_webhook(body, {}, SECRET)
    assert not verify_webhook(body, {"sign": sign}, "")


def test_sandbox_push_for_a_lost_parcel_verifies_and_parses():
    body, headers = sandbox_17track.signed_webhook(None, "17WLOST", SECRET)
    assert verify_webhook(body, headers, SECRET)
    (result,) = parse_webhook(body)
    assert (result.status, result.exception_kind, result.raw_status) == (st.EXCEPTION, "lost", "Exception_Lost")
    assert near(result.events[-1].occurred_at, datetime.utcnow() - timedelta(days=2))


def test_other_events_and_garbage():
    assert parse_webhook(json.dumps({"event": "TRACKING_STOPPED", "data": {"number": "1"}}).encode()) == []
    with pytest.raises(CarrierError) as error:
        parse_webhook(b"not json")
    assert error.value.kind == ERROR_MALFORMED


def test_sub_statuses_give_status_and_exception_kind():
    assert normalize("Exception", "Exception_Returning") == (st.RETURNING, "returned")
    assert normalize("Exception", "Exception_Returned") == (st.RETURNED, "returned")
    assert normalize("Exception", "Exception_Damage") == (st.EXCEPTION, "damaged")
    assert normalize("Exception", "Exception_Security") == (st.EXCEPTION, "customs")
    assert normalize("Exception", "Exception_Delayed") == (st.EXCEPTION, "delay")
    assert normalize("Exception", "Exception_Other", "Parcel destroyed") == (st.EXCEPTION, "destroyed")
    assert normalize("DeliveryFailure", "DeliveryFailure_InvalidAddress") == (st.FAILED_ATTEMPT, "address")
    assert normalize("DeliveryFailure", "DeliveryFailure_Other") == (st.FAILED_ATTEMPT, "delivery_failed")
    assert normalize("Expired", "Expired_Other") == (st.EXPIRED, "")
    assert normalize(sub_status="InTransit_PickedUp") == (st.IN_TRANSIT, "")


def near(value, expected, seconds=120):
    return abs((value - expected).total_seconds()) < seconds


def test_batch_is_one_call_and_times_are_utc(sandbox):
    results = make_client(sandbox).track(["17A0DELIVERED", "17A0STALLED", "17A0LOST", "17A0RETURNED"])
    assert sandbox.state.requests["seventeen_track"] == 1
    delivered = results["17A0DELIVERED"]
    assert delivered.status == st.DELIVERED and near(delivered.delivered_at, datetime.utcnow() - timedelta(hours=26))
    assert near(delivered.events[0].occurred_at, datetime.utcnow() - timedelta(hours=150))
    stalled = results["17A0STALLED"]
    assert stalled.status == st.IN_TRANSIT and stalled.eta < datetime.utcnow()
    assert (datetime.utcnow() - stalled.events[-1].occurred_at).days >= 29
    assert (results["17A0LOST"].status, results["17A0LOST"].exception_kind) == (st.EXCEPTION, "lost")
    assert (results["17A0RETURNED"].status, results["17A0RETURNED"].exception_kind) == (st.RETURNED, "returned")


def test_forty_numbers_per_call(sandbox):
    numbers = [f"17B{i:02d}INTRANSIT" for i in range(45)]
    results = make_client(sandbox).track(numbers)
    assert all(results[n].status == st.IN_TRANSIT for n in numbers)
    assert sandbox.state.requests["seventeen_track"] == 2


def test_unregistered_number_is_registered_and_tracked_in_the_same_call(sandbox):
    results = make_client(sandbox).track(["17C0UNREGDELIVERED", "17C0INTRANSIT"])
    assert results["17C0UNREGDELIVERED"].status == st.DELIVERED
    assert results["17C0INTRANSIT"].status == st.IN_TRANSIT
    assert sandbox.state.requests["seventeen_track"] == 3  # gettrackinfo, register, gettrackinfo
    assert "17C0UNREGDELIVERED" in sandbox.state.seventeen_track["registered"]


def test_number_17track_cannot_register_is_not_found_without_retry(sandbox):
    waits = []
    result = make_client(sandbox, sleep=waits.append).track_one("17D0NOTFOUND")
    assert result.error_kind == ERROR_NOT_FOUND and "-18019903" in result.error
    assert waits == [] and sandbox.state.calls["17D0NOTFOUND"] == 2  # gettrackinfo + register, once each


def test_bad_key_is_an_auth_error_not_retried(sandbox):
    client = make_client(sandbox, credentials={"api_key": "wrong"})
    result = client.track_one("17E0DELIVERED")
    assert result.error_kind == ERROR_AUTH and "Access token is invalid" in result.error
    assert sandbox.state.calls["17E0DELIVERED"] == 0
    with pytest.raises(CarrierError):
        client.test_connection()
    assert make_client(sandbox).test_connection()


def test_429_is_retried_after_retry_after(sandbox):
    waits = []
    result = make_client(sandbox, sleep=waits.append).track_one("17F0FLAKY429")
    assert result.ok and result.status == st.IN_TRANSIT and waits == [1.0]


def test_persistent_500_timeout_and_malformed(sandbox):
    client = make_client(sandbox, max_attempts=3)
    down = client.track_one("17G0SERVERERROR")
    assert down.error_kind == ERROR_CARRIER_DOWN and "500" in down.error
    assert sandbox.state.calls["17G0SERVERERROR"] == 3
    quick = make_client(sandbox, timeout=(1, 0.5), max_attempts=1)
    assert quick.track_one("17G0TIMEOUT").error_kind == ERROR_CARRIER_DOWN
    assert quick.track_one("17G0MALFORMED").error_kind == ERROR_MALFORMED


def test_stop_and_retrack(sandbox):
    client = make_client(sandbox)
    assert client.stop_tracking(["17H0INTRANSIT"]) == {"17H0INTRANSIT": None}
    assert client.stop_tracking(["17H0INTRANSIT"])["17H0INTRANSIT"].kind == "config"
    assert client.retrack(["17H0INTRANSIT"]) == {"17H0INTRANSIT": None}


def test_registry_and_webhook_handlers():
    assert clients.get_client_class("seventeen_track") is SeventeenTrackClient
    assert clients.get_webhook_handlers("seventeen_track") == (verify_webhook, parse_webhook)


def test_wrong_base_url_is_a_configuration_error(sandbox):
    client = SeventeenTrackClient(
        base_url=sandbox.url + "/typo", credentials=KEY, rate_limit=1000, sleep=lambda s: None
    )
    result = client.track_one("17I0DELIVERED")
    assert result.error_kind == "config" and "/typo" in result.error
