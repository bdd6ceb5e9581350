from datetime import datetime

import clients
from clients import status as st
from clients.base import ERROR_AUTH, ERROR_CARRIER_DOWN, ERROR_MALFORMED, ERROR_NOT_FOUND, ERROR_RATE_LIMITED
from clients.dhl import DhlClient

from ..conftest import load_fixture

KEY = {"api_key": "sandbox-key"}


def make_client(sandbox, sleep=None, **kwargs):
    return DhlClient(
        base_url=sandbox.url,
        credentials=kwargs.pop("credentials", KEY),
        rate_limit=1000,
        sleep=sleep or (lambda s: None),
        **kwargs,
    )


def test_real_sample_parses_status_eta_and_customs_remark():
    payload = load_fixture("karrio_dhl_unified_track_shipments_response.json")
    result = DhlClient(credentials=KEY)._parse_shipment("7777777770", payload["shipments"][0], payload).finalize()
    assert result.status == st.INFO_RECEIVED
    assert result.exception_kind == "customs"
    assert result.eta == datetime(2018, 8, 3)
    (event,) = result.events
    assert event.occurred_at == datetime(2018, 3, 2, 7, 53, 47)
    assert event.raw_code == "pre-transit"
    assert event.location == "Oderweg 2, AMSTERDAM, 1043 AG, NL"


def test_delivered_parcel_over_http(sandbox):
    result = make_client(sandbox).track_one("JD0DELIVERED01")
    assert result.ok and result.status == st.DELIVERED
    assert result.delivered_at == result.events[-1].occurred_at
    assert [e.status for e in result.events][:2] == [st.INFO_RECEIVED, st.IN_TRANSIT]
    assert result.events == sorted(result.events, key=lambda e: e.occurred_at)


def test_stalled_parcel_last_event_is_old_and_eta_overdue(sandbox):
    result = make_client(sandbox).track_one("JD0STALLED01")
    assert result.status == st.IN_TRANSIT
    assert (datetime.utcnow() - result.events[-1].occurred_at).days >= 29
    assert result.eta < datetime.utcnow()


def test_lost_and_returned_parcels_are_recognised(sandbox):
    client = make_client(sandbox)
    lost = client.track_one("JD0LOST01")
    assert (lost.status, lost.exception_kind) == (st.EXCEPTION, "lost")
    returned = client.track_one("JD0RETURNED01")
    assert (returned.status, returned.exception_kind) == (st.RETURNED, "returned")


def test_unknown_number_is_not_found_without_retry(sandbox):
    waits = []
    result = make_client(sandbox, sleep=waits.append).track_one("JD0NOTFOUND")
    assert result.error_kind == ERROR_NOT_FOUND
    assert "No shipment with given tracking number found" in result.error
    assert waits == [] and sandbox.state.calls["JD0NOTFOUND"] == 1


def test_bad_key_is_an_auth_error_not_retried(sandbox):
    result = make_client(sandbox, credentials={"api_key": "wrong"}).track_one("JD0DELIVERED02")
    assert result.error_kind == ERROR_AUTH and "Invalid API key" in result.error
    assert sandbox.state.calls["JD0DELIVERED02"] == 0  # refused before the number was looked at


def test_429_is_retried_after_the_carrier_delay(sandbox):
    waits = []
    result = make_client(sandbox, sleep=waits.append).track_one("JD0FLAKY429")
    assert result.ok and result.status == st.IN_TRANSIT
    assert 1.0 in waits  # DHL's Retry-After: 1


def test_persistent_rate_limit_and_server_error_give_clear_errors(sandbox):
    client = make_client(sandbox, max_attempts=3)
    limited = client.track_one("JD0RATELIMIT")
    assert limited.error_kind == ERROR_RATE_LIMITED and "429" in limited.error
    down = client.track_one("JD0SERVERERROR")
    assert down.error_kind == ERROR_CARRIER_DOWN and "500" in down.error
    assert sandbox.state.calls["JD0SERVERERROR"] == 3


def test_timeout_and_malformed_answers(sandbox):
    client = make_client(sandbox, timeout=(1, 0.5), max_attempts=1)
    assert client.track_one("JD0TIMEOUT").error_kind == ERROR_CARRIER_DOWN
    assert client.track_one("JD0MALFORMED").error_kind == ERROR_MALFORMED


def test_registry_knows_dhl():
    assert clients.get_client_class("dhl") is DhlClient
