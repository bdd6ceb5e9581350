from datetime import datetime, timedelta

import clients
import pytest
from clients import status as st
from clients.base import (
    ERROR_AUTH,
    ERROR_CARRIER_DOWN,
    ERROR_MALFORMED,
    ERROR_NOT_FOUND,
    ERROR_RATE_LIMITED,
)
from clients.usps import UspsClient, event_time, normalize

from ..conftest import load_fixture

CREDS = {"client_id": "sandbox-client", "client_secret": "sandbox-secret"}
SAMPLE_NUMBER = "9400109104250532908587"


def make_client(sandbox, sleep=None, **kwargs):
    return UspsClient(
        base_url=sandbox.url,
        credentials=kwargs.pop("credentials", CREDS),
        rate_limit=1000,
        sleep=sleep or (lambda s: None),
        **kwargs,
    )


def parse_sample(payload=None):
    payload = payload or load_fixture("karrio_usps_tracking_v3_response_delivered.json")
    return UspsClient(credentials=CREDS)._parse_tracking(SAMPLE_NUMBER, payload).finalize()


def test_real_sample_parses_events_status_and_delivery_in_utc():
    result = parse_sample()
    assert (result.status, result.raw_status, result.exception_kind) == (st.DELIVERED, "Delivered", "")
    assert len(result.events) == 12
    first, last = result.events[0], result.events[-1]
    assert (first.raw_code, first.status) == ("GX", st.INFO_RECEIVED)
    assert first.location == "SPRINGFIELD GARDENS, NY 11413"
    # eventTimestamp 13:58 local (GMTOffset -05:00); GMTTimestamp 18:58:40Z is the one kept.
    assert (last.raw_code, last.status, last.description) == ("01", st.DELIVERED, "Delivered, Parcel Locker")
    assert last.occurred_at == datetime(2024, 11, 22, 18, 58, 40)
    assert result.delivered_at == datetime(2024, 11, 22, 18, 58, 40)
    assert [e.status for e in result.events[-2:]] == [st.OUT_FOR_DELIVERY, st.DELIVERED]
    assert result.eta is None


def test_event_time_falls_back_to_local_time_and_offset():
    event = {"eventTimestamp": "2024-11-22T13:58:00", "GMTOffset": "-05:00"}
    assert event_time(event) == datetime(2024, 11, 22, 18, 58)
    assert event_time(dict(event, GMTOffset="-7:00")) == datetime(2024, 11, 22, 20, 58)  # the spec's own example
    assert event_time(dict(event, GMTOffset="+08:00")) == datetime(2024, 11, 22, 5, 58)
    assert event_time({"eventTimestamp": "2024-11-22T13:58:00"}) == datetime(2024, 11, 22, 13, 58)


def test_event_codes_and_words_give_exception_kinds():
    assert normalize("11", "Dead Letter") == (st.EXCEPTION, "lost")
    assert normalize("09", "Return to Sender Processed") == (st.RETURNING, "returned")
    assert normalize("01", "Delivered, To Original Sender") == (st.RETURNED, "returned")
    assert normalize("02", "Notice Left (No Authorized Recipient Available)") == (st.FAILED_ATTEMPT, "delivery_failed")
    assert normalize("04", "Refused") == (st.EXCEPTION, "delivery_failed")
    assert normalize("XX", "Item Damaged") == (st.EXCEPTION, "damaged")
    assert normalize("XX", "Held in Customs") == (st.EXCEPTION, "customs")
    assert normalize("A1", "Arrived at USPS Regional Facility") == (st.IN_TRANSIT, "")


def test_alert_category_without_known_event_is_an_exception():
    payload = load_fixture("karrio_usps_tracking_v3_response_delivered.json")
    payload.update(statusCategory="Alert", status="Awaiting Delivery Scan")
    payload["trackingEvents"] = payload["trackingEvents"][2:]  # last event: arrived at post office
    result = parse_sample(payload)
    assert (result.status, result.exception_kind, result.delivered_at) == (st.EXCEPTION, "other", None)


def test_delivered_parcel_over_http(sandbox):
    result = make_client(sandbox).track_one("94DELIVERED01")
    assert result.ok and result.status == st.DELIVERED
    assert [e.raw_code for e in result.events] == ["GX", "03", "10", "OF", "01"]
    # The sandbox's events are 26 h old, with local times at +01:00/+08:00: UTC must come back.
    assert abs(result.delivered_at - (datetime.utcnow() - timedelta(hours=26))) < timedelta(minutes=2)
    assert result.events == sorted(result.events, key=lambda e: e.occurred_at)


def test_stalled_parcel_last_event_is_old_and_eta_overdue(sandbox):
    result = make_client(sandbox).track_one("94STALLED01")
    assert result.status == st.IN_TRANSIT
    assert (datetime.utcnow() - result.events[-1].occurred_at).days >= 29
    assert result.eta < datetime.utcnow()


