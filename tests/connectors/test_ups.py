import json
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
    CarrierError,
)
from clients.ups import UpsClient, activity_time, normalize

from ..conftest import load_fixture

CREDS = {"client_id": "sandbox-client", "client_secret": "sandbox-secret"}
SAMPLE_NUMBER = "1Z023E2X0214323462"


def make_client(sandbox, sleep=None, **kwargs):
    return UpsClient(
        base_url=sandbox.url,
        credentials=kwargs.pop("credentials", CREDS),
        rate_limit=1000,
        sleep=sleep or (lambda s: None),
        **kwargs,
    )


def parse(payload):
    return UpsClient(credentials=CREDS)._parse_payload(SAMPLE_NUMBER, payload).finalize()


def fake_response(status, payload):
    response = requests.Response()
    response.status_code, response._content = status, json.dumps(payload).encode()
    return response


def test_real_sample_parses_activity_codes_and_location():
    result = parse(load_fixture("karrio_ups_track_v1_response.json"))
    # type X (exception) with code SR and status 003: an exception the tables do not name further.
    assert (result.status, result.exception_kind, result.raw_status) == (st.EXCEPTION, "other", "X/SR/003")
    (event,) = result.events
    # No gmt fields: local time at the activity's place, Wayne NJ (EST, -05:00 in February).
    assert event.occurred_at == datetime(2021, 2, 10, 12, 13, 56)
    assert event.raw_code == "X/SR/003"
    assert event.description == "Your package was released by the customs agency."
    assert event.location == "Wayne, NJ 07470, US"
    assert result.eta is None and result.delivered_at is None  # deliveryDate "string" placeholders ignored


def test_activity_times_use_gmt_then_offset():
    activity = {"date": "20210210", "time": "071356"}
    assert activity_time(activity) == datetime(2021, 2, 10, 7, 13, 56)
    assert activity_time(dict(activity, gmtOffset="-05:00")) == datetime(2021, 2, 10, 12, 13, 56)
    assert activity_time(dict(activity, gmtOffset="+09:30")) == datetime(2021, 2, 9, 21, 43, 56)
    # gmtTime comes without its leading zero ("74700", the spec's example).
    assert activity_time(dict(activity, gmtDate="20210210", gmtTime="74700")) == datetime(2021, 2, 10, 7, 47)
    with pytest.raises(CarrierError) as caught:
        activity_time({"date": "2021-02-10", "time": "7:13"})
    assert caught.value.kind == ERROR_MALFORMED


def delivered_package():
    """A UPS answer in the shape UPS gives it (a real answer of 2024): ``gmtTime`` as HH:MM:SS, and a
    ``currentStatus`` with only a description and its status code in ``code``."""

    def activity(kind, code, number, description, local, gmt_date, gmt_time):
        return {
            "location": {"address": {"city": "NEWARK", "stateProvince": "CA", "countryCode": "US", "country": "US"}},
            "status": {"type": kind, "description": description, "code": code, "statusCode": number},
            "date": "20240202",
            "time": local,
            "gmtDate": gmt_date,
            "gmtOffset": "-08:00",
            "gmtTime": gmt_time,
        }

    package = {
        "trackingNumber": SAMPLE_NUMBER,
        "deliveryDate": [{"type": "DEL", "date": "20240202"}],
        "deliveryTime": {"type": "DEL", "endTime": "120435"},
        "activity": [
            activity("D", "FS", "011", "DELIVERED ", "120435", "20240202", "20:04:35"),
            activity("I", "OT", "021", "Out For Delivery Today", "084714", "20240202", "16:47:14"),
        ],
        "currentStatus": {"description": "Delivered", "code": "011"},
    }
    return {"trackResponse": {"shipment": [{"inquiryNumber": SAMPLE_NUMBER, "package": [package]}]}}


def test_a_real_answer_with_gmt_times_and_a_short_current_status_is_read():
    """Each activity's gmtTime "20:04:35" made the whole parcel a malformed answer (no event, no
    status), and a currentStatus without statusCode was an unknown status."""
    result = parse(delivered_package())
    assert [(e.occurred_at, e.status) for e in result.events] == [
        (datetime(2024, 2, 2, 16, 47, 14), st.OUT_FOR_DELIVERY),
        (datetime(2024, 2, 2, 20, 4, 35), st.DELIVERED),
    ]
    assert (result.status, result.raw_status) == (st.DELIVERED, "011")
    assert result.delivered_at == datetime(2024, 2, 2, 20, 4, 35)
    assert activity_time({"gmtDate": "2023-11-30", "gmtTime": "21:43:40"}) == datetime(2023, 11, 30, 21, 43, 40)
    # Back at the shipper: the current status says so where the last activity is a delivery.
    assert normalize({"description": "Returned to Sender", "code": "034"}) == (st.RETURNED, "returned")
    assert normalize({"type": "X", "code": "26"}) == (st.EXCEPTION, "lost")  # an exception code stays one


