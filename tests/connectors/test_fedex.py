import copy
from datetime import datetime, timedelta

import clients
import pytest
import requests
from clients import status as st
from clients.base import (
    ERROR_AUTH,
    ERROR_CARRIER_DOWN,
    ERROR_MALFORMED,
    ERROR_NOT_FOUND,
    ERROR_RATE_LIMITED,
)
from clients.fedex import FedexClient, normalize

from ..conftest import load_fixture

CREDS = {"client_id": "sandbox-client", "client_secret": "sandbox-secret"}


def make_client(sandbox, sleep=None, **kwargs):
    return FedexClient(
        base_url=sandbox.url,
        credentials=kwargs.pop("credentials", CREDS),
        rate_limit=1000,
        sleep=sleep or (lambda s: None),
        **kwargs,
    )


def parse_sample(payload=None):
    payload = payload or load_fixture("karrio_fedex_track_v1_response_schema_example.json")
    client = FedexClient(credentials=CREDS)
    entries = payload["output"]["completeTrackResults"]
    return {e["trackingNumber"]: client._parse_entry(e["trackingNumber"], e, payload) for e in entries}


def test_request_body_is_the_documented_one():
    sample = load_fixture("karrio_fedex_track_v1_request.json")
    assert FedexClient.request_body(["399368623212", "39936862321"]) == sample


def test_real_sample_parses_the_found_number_and_the_not_found_one():
    results = parse_sample()
    found, missing = results["123456789012"].finalize(), results["39936862321"]
    assert (found.status, found.raw_status, found.exception_kind) == (st.IN_TRANSIT, "PU", "")
    (event,) = found.events
    assert event.occurred_at == datetime(2018, 2, 2, 19, 1)  # 12:01 at -07:00
    assert event.raw_code == "PU/A25"
    assert event.description == "Picked Up - Package available for clearance"
    assert event.location == "SEATTLE, WA 98101, US"
    assert found.eta == datetime(2021, 10, 15, 6, 0)  # estimated window end, -06:00
    assert found.delivered_at is None  # ACTUAL_DELIVERY of a parcel not delivered is ignored
    assert missing.error_kind == ERROR_NOT_FOUND and "cannot be found" in missing.error


def returned_parcel(delivered_back=False):
    """A FedEx answer in the shape FedEx's own sandbox gives for its mock return to shipper
    (076288115212522): each scan's ``derivedStatusCode`` is a coarse summary of its ``eventType``
    (OD and HP derived IT, RS derived DL), and the latest status is a delivery exception whose
    reason 060G says the parcel is returning to its shipper."""
    where = {"city": "GRIMES", "stateOrProvinceCode": "IA", "countryCode": "US"}

    def scan(date, event_type, derived, description, exception=""):
        return {
            "date": date,
            "eventType": event_type,
            "eventDescription": description,
            "exceptionCode": "060G" if exception else "",
            "exceptionDescription": exception,
            "scanLocation": where,
            "derivedStatusCode": derived,
        }

    returning = "Shipper requested shipment to be returned - Unable to deliver shipment - Returning to shipper"
    scans = [
        scan("2014-01-15T08:32:31-06:00", "RS", "DL", "Returning package to shipper", returning),
        scan("2014-01-15T05:44:00-06:00", "OD", "IT", "On FedEx vehicle for delivery"),
        scan("2014-01-14T16:17:00-06:00", "HP", "IT", "Ready for recipient pickup"),
        scan("2014-01-10T15:25:00-05:00", "OC", "IN", "Shipment information sent to FedEx"),
    ]
    latest = {
        "code": "DE",
        "derivedCode": "DE",
        "description": "Delivery exception",
        "ancillaryDetails": [{"reason": "060G", "reasonDescription": returning}],
    }
    if delivered_back:
        scans.insert(0, scan("2014-01-18T10:02:00-05:00", "DL", "DL", "Delivered"))
        latest = {"code": "DL", "derivedCode": "DL", "description": "Delivered"}
    track = {"trackingNumberInfo": {"trackingNumber": "076288115212522"}, "latestStatusDetail": latest}
    payload = {"output": {"completeTrackResults": [{"trackingNumber": "076288115212522", "trackResults": [track]}]}}
    track["scanEvents"] = scans
    return parse_sample(payload)["076288115212522"].finalize()


