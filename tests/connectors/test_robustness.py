"""One bad answer never stops tracking: the base client's guarantees, over real HTTP against the sandbox.

These tests were written before the fix (issue "Reliability and security") and failed on the code of
the time: an OverflowError or a whitespace-only number escaped ``track``, numbers went unescaped into
URL paths and answers were read whatever their size.
"""

import logging
from datetime import datetime

import pytest
from clients import status as st
from clients.api import ApiClient
from clients.base import ERROR_CONFIG, ERROR_MALFORMED, ERROR_NOT_FOUND, normalize_tracking_number, to_utc
from clients.dhl import DhlClient
from clients.fedex import FedexClient
from clients.ups import UpsClient
from clients.usps import UspsClient

from ..conftest import load_fixture

OAUTH = {"client_id": "sandbox-client", "client_secret": "sandbox-secret"}
KEY = {"api_key": "sandbox-key"}


def make(cls, sandbox, credentials, **kwargs):
    return cls(base_url=sandbox.url, credentials=credentials, rate_limit=1000, sleep=lambda s: None, **kwargs)


@pytest.mark.parametrize(
    "value",
    [
        "0001-01-01",
        "0001-01-01T00:00:00",
        "0001-01-01T00:00:00+05:00",
        "1900-01-01T00:00:00Z",
        "9999-12-31T23:59:59-05:00",
    ],
)
def test_placeholder_dates_are_no_date(value):
    assert to_utc(value) is None


def test_fedex_placeholder_estimate_with_offset_is_no_date_not_an_error():
    """FedEx answer from the schema example (karrio fixture), its estimate set to a placeholder with offset."""
    payload = load_fixture("karrio_fedex_track_v1_response_schema_example.json")
    track = payload["output"]["completeTrackResults"][0]["trackResults"][0]
    track["dateAndTimes"] = [{"type": "ESTIMATED_DELIVERY", "dateTime": "0001-01-01T00:00:00+05:00"}]
    track["estimatedDeliveryTimeWindow"] = {"window": {"ends": "0001-01-01T00:00:00+05:00"}}
    result = FedexClient(credentials=OAUTH)._parse_entry(
        "123456789012", payload["output"]["completeTrackResults"][0], payload
    )
    assert result.ok and result.status == st.IN_TRANSIT
    assert result.eta != datetime(1, 1, 1)


def test_ups_placeholder_delivery_date_at_a_positive_offset_is_tracked(sandbox):
    """UPS gives "00010101" for the scheduled date, the activities at +01:00: the parcel is still tracked."""
    result = make(UpsClient, sandbox, OAUTH).track_one("1ZZERODATE01")
    assert result.ok and result.status == st.IN_TRANSIT
    assert (result.eta, result.promised_at) == (None, None)
    assert len(result.events) == 3


class ParserThatOverflows(DhlClient):
    """A DHL client whose parser meets an error type no client expects (as an OverflowError on a date)."""

    def _parse_shipment(self, number, shipment, payload):
        if "BROKEN" in number:
            raise OverflowError("date value out of range")
        return super()._parse_shipment(number, shipment, payload)


def test_an_unexpected_error_becomes_each_numbers_error_and_is_logged_without_credentials(sandbox, caplog):
    client = make(ParserThatOverflows, sandbox, KEY)
    with caplog.at_level(logging.WARNING, logger="clients"):
        results = client.track(["JD9BROKEN01", "JD9DELIVERED01"])
    broken = results["JD9BROKEN01"]
    assert broken.error_kind == ERROR_MALFORMED and "OverflowError" in broken.error
    assert results["JD9DELIVERED01"].ok and results["JD9DELIVERED01"].status == st.DELIVERED
    (record,) = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "OverflowError" in record.getMessage() and "Traceback" in record.getMessage()
    assert "sandbox-key" not in caplog.text


def test_blank_numbers_are_skipped_and_track_one_of_a_blank_is_a_clear_failure(sandbox):
    client = make(DhlClient, sandbox, KEY)
    results = client.track(["   ", "\t", "JD9DELIVERED02", None, ""])
    assert list(results) == ["JD9DELIVERED02"]
    blank = client.track_one("   ")
    assert blank.error_kind == ERROR_CONFIG and "empty" in blank.error.lower()
    assert sandbox.state.requests["dhl"] == 1


@pytest.mark.parametrize("cls", [UpsClient, UspsClient])
def test_numbers_are_escaped_in_url_paths(sandbox, cls):
    number = "94 DELIVERED/1?x=1#2"
    result = make(cls, sandbox, OAUTH).track_one(f"  {number} ")
    assert sandbox.state.path_numbers == [number]
    assert result.tracking_number == number
    if cls is UspsClient:
        assert result.ok and result.status == st.DELIVERED
    else:  # UPS refuses such an inquiry number (TV1002), as the real API does
        assert result.error_kind == ERROR_NOT_FOUND


def test_answers_larger_than_the_cap_are_not_read(sandbox):
    client = make(DhlClient, sandbox, KEY, max_attempts=1)
    assert ApiClient.max_response_bytes == 5 * 1024 * 1024
    result = client.track_one("JD9HUGEBODY01")
    assert result.error_kind == ERROR_MALFORMED and "larger than 5 MB" in result.error


def test_results_keep_the_number_as_asked_when_the_carrier_spells_it_otherwise(sandbox):
    """The FedEx sandbox answers with its own spelling (upper case): each result stays under the number
    as asked (stripped), which callers map back with normalize_tracking_number."""
    results = make(FedexClient, sandbox, OAUTH).track([" fx9intransit01 ", "FX9DELIVERED01"])
    assert set(results) == {"fx9intransit01", "FX9DELIVERED01"}
    assert results["fx9intransit01"].ok and results["fx9intransit01"].tracking_number == "fx9intransit01"
    assert normalize_tracking_number(" fx9 intransit01") == "FX9INTRANSIT01"