@pytest.mark.parametrize(
    "number, status, kind",
    [
        ("94LOST01", st.EXCEPTION, "lost"),
        ("94DAMAGED01", st.EXCEPTION, "damaged"),
        ("94DESTROYED01", st.EXCEPTION, "destroyed"),
        ("94CUSTOMS01", st.EXCEPTION, "customs"),
        ("94FAILED01", st.FAILED_ATTEMPT, "delivery_failed"),
        ("94RETURNING01", st.RETURNING, "returned"),
        ("94RETURNED01", st.RETURNED, "returned"),
    ],
)
def test_exceptions_and_returns_are_recognised(sandbox, number, status, kind):
    result = make_client(sandbox).track_one(number)
    assert (result.status, result.exception_kind) == (status, kind)
    assert result.events[-1].exception_kind == kind


def test_unknown_number_is_not_found_without_retry(sandbox):
    waits = []
    result = make_client(sandbox, sleep=waits.append).track_one("94NOTFOUND01")
    assert result.error_kind == ERROR_NOT_FOUND and "Tracking is not available" in result.error
    assert waits == [] and sandbox.state.calls["94NOTFOUND01"] == 1


def test_not_found_body_has_the_usps_error_shape(sandbox):
    client = make_client(sandbox)
    response = client._request("GET", "/tracking/v3/tracking/94NOTFOUND02", params={"expand": "DETAIL"})
    sample = load_fixture("karrio_usps_tracking_v3_error.json")
    assert response.status_code == 404
    assert set(response.json()) == set(sample)
    assert set(response.json()["error"]["errors"][0]) <= set(sample["error"]["errors"][0])


def test_bad_credentials_fail_once_with_the_carrier_message(sandbox):
    waits = []
    client = make_client(sandbox, sleep=waits.append, credentials={"client_id": "x", "client_secret": "y"})
    result = client.track_one("94DELIVERED02")
    message = load_fixture("karrio_usps_oauth_auth_error.json")["error_description"]
    assert result.error_kind == ERROR_AUTH and message in result.error
    assert sandbox.state.requests["usps"] == 1 and waits == []  # one token call, never the tracking call
    assert sandbox.state.calls["94DELIVERED02"] == 0


def test_token_is_cached_then_refreshed_once_on_401(sandbox):
    client = make_client(sandbox)
    for number in ("94INTRANSIT01", "94INTRANSIT02", "94INTRANSIT03"):
        assert client.track_one(number).ok
    assert len(sandbox.state.issued_tokens) == 1 and sandbox.state.requests["usps"] == 4
    sandbox.state.issued_tokens.clear()  # the carrier revokes the token before its expiry
    assert client.track_one("94INTRANSIT04").ok
    assert sandbox.state.requests["usps"] == 4 + 3  # refused call, new token, same call again
    assert len(sandbox.state.issued_tokens) == 1


def test_429_is_retried_after_the_carrier_delay(sandbox):
    waits = []
    result = make_client(sandbox, sleep=waits.append).track_one("94FLAKY42901")
    assert result.ok and result.status == st.IN_TRANSIT
    assert waits == [1.0] and sandbox.state.calls["94FLAKY42901"] == 2


def test_persistent_rate_limit_and_server_error_give_clear_errors(sandbox):
    waits = []
    client = make_client(sandbox, sleep=waits.append, max_attempts=3)
    limited = client.track_one("94RATELIMIT01")
    assert limited.error_kind == ERROR_RATE_LIMITED and "429" in limited.error
    down = client.track_one("94SERVERERROR01")
    assert down.error_kind == ERROR_CARRIER_DOWN and "503" in down.error
    assert sandbox.state.calls["94SERVERERROR01"] == 3
    assert waits == [1.0, 1.0, 2.0, 2.0]  # Retry-After of the 429s, then of the 503s


def test_timeout_and_malformed_answers(sandbox):
    client = make_client(sandbox, timeout=(1, 0.5), max_attempts=1)
    timed_out = client.track_one("94TIMEOUT01")
    assert timed_out.error_kind == ERROR_CARRIER_DOWN and "no answer" in timed_out.error
    assert client.track_one("94MALFORMED01").error_kind == ERROR_MALFORMED


def test_answer_without_tracking_details_is_malformed():
    with pytest.raises(clients.CarrierError) as caught:
        UspsClient(credentials=CREDS)._parse_tracking("9400", {"trackingEvents": "none"})
    assert caught.value.kind == ERROR_MALFORMED
    with pytest.raises(clients.CarrierError):  # the summary form, without events: not what was asked
        UspsClient(credentials=CREDS)._parse_tracking("9400", {"trackingNumber": "9400", "eventSummaries": []})


def test_registry_settings_and_link():
    assert clients.get_client_class("usps") is UspsClient
    assert UspsClient.default_rate_limit <= 60 / 3600 and UspsClient.batch_size == 1
    assert UspsClient.tracking_link("9400").endswith("tLabels=9400")
