"""Faults, per provider, over real HTTP against the sandbox: every bad answer becomes a clear error on
the numbers it concerns, or is recovered from, and never raises."""

from datetime import datetime

import pytest
from clients import status as st
from clients.base import ERROR_CARRIER_DOWN, ERROR_MALFORMED, ERROR_RATE_LIMITED

from ..conftest import PROVIDERS, provider_client, scenario_number

ALL = sorted(PROVIDERS)
OAUTH_PROVIDERS = ["fedex", "ups", "usps"]
# Providers whose rate limit is an HTTP 429 with a wait (Retry-After, or AfterShip's X-RateLimit-Reset);
# SF Express and 4PX refuse inside a 200 answer, without a wait, and are retried with backoff.
HTTP_429 = ["aftership", "dhl", "fedex", "seventeen_track", "ups", "usps"]
BODY_LIMITED = ["fourpx", "sf_express"]


def client_for(sandbox, provider, **kwargs):
    waits = []
    return provider_client(sandbox, provider, sleep=waits.append, **kwargs), waits


@pytest.mark.parametrize("provider", ALL)
def test_timeout_is_carrier_down(sandbox, provider):
    client, _waits = client_for(sandbox, provider, timeout=0.5, max_attempts=1)
    result = client.track_one(scenario_number(provider, "TIMEOUT"))
    assert result.error_kind == ERROR_CARRIER_DOWN and "no answer within 0.5s" in result.error


@pytest.mark.parametrize("provider", HTTP_429)
def test_429_is_retried_after_the_wait_the_carrier_asks(sandbox, provider):
    client, waits = client_for(sandbox, provider)
    result = client.track_one(scenario_number(provider, "FLAKY429"))
    assert result.ok and result.status == st.IN_TRANSIT
    assert len(waits) == 1 and 0 < waits[0] <= 2  # Retry-After: 1 (AfterShip: the window's reset)


@pytest.mark.parametrize("provider", HTTP_429)
def test_429_longer_than_max_retry_wait_is_raised_at_once_with_the_wait(sandbox, provider):
    client, waits = client_for(sandbox, provider, max_retry_wait=0.1)
    number = scenario_number(provider, "RATELIMIT")
    result = client.track_one(number)
    assert result.error_kind == ERROR_RATE_LIMITED and "429" in result.error
    assert 0.1 < result.retry_after <= 2
    assert waits == [] and sandbox.state.calls[number] == 1


@pytest.mark.parametrize("provider", BODY_LIMITED)
def test_rate_limit_inside_a_200_answer_is_retried_with_backoff(sandbox, provider):
    client, waits = client_for(sandbox, provider, max_retry_wait=0.1)
    assert client.track_one(scenario_number(provider, "FLAKY429")).ok
    assert waits == [0.5]
    limited = client.track_one(scenario_number(provider, "RATELIMIT"))
    assert limited.error_kind == ERROR_RATE_LIMITED and limited.retry_after is None
    assert waits == [0.5, 0.5, 1.0, 2.0]  # no carrier wait to honour: max_retry_wait does not apply


@pytest.mark.parametrize("provider", ALL)
def test_server_error_is_retried_then_carrier_down(sandbox, provider):
    client, waits = client_for(sandbox, provider, max_attempts=3)
    number = scenario_number(provider, "SERVERERROR")
    result = client.track_one(number)
    assert result.error_kind == ERROR_CARRIER_DOWN
    assert sandbox.state.calls[number] == 3 and len(waits) == 2


@pytest.mark.parametrize("provider", ALL)
def test_flaky_server_error_recovers(sandbox, provider):
    client, _waits = client_for(sandbox, provider)
    assert client.track_one(scenario_number(provider, "FLAKY500")).ok


@pytest.mark.parametrize(
    "keyword, message",
    [
        ("HTMLBODY", "not JSON (HTTP 200, text/html)"),
        ("EMPTYBODY", "empty answer (HTTP 200)"),
        ("BADJSON", "not JSON (HTTP 200, application/json)"),
        ("HUGEBODY", "larger than 5 MB"),
    ],
)
@pytest.mark.parametrize("provider", ALL)
def test_unreadable_200_answers_are_malformed_without_retry(sandbox, provider, keyword, message):
    client, waits = client_for(sandbox, provider)
    number = scenario_number(provider, keyword)
    result = client.track_one(number)
    assert result.error_kind == ERROR_MALFORMED and message in result.error
    assert waits == [] and sandbox.state.calls[number] == 1


@pytest.mark.parametrize("provider", OAUTH_PROVIDERS)
def test_revoked_token_is_refreshed_once(sandbox, provider):
    client, waits = client_for(sandbox, provider)
    result = client.track_one(scenario_number(provider, "TOKENEXPIRED"))
    assert result.ok and result.status == st.IN_TRANSIT
    assert sandbox.state.requests[provider] == 4  # token, 401, new token, answer
    assert len(sandbox.state.issued_tokens) == 1 and waits == []


@pytest.mark.parametrize("provider", ALL)
def test_repeated_events_out_of_order_come_back_once_and_sorted(sandbox, provider):
    result = provider_client(sandbox, provider).track_one(scenario_number(provider, "DUPEVENTS"))
    assert result.ok
    times = [e.occurred_at for e in result.events]
    assert times == sorted(times) and len(set(times)) == len(times)
    assert len(times) == (3 if provider == "sf_express" else 4)  # SF lists no "info received" route


@pytest.mark.parametrize("provider", ALL)
def test_parcel_back_from_delivered_is_reported_as_the_carrier_says(sandbox, provider):
    result = provider_client(sandbox, provider).track_one(scenario_number(provider, "BACKFROMDELIVERED"))
    assert result.ok and result.status == st.IN_TRANSIT and result.delivered_at is None
    statuses = [e.status for e in result.events]
    assert st.DELIVERED in statuses and statuses[-1] == st.IN_TRANSIT
    assert result.events[-1].occurred_at < datetime.utcnow()


@pytest.mark.parametrize("provider", ALL)
def test_a_bad_chunk_does_not_stop_the_next_ones(sandbox, provider):
    """One chunk per number here: the first chunk's unreadable answer is its number's error, the next
    chunk is asked and read all the same (numbers sharing a chunk share its one HTTP answer)."""
    client = provider_client(sandbox, provider, max_attempts=1)
    client.batch_size = 1
    good, bad = scenario_number(provider, "DELIVERED", "B1"), scenario_number(provider, "HTMLBODY", "B1")
    results = client.track([bad, good])
    assert results[bad].error_kind == ERROR_MALFORMED
    assert results[good].ok and results[good].status == st.DELIVERED