def test_freight_handed_to_the_origin_station_is_not_delivered():
    """Activity type DO is "Delivered Origin CFS (Freight Only)" (UPS's activity types): it was read
    as a delivery, which ended the tracking at the origin."""
    assert normalize({"type": "DO", "description": "Delivered Origin CFS"}) == (st.IN_TRANSIT, "")
    assert normalize({"type": "D"}) == (st.DELIVERED, "")


def test_delivery_dates_give_eta_and_delivered_date_in_utc():
    payload = load_fixture("karrio_ups_track_v1_response.json")
    package = payload["trackResponse"]["shipment"][0]["package"][0]
    package["activity"][0].update(gmtOffset="-05:00", status={"type": "I", "code": "AR", "statusCode": "005"})
    package["currentStatus"] = package["activity"][0]["status"]
    package["deliveryDate"] = [{"type": "SDD", "date": "20210212"}, {"type": "RDD", "date": "20210215"}]
    package["deliveryTime"] = {"type": "EOD", "endTime": "190000"}
    result = parse(payload)
    assert result.status == st.IN_TRANSIT
    assert result.eta == datetime(2021, 2, 16, 0, 0)  # rescheduled date wins; 19:00 at -05:00
    delivered = {"type": "D", "code": "FS", "statusCode": "011", "description": "DELIVERED"}
    package["activity"][0]["status"] = package["currentStatus"] = delivered
    package["deliveryDate"] = [{"type": "DEL", "date": "20210210"}]
    package["deliveryTime"] = {"type": "DEL", "endTime": "071356"}
    result = parse(payload)
    assert result.status == st.DELIVERED and result.eta is None
    assert result.delivered_at == datetime(2021, 2, 10, 12, 13, 56)


@pytest.mark.parametrize(
    "status, expected",
    [
        ({"type": "X", "code": "S9", "statusCode": "068"}, (st.EXCEPTION, "lost")),
        ({"type": "X", "code": "UO", "statusCode": "129"}, (st.EXCEPTION, "lost")),
        ({"type": "I", "statusCode": "130"}, (st.EXCEPTION, "lost")),  # claim in progress
        ({"type": "X", "code": "", "statusCode": "068"}, (st.EXCEPTION, "lost")),  # sent to lost and found
        ({"type": "X", "code": "ZZZ", "statusCode": "081"}, (st.RETURNED, "damaged")),
        ({"type": "X", "code": "HR", "statusCode": "059"}, (st.EXCEPTION, "damaged")),
        ({"type": "X", "code": "ZZZ", "statusCode": "149"}, (st.EXCEPTION, "destroyed")),
        ({"type": "RS", "code": "UA", "statusCode": "034"}, (st.RETURNED, "returned")),
        ({"type": "X", "code": "UF", "statusCode": "035"}, (st.RETURNING, "returned")),
        ({"type": "X", "code": "5", "statusCode": "126"}, (st.EXCEPTION, "customs")),
        ({"type": "X", "code": "48", "statusCode": "022"}, (st.FAILED_ATTEMPT, "delivery_failed")),
        ({"type": "D", "code": "FS", "statusCode": "011"}, (st.DELIVERED, "")),
        ({"type": "M", "code": "MP"}, (st.INFO_RECEIVED, "")),
        ({"type": "X", "code": "??"}, (st.EXCEPTION, "other")),
        ({"type": "NA"}, (st.UNKNOWN, "")),
    ],
)
def test_vendor_codes_map_to_status_and_kind(status, expected):
    assert normalize(status) == expected


def test_tw0001_warning_and_tv1002_error_are_not_found():
    with pytest.raises(CarrierError) as caught:
        parse(load_fixture("karrio_ups_track_v1_warning_TW0001_not_found.json"))
    assert caught.value.kind == ERROR_NOT_FOUND and "Tracking Information Not Found" in caught.value.message
    error = UpsClient(credentials=CREDS)._error_from_response(
        fake_response(400, load_fixture("karrio_ups_track_v1_error_TV1002.json"))
    )
    assert error.kind == ERROR_NOT_FOUND and "Invalid inquiry number" in error.message
    other = UpsClient(credentials=CREDS)._error_from_response(fake_response(400, {"response": {"errors": []}}))
    assert other.kind == ERROR_MALFORMED


def test_delivered_parcel_over_http(sandbox):
    result = make_client(sandbox).track_one("1ZDELIVERED01")
    assert result.ok and result.status == st.DELIVERED
    assert [e.raw_code for e in result.events][-1] == "D/FS/011"
    assert abs(result.delivered_at - (datetime.utcnow() - timedelta(hours=26))) < timedelta(minutes=2)