def test_a_scan_is_read_by_its_type_not_by_its_derived_status():
    """A return to shipper derived DL was read as a delivery: a parcel on its way back looked delivered
    (and once back at the shipper, delivered to the customer); an OD scan derived IT hid the day out
    for delivery."""
    result = returned_parcel()
    statuses = {event.raw_code.split("/")[0]: event.status for event in result.events}
    assert statuses == {
        "OC": st.INFO_RECEIVED,
        "HP": st.AVAILABLE_FOR_PICKUP,
        "OD": st.OUT_FOR_DELIVERY,
        "RS": st.RETURNING,
    }
    assert (result.status, result.exception_kind) == (st.RETURNING, "returned")
    assert result.delivered_at is None
    back = returned_parcel(delivered_back=True)
    assert (back.status, back.exception_kind, back.delivered_at) == (st.RETURNED, "returned", None)


def test_delivery_and_estimate_dates():
    payload = load_fixture("karrio_fedex_track_v1_response_schema_example.json")
    track = payload["output"]["completeTrackResults"][0]["trackResults"][0]
    track["latestStatusDetail"].update(code="DL", derivedCode="DL")
    track["dateAndTimes"] = [{"type": "ACTUAL_DELIVERY", "dateTime": "2018-02-03T10:15:00-05:00"}]
    delivered = parse_sample(copy.deepcopy(payload))["123456789012"].finalize()
    assert (delivered.status, delivered.delivered_at) == (st.DELIVERED, datetime(2018, 2, 3, 15, 15))
    track["latestStatusDetail"].update(code="IT", derivedCode="IT")
    track["dateAndTimes"] = [{"type": "ESTIMATED_DELIVERY", "dateTime": "2018-02-05T20:00:00+01:00"}]
    moving = parse_sample(payload)["123456789012"]
    assert (moving.eta, moving.delivered_at) == (datetime(2018, 2, 5, 19, 0), None)


def test_a_broken_entry_spoils_only_its_own_number():
    payload = load_fixture("karrio_fedex_track_v1_response_schema_example.json")
    payload["output"]["completeTrackResults"][0]["trackResults"][0]["scanEvents"][0]["date"] = "yesterday"
    results = parse_sample(payload)
    assert results["123456789012"].error_kind == ERROR_MALFORMED
    assert results["39936862321"].error_kind == ERROR_NOT_FOUND


@pytest.mark.parametrize(
    "code, texts, expected",
    [
        ("DL", ["Delivered"], (st.DELIVERED, "")),
        (
            "DE",
            ["Delivery exception", "Customer not available or business closed"],
            (st.FAILED_ATTEMPT, "delivery_failed"),
        ),
        ("DE", ["Delivery exception", "Refused by recipient"], (st.FAILED_ATTEMPT, "delivery_failed")),
        ("DE", ["Delivery exception", "Incorrect address"], (st.FAILED_ATTEMPT, "address")),
        ("SE", ["Shipment exception", "Package damaged"], (st.EXCEPTION, "damaged")),
        ("SE", ["Shipment exception", "Unable to locate package"], (st.EXCEPTION, "lost")),
        ("SE", ["Shipment exception", "Package destroyed"], (st.EXCEPTION, "destroyed")),
        ("SE", ["Shipment exception"], (st.EXCEPTION, "other")),
        ("RS", ["Return to shipper"], (st.RETURNING, "returned")),
        ("CD", ["Clearance delay"], (st.EXCEPTION, "customs")),
        ("RL", ["Running late"], (st.EXCEPTION, "delay")),
        ("PU", ["Picked up", "Package available for clearance"], (st.IN_TRANSIT, "")),
        ("HP", ["Ready for recipient pickup"], (st.AVAILABLE_FOR_PICKUP, "")),
        ("ZZ", [], (st.UNKNOWN, "")),
    ],
)
def test_vendor_codes_map_to_status_and_kind(code, texts, expected):
    assert normalize(code, texts) == expected


def test_delivered_parcel_over_http(sandbox):
    result = make_client(sandbox).track_one("FXDELIVERED01")
    assert result.ok and result.status == st.DELIVERED
    assert [e.status for e in result.events][:2] == [st.INFO_RECEIVED, st.IN_TRANSIT]
    assert abs(result.delivered_at - (datetime.utcnow() - timedelta(hours=26))) < timedelta(minutes=2)
    assert result.delivered_at == result.events[-1].occurred_at  # ACTUAL_DELIVERY (+01:00) and the scan agree


def test_stalled_parcel_last_event_is_old_and_eta_overdue(sandbox):
    result = make_client(sandbox).track_one("FXSTALLED01")
    assert result.status == st.IN_TRANSIT
    assert (datetime.utcnow() - result.events[-1].occurred_at).days >= 29
    assert result.eta.hour == 18 and result.eta < datetime.utcnow()


@pytest.mark.parametrize(
    "number, status, kind",
    [
        ("FXLOST01", st.EXCEPTION, "lost"),
        ("FXDAMAGED01", st.EXCEPTION, "damaged"),
        ("FXDESTROYED01", st.EXCEPTION, "destroyed"),
        ("FXCUSTOMS01", st.EXCEPTION, "customs"),
        ("FXFAILED01", st.FAILED_ATTEMPT, "delivery_failed"),
        ("FXRETURNING01", st.RETURNING, "returned"),
        ("FXRETURNED01", st.RETURNED, "returned"),
    ],
)
def test_exceptions_and_returns_are_recognised(sandbox, number, status, kind):
    result = make_client(sandbox).track_one(number)
    assert (result.status, result.exception_kind) == (status, kind)


def test_batch_of_35_takes_two_calls_and_isolates_the_unknown_number(sandbox):
    waits = []
    numbers = [f"FXINTRANSIT{i:02d}" for i in range(34)] + ["FXNOTFOUND01"]
    results = make_client(sandbox, sleep=waits.append).track(numbers)
    assert sandbox.state.requests["fedex"] == 1 + 2  # one token, 30 + 5 numbers
    assert results["FXNOTFOUND01"].error_kind == ERROR_NOT_FOUND
    assert all(results[n].ok and results[n].status == st.IN_TRANSIT for n in numbers[:-1])
    assert waits == [] and sandbox.state.calls["FXNOTFOUND01"] == 1


def test_bad_credentials_fail_once_with_the_carrier_message(sandbox):
    waits = []
    client = make_client(sandbox, sleep=waits.append, credentials={"client_id": "x", "client_secret": "y"})
    results = client.track(["FXDELIVERED02", "FXDELIVERED03"])
    assert {r.error_kind for r in results.values()} == {ERROR_AUTH}
    assert "client credentials were not valid" in results["FXDELIVERED02"].error
    assert sandbox.state.requests["fedex"] == 1 and waits == []


def test_token_is_cached_then_refreshed_once_on_401(sandbox):
    client = make_client(sandbox)
    for number in ("FXINTRANSIT91", "FXINTRANSIT92", "FXINTRANSIT93"):
        assert client.track_one(number).ok
    assert len(sandbox.state.issued_tokens) == 1 and sandbox.state.requests["fedex"] == 4
    sandbox.state.issued_tokens.clear()
    assert client.track_one("FXINTRANSIT94").ok
    assert sandbox.state.requests["fedex"] == 4 + 3
    assert len(sandbox.state.issued_tokens) == 1


def test_sandbox_error_bodies_have_the_fedex_shape(sandbox):
    token = make_client(sandbox)._access_token()
    url = f"{sandbox.url}/track/v1/trackingnumbers"
    response = requests.post(url, json={"trackingInfo": []}, headers={"Authorization": f"Bearer {token}"})
    sample = load_fixture("karrio_fedex_track_v1_error.json")
    assert response.status_code == 400 and set(response.json()) <= set(sample)
    assert response.json()["errors"] == sample["errors"]  # TRACKING.TRACKINGNUMBER.EMPTY


def test_429_is_retried_after_the_carrier_delay(sandbox):
    waits = []
    result = make_client(sandbox, sleep=waits.append).track_one("FXFLAKY42901")
    assert result.ok and result.status == st.IN_TRANSIT
    assert waits == [1.0] and sandbox.state.calls["FXFLAKY42901"] == 2


def test_persistent_rate_limit_and_server_error_give_clear_errors(sandbox):
    client = make_client(sandbox, max_attempts=3)
    limited = client.track_one("FXRATELIMIT01")
    assert limited.error_kind == ERROR_RATE_LIMITED and "429" in limited.error
    results = client.track(["FXSERVERERROR01", "FXINTRANSIT50"])  # one bad number fails its whole call
    assert {r.error_kind for r in results.values()} == {ERROR_CARRIER_DOWN}
    assert "500" in results["FXINTRANSIT50"].error and sandbox.state.calls["FXSERVERERROR01"] == 3


def test_timeout_and_malformed_answers(sandbox):
    client = make_client(sandbox, timeout=(1, 0.5), max_attempts=1)
    assert client.track_one("FXTIMEOUT01").error_kind == ERROR_CARRIER_DOWN
    assert client.track_one("FXMALFORMED01").error_kind == ERROR_MALFORMED


def test_registry_settings_and_link():
    assert clients.get_client_class("fedex") is FedexClient
    assert FedexClient.batch_size == 30
    assert FedexClient.tracking_link("7946").endswith("trknbr=7946")