def test_stalled_parcel_last_event_is_old_and_eta_overdue(sandbox):
    result = make_client(sandbox).track_one("1ZSTALLED01")
    assert result.status == st.IN_TRANSIT
    assert (datetime.utcnow() - result.events[-1].occurred_at).days >= 29
    # SDD 18:00 UTC given as 19:00 local at +01:00: converted back.
    assert result.eta.hour == 18 and result.eta < datetime.utcnow()


@pytest.mark.parametrize(
    "number, status, kind",
    [
        ("1ZLOST01", st.EXCEPTION, "lost"),
        ("1ZDAMAGED01", st.EXCEPTION, "damaged"),
        ("1ZDESTROYED01", st.EXCEPTION, "destroyed"),
        ("1ZCUSTOMS01", st.EXCEPTION, "customs"),
        ("1ZFAILED01", st.FAILED_ATTEMPT, "delivery_failed"),
        ("1ZRETURNING01", st.RETURNING, "returned"),
        ("1ZRETURNED01", st.RETURNED, "returned"),
        ("1ZPICKUP01", st.AVAILABLE_FOR_PICKUP, ""),
    ],
)
def test_exceptions_and_returns_are_recognised(sandbox, number, status, kind):
    result = make_client(sandbox).track_one(number)
    assert (result.status, result.exception_kind) == (status, kind)


def test_unknown_and_invalid_numbers_are_not_found_without_retry(sandbox):
    waits = []
    client = make_client(sandbox, sleep=waits.append)
    unknown = client.track_one("1ZNOTFOUND01")
    assert unknown.error_kind == ERROR_NOT_FOUND and "TW0001" in unknown.error
    invalid = client.track_one("BAD")  # HTTP 400 TV1002
    assert invalid.error_kind == ERROR_NOT_FOUND and "Invalid inquiry number" in invalid.error
    assert waits == [] and sandbox.state.requests["ups"] == 3  # one token, one call per number


def test_bad_credentials_fail_once_with_the_carrier_message(sandbox):
    waits = []
    client = make_client(sandbox, sleep=waits.append, credentials={"client_id": "x", "client_secret": "y"})
    result = client.track_one("1ZDELIVERED02")
    assert result.error_kind == ERROR_AUTH and "ClientId is Invalid" in result.error
    assert sandbox.state.requests["ups"] == 1 and waits == []
    assert sandbox.state.calls["1ZDELIVERED02"] == 0


def test_token_is_cached_then_refreshed_once_on_401(sandbox):
    client = make_client(sandbox)
    for number in ("1ZINTRANSIT01", "1ZINTRANSIT02", "1ZINTRANSIT03"):
        assert client.track_one(number).ok
    assert len(sandbox.state.issued_tokens) == 1 and sandbox.state.requests["ups"] == 4
    sandbox.state.issued_tokens.clear()
    assert client.track_one("1ZINTRANSIT04").ok
    assert sandbox.state.requests["ups"] == 4 + 3
    assert len(sandbox.state.issued_tokens) == 1


def test_sandbox_error_bodies_have_the_ups_shape(sandbox):
    sample = load_fixture("karrio_ups_auth_error.json")
    response = requests.get(f"{sandbox.url}/api/track/v1/details/1ZDELIVERED03", headers={"Authorization": "Bearer x"})
    assert response.status_code == 401
    assert set(response.json()["response"]["errors"][0]) == set(sample["response"]["errors"][0])


def test_429_is_retried_after_the_carrier_delay(sandbox):
    waits = []
    result = make_client(sandbox, sleep=waits.append).track_one("1ZFLAKY42901")
    assert result.ok and result.status == st.IN_TRANSIT
    assert waits == [1.0] and sandbox.state.calls["1ZFLAKY42901"] == 2


def test_persistent_rate_limit_and_server_error_give_clear_errors(sandbox):
    waits = []
    client = make_client(sandbox, sleep=waits.append, max_attempts=3)
    limited = client.track_one("1ZRATELIMIT01")
    assert limited.error_kind == ERROR_RATE_LIMITED and "429" in limited.error
    down = client.track_one("1ZSERVERERROR01")
    assert down.error_kind == ERROR_CARRIER_DOWN and "500" in down.error and "Internal server error" in down.error
    assert sandbox.state.calls["1ZSERVERERROR01"] == 3
    assert waits == [1.0, 1.0, 0.5, 1.0]  # Retry-After, then exponential backoff


def test_timeout_and_malformed_answers(sandbox):
    client = make_client(sandbox, timeout=(1, 0.5), max_attempts=1)
    assert client.track_one("1ZTIMEOUT01").error_kind == ERROR_CARRIER_DOWN
    malformed = client.track_one("1ZMALFORMED01")
    assert malformed.error_kind == ERROR_MALFORMED and "unreadable date" in malformed.error


def test_registry_settings_and_link():
    assert clients.get_client_class("ups") is UpsClient
    assert UpsClient.tracking_link("1Z9").endswith("tracknum=1Z9")
