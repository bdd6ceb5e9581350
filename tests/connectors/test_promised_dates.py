"""Promised delivery dates and latest estimates, per provider, from each provider's documented fields.

Where no real payload with these fields exists, the answers are built from the provider's published
schema (its example values, or a real sample of another state with the documented fields added): each
test's docstring names the schema. Then every provider over HTTP against the sandbox: ``LATE`` (first
promise passed 4 days ago, estimate moved 3 days ahead) and ``NOPROMISE`` (the date only in the
provider's secondary field, 3 days ago).
"""

import copy
from datetime import datetime, timedelta

import pytest
from clients import status as st
from clients.aftership import parse_tracking
from clients.dhl import DhlClient
from clients.fedex import FedexClient
from clients.seventeen_track import parse_track_info
from clients.ups import UpsClient
from clients.usps import UspsClient

from ..conftest import API_KEY as KEY
from ..conftest import OAUTH, PROVIDERS, load_fixture, provider_client, scenario_number


# ------------------------------------------------------------------------------------------- FedEx
def fedex_track(**changes):
    """The FedEx schema example (karrio fixture, vendor OpenAPI ``TrackResult``), with ``changes``."""
    payload = load_fixture("karrio_fedex_track_v1_response_schema_example.json")
    entry = payload["output"]["completeTrackResults"][0]
    entry["trackResults"][0].update(changes)
    return FedexClient(credentials=OAUTH)._parse_entry("123456789012", entry, payload).finalize()


def test_fedex_schema_example_gives_promise_and_estimate_with_their_fields():
    result = fedex_track()
    # Both windows end 2021-10-15T00:00:00-06:00 in the example.
    assert (result.promised_at, result.promise_source) == (
        datetime(2021, 10, 15, 6, 0),
        "standardTransitTimeWindow.window.ends",
    )
    assert (result.eta, result.eta_source) == (datetime(2021, 10, 15, 6, 0), "estimatedDeliveryTimeWindow.window.ends")


def test_fedex_late_parcel_with_an_empty_estimate_window_keeps_its_promise():
    """The answer FedEx gives a parcel running late (issue "Detection that reads real carriers right"):
    ``estimatedDeliveryTimeWindow`` without dates, the promise only in ``standardTransitTimeWindow``."""
    result = fedex_track(
        estimatedDeliveryTimeWindow={"window": {}},
        standardTransitTimeWindow={"window": {"ends": "2021-10-15T00:00:00-06:00"}},
        dateAndTimes=[{"type": "ACTUAL_PICKUP", "dateTime": "2021-10-10T09:00:00-06:00"}],
    )
    assert (result.promised_at, result.promise_source) == (
        datetime(2021, 10, 15, 6, 0),
        "standardTransitTimeWindow.window.ends",
    )
    assert (result.eta, result.eta_source) == (result.promised_at, "standardTransitTimeWindow.window.ends")


def test_fedex_date_types_commitment_appointment_and_estimate():
    """``dateAndTimes[].type`` values of the vendor OpenAPI ``TrackingDateAndTime`` enum."""
    dates = [
        {"type": "COMMITMENT", "dateTime": "2021-10-12T20:00:00-05:00"},
        {"type": "ESTIMATED_DELIVERY", "dateTime": "2021-10-14T20:00:00-05:00"},
        {"type": "APPOINTMENT_DELIVERY", "dateTime": "2021-10-16T10:00:00-05:00"},
    ]
    result = fedex_track(dateAndTimes=dates)
    assert (result.promised_at, result.promise_source) == (datetime(2021, 10, 13, 1, 0), "dateAndTimes[COMMITMENT]")
    assert (result.eta, result.eta_source) == (datetime(2021, 10, 16, 15, 0), "dateAndTimes[APPOINTMENT_DELIVERY]")
    result = fedex_track(dateAndTimes=dates[:2])
    assert (result.eta, result.eta_source) == (datetime(2021, 10, 15, 1, 0), "dateAndTimes[ESTIMATED_DELIVERY]")


def test_fedex_naive_dates_are_local_to_the_recipient():
    """``dateAndTimes`` example "2007-09-27T00:00:00" has no offset: the recipient is in Seattle, WA."""
    result = fedex_track(
        dateAndTimes=[{"type": "ESTIMATED_DELIVERY", "dateTime": "2021-10-14T18:00:00"}],
        estimatedDeliveryTimeWindow={"window": {"begins": "2021-10-14T08:00:00"}},
    )
    assert result.eta == datetime(2021, 10, 15, 1, 0)  # 18:00 PDT
    naive_end = fedex_track(
        recipientInformation={},
        lastUpdatedDestinationAddress={},
        destinationLocation={},
        dateAndTimes=[],
        estimatedDeliveryTimeWindow={"window": {"begins": "2021-10-01T08:00:00-06:00", "ends": "2021-10-15T00:00:00"}},
    )
    assert naive_end.eta == datetime(2021, 10, 15, 6, 0)  # at the offset FedEx gives for the window's start


def test_fedex_delivered_parcel_keeps_its_promise_but_no_estimate():
    result = fedex_track(
        latestStatusDetail={"code": "DL", "derivedCode": "DL"},
        dateAndTimes=[{"type": "ACTUAL_DELIVERY", "dateTime": "2021-10-14T10:15:00-07:00"}],
    )
    assert result.status == st.DELIVERED and result.delivered_at == datetime(2021, 10, 14, 17, 15)
    assert result.promised_at == datetime(2021, 10, 15, 6, 0) and result.eta is None


# --------------------------------------------------------------------------------------------- UPS
def ups_package(**changes):
    """The UPS schema example (karrio fixture, vendor OpenAPI ``Package``) in transit, with ``changes``."""
    payload = load_fixture("karrio_ups_track_v1_response.json")
    package = payload["trackResponse"]["shipment"][0]["package"][0]
    package["activity"][0]["status"] = {"type": "I", "code": "AR", "statusCode": "005", "description": "Arrived"}
    package["currentStatus"] = package["activity"][0]["status"]
    package.update(changes)
    return UpsClient(credentials=OAUTH)._parse_payload("1Z023E2X0214323462", payload).finalize()


def test_ups_scheduled_date_is_the_promise_and_rescheduled_date_the_estimate():
    """``deliveryDate[].type`` SDD/RDD and ``deliveryTime`` EOD of the vendor OpenAPI; the package's
    DESTINATION address (Wayne, NJ in the example) gives the local time zone."""
    result = ups_package(
        deliveryDate=[{"type": "SDD", "date": "20210212"}, {"type": "RDD", "date": "20210215"}],
        deliveryTime={"type": "EOD", "endTime": "190000"},
        packageAddress=[{"type": "DESTINATION", "address": {"countryCode": "US", "stateProvince": "NJ"}}],
    )
    assert (result.promised_at, result.promise_source) == (datetime(2021, 2, 12), "deliveryDate[SDD]")
    assert (result.eta, result.eta_source) == (datetime(2021, 2, 16, 0, 0), "deliveryDate[RDD]+deliveryTime[EOD]")


def test_ups_scheduled_date_alone_is_both_and_carries_the_commit_time():
    result = ups_package(
        deliveryDate=[{"type": "SDD", "date": "20210212"}],
        deliveryTime={"type": "CMT", "endTime": "103000"},
        packageAddress=[{"type": "DESTINATION", "address": {"countryCode": "US", "stateProvince": "CA"}}],
    )
    source = "deliveryDate[SDD]+deliveryTime[CMT]"
    assert (result.promised_at, result.promise_source) == (datetime(2021, 2, 12, 18, 30), source)
    assert (result.eta, result.eta_source) == (result.promised_at, source)


@pytest.mark.parametrize("placeholder", ["00010101", "00000000", "string", "2021-02-12"])
def test_ups_placeholder_or_unreadable_dates_are_no_date(placeholder):
    result = ups_package(deliveryDate=[{"type": "SDD", "date": placeholder}], deliveryTime={"type": "EOD"})
    assert result.ok and (result.promised_at, result.eta) == (None, None)


def test_ups_delivered_date_and_time():
    delivered = {"type": "D", "code": "FS", "statusCode": "011", "description": "DELIVERED"}
    result = ups_package(
        activity=[],
        currentStatus=delivered,
        deliveryDate=[{"type": "SDD", "date": "20210209"}, {"type": "DEL", "date": "20210210"}],
        deliveryTime={"type": "DEL", "endTime": "071356"},
        packageAddress=[{"type": "DESTINATION", "address": {"countryCode": "US", "stateProvince": "NJ"}}],
    )
    assert result.status == st.DELIVERED and result.delivered_at == datetime(2021, 2, 10, 12, 13, 56)
    assert (result.promised_at, result.eta) == (datetime(2021, 2, 9), None)


# -------------------------------------------------------------------------------------------- USPS
def usps(**changes):
    """USPS ``TrackingDetails`` with the vendor OpenAPI's example date values
    (fixture ``usps_v3_tracking_details_dates_schema_example.json``), with ``changes``."""
    payload = load_fixture("usps_v3_tracking_details_dates_schema_example.json")
    payload.update(changes)
    for name in [k for k, v in changes.items() if v is None]:
        payload.pop(name)
    return UspsClient(credentials=OAUTH)._parse_tracking("9400100000000000000000", payload).finalize()


def test_usps_schema_example_guarantee_is_the_promise_and_prediction_the_estimate():
    result = usps()
    assert (result.promised_at, result.promise_source) == (
        datetime(2019, 8, 24, 14, 15, 22),
        "guaranteedDeliveryTimeStamp",
    )
    # predictedDeliveryWindowEndTime is "string" in the example: the predicted date alone.
    assert (result.eta, result.eta_source) == (datetime(2019, 8, 24), "predictedDeliveryDate")


def test_usps_expected_date_and_predicted_window_local_to_the_destination():
    result = usps(
        guaranteedDeliveryTimeStamp=None,
        expectedDeliveryTimeStamp="2019-08-23T20:00:00",
        predictedDeliveryDate="2019-08-26",
        predictedDeliveryWindowEndTime="6:00 pm",
        predictedDeliveryTimeStamp=None,
    )
    # Falmouth, MA: EDT (-04:00) in August.
    assert (result.promised_at, result.promise_source) == (datetime(2019, 8, 24, 0, 0), "expectedDeliveryTimeStamp")
    assert (result.eta, result.eta_source) == (datetime(2019, 8, 26, 22, 0), "predictedDeliveryDate")


def test_usps_deprecated_predicted_time_stamp_is_the_last_resort():
    result = usps(predictedDeliveryDate=None, predictedDeliveryTimeStamp="2019-08-25T16:00:00Z")
    assert (result.eta, result.eta_source) == (datetime(2019, 8, 25, 16, 0), "predictedDeliveryTimeStamp")
    result = usps(predictedDeliveryDate=None, predictedDeliveryTimeStamp=None)
    assert (result.eta, result.eta_source) == (result.promised_at, "guaranteedDeliveryTimeStamp")


def test_usps_v3r2_delivery_date_expectation_and_summary_names():
    """v3r2 answers group the same fields in ``deliveryDateExpectation``; the summary view names the
    promise ``expectedDeliveryDate``/``expectedDeliveryTime`` (OpenAPI ``TrackingSummary``)."""
    result = usps(
        guaranteedDeliveryTimeStamp=None,
        expectedDeliveryTimeStamp=None,
        predictedDeliveryTimeStamp=None,
        predictedDeliveryDate=None,
        deliveryDateExpectation={"predictedDeliveryDate": "2019-08-27", "predictedDeliveryWindowEndTime": "18:00:00"},
        expectedDeliveryDate="2019-08-25",
        expectedDeliveryTime="17:00",
    )
    assert (result.promised_at, result.promise_source) == (datetime(2019, 8, 25, 21, 0), "expectedDeliveryDate")
    assert (result.eta, result.eta_source) == (
        datetime(2019, 8, 27, 22, 0),
        "deliveryDateExpectation.predictedDeliveryDate",
    )


def test_usps_placeholder_and_delivered():
    result = usps(guaranteedDeliveryTimeStamp="0001-01-01T00:00:00-05:00", expectedDeliveryTimeStamp=None)
    assert result.ok and result.promised_at is None and result.eta == datetime(2019, 8, 24)
    delivered = load_fixture("karrio_usps_tracking_v3_response_delivered.json")
    delivered["expectedDeliveryTimeStamp"] = "2024-11-21T23:59:00Z"
    result = UspsClient(credentials=OAUTH)._parse_tracking("9400109104250532908587", delivered).finalize()
    assert (result.status, result.promised_at, result.eta) == (st.DELIVERED, datetime(2024, 11, 21, 23, 59), None)


# --------------------------------------------------------------------------------------------- DHL
def dhl(**changes):
    """The DHL Unified sample (karrio fixture, the schema's example) with ``changes``."""
    payload = load_fixture("karrio_dhl_unified_track_shipments_response.json")
    shipment = payload["shipments"][0]
    shipment.update(changes)
    for name in [k for k, v in changes.items() if v is None]:
        shipment.pop(name)
    return DhlClient(credentials=KEY)._parse_shipment("7777777770", shipment, payload).finalize()


def test_dhl_estimate_and_time_frame_and_no_promise():
    result = dhl()
    assert (result.eta, result.eta_source) == (datetime(2018, 8, 3), "estimatedTimeOfDelivery")
    assert (result.promised_at, result.promise_source) == (None, "")
    only_frame = dhl(estimatedTimeOfDelivery=None)
    assert (only_frame.eta, only_frame.eta_source) == (
        datetime(2018, 8, 3, 22, 0),
        "estimatedDeliveryTimeFrame.estimatedThrough",
    )
    start_only = dhl(
        estimatedTimeOfDelivery=None, estimatedDeliveryTimeFrame={"estimatedFrom": "2018-08-03T10:00:00+02:00"}
    )
    assert (start_only.eta, start_only.eta_source) == (
        datetime(2018, 8, 3, 8, 0),
        "estimatedDeliveryTimeFrame.estimatedFrom",
    )
    assert dhl(estimatedTimeOfDelivery="0001-01-01T00:00:00+01:00", estimatedDeliveryTimeFrame=None).eta is None


# --------------------------------------------------------------------------------------- AfterShip
def aftership(**changes):
    """The AfterShip delivered sample (v4 fixture) set back in transit, with the 2024-04 EDD objects
    of AfterShip's generated SDK models (``FirstEstimatedDeliveryTracking`` ...) in ``changes``."""
    tracking = copy.deepcopy(load_fixture("aftership_v4_get_tracking_delivered.json")["data"]["tracking"])
    tracking.update(tag="InTransit", subtag="InTransit_001", **changes)
    return parse_tracking("111111111111", tracking).finalize()


def edd(value, **extra):
    return {"type": "specific", "source": "Carrier EDD", "datetime": value, "datetime_min": None, **extra}


def test_aftership_first_estimate_is_the_promise_and_latest_the_estimate():
    # The sample's recipient is in Japan (destination_country_iso3 JPN): EDDs without offset are JST.
    result = aftership(
        first_estimated_delivery=edd("2018-07-26T18:00:00"),
        latest_estimated_delivery=edd("2018-07-28", datetime_max="2018-07-29"),
        courier_estimated_delivery_date={"estimated_delivery_date": "2018-07-27T12:00:00+09:00"},
    )
    assert (result.promised_at, result.promise_source) == (
        datetime(2018, 7, 26, 9, 0),
        "first_estimated_delivery.datetime",
    )
    assert (result.eta, result.eta_source) == (datetime(2018, 7, 28), "latest_estimated_delivery.datetime")


@pytest.mark.parametrize(
    "field, value, expected, source",
    [
        (
            "courier_estimated_delivery_date",
            {"estimated_delivery_date": "2018-07-27T12:00:00+09:00"},
            datetime(2018, 7, 27, 3, 0),
            "courier_estimated_delivery_date.estimated_delivery_date",
        ),
        ("expected_delivery", "2018-07-27T20:00:00", datetime(2018, 7, 27, 11, 0), "expected_delivery"),
        (
            "aftership_estimated_delivery_date",
            {"estimated_delivery_date": None, "estimated_delivery_date_max": "2018-07-30"},
            datetime(2018, 7, 30),
            "aftership_estimated_delivery_date.estimated_delivery_date_max",
        ),
        (
            "custom_estimated_delivery_date",
            {"type": "range", "datetime": None, "datetime_max": "2018-07-31"},
            datetime(2018, 7, 31),
            "custom_estimated_delivery_date.datetime_max",
        ),
    ],
)
def test_aftership_other_estimates(field, value, expected, source):
    result = aftership(**{field: value})
    assert (result.promised_at, result.eta, result.eta_source) == (None, expected, source)


def test_aftership_placeholder_estimate_is_no_date():
    result = aftership(first_estimated_delivery=edd("0001-01-01"), latest_estimated_delivery=edd("0001-01-01T00:00:00"))
    assert result.ok and (result.promised_at, result.eta) == (None, None)


# ----------------------------------------------------------------------------------------- 17TRACK
def test_seventeen_track_estimated_window_is_the_estimate():
    """17TRACK v2.2 push (agritheory fixture) with ``time_metrics.estimated_delivery_date`` filled as the
    API documents it (``source``, ``from``, ``to``, ISO 8601)."""
    data = load_fixture("webhook_TRACKING_UPDATED_agritheory_fixture.json")["data"]
    info = data["track_info"]
    window = {"source": "Official", "from": "2022-04-05T08:00:00-07:00", "to": "2022-04-06T20:00:00-07:00"}
    info["time_metrics"]["estimated_delivery_date"] = window
    result = parse_track_info(data["number"], data)
    assert (result.eta, result.eta_source) == (datetime(2022, 4, 7, 3, 0), "time_metrics.estimated_delivery_date.to")
    assert (result.promised_at, result.promise_source) == (None, "")
    window.update(to=None, **{"from": "2022-04-05T08:00:00"})  # no offset: the recipient is in CA, US
    result = parse_track_info(data["number"], data)
    assert (result.eta, result.eta_source) == (datetime(2022, 4, 5, 15, 0), "time_metrics.estimated_delivery_date.from")
    window.update(**{"from": "0001-01-01T00:00:00+08:00"})
    assert parse_track_info(data["number"], data).eta is None


# ------------------------------------------------------------------------------- every provider, HTTP
# Providers that document delivery dates, and which of them publish a promise apart from the estimate.
WITH_DATES = {"fedex", "ups", "usps", "dhl", "aftership", "seventeen_track"}
WITH_PROMISE = {"fedex", "ups", "usps", "aftership"}


def track(sandbox, provider, keyword):
    return provider_client(sandbox, provider).track_one(scenario_number(provider, keyword, "D01"))


def days_from_now(when):
    return (when - datetime.utcnow()) / timedelta(days=1)


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_late_parcel_missed_its_promise_and_the_estimate_moved(sandbox, provider):
    result = track(sandbox, provider, "LATE")
    assert result.ok and result.status == st.IN_TRANSIT
    assert days_from_now(result.events[-1].occurred_at) > -1  # still moving: last event 20 h ago
    if provider not in WITH_DATES:
        assert (result.promised_at, result.eta) == (None, None)
        return
    assert 2 < days_from_now(result.eta) < 4 and result.eta_source
    if provider in WITH_PROMISE:
        assert -5 < days_from_now(result.promised_at) < -3 and result.promise_source
        assert result.promise_source != result.eta_source
    else:
        assert result.promised_at is None


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_date_only_in_the_secondary_field_is_read(sandbox, provider):
    result = track(sandbox, provider, "NOPROMISE")
    assert result.ok and result.status == st.IN_TRANSIT
    if provider not in WITH_DATES:
        assert (result.promised_at, result.eta) == (None, None)
        return
    assert -4 < days_from_now(result.eta) < -2  # overdue: detection can see it
    expected_source = {
        "fedex": "standardTransitTimeWindow.window.ends",
        "ups": "deliveryDate[SDD]",
        "usps": "predictedDeliveryDate",
        "dhl": "estimatedDeliveryTimeFrame.estimatedThrough",
        "aftership": "first_estimated_delivery.datetime",
        "seventeen_track": "time_metrics.estimated_delivery_date.from",
    }[provider]
    assert result.eta_source == expected_source
    assert (result.promised_at is not None) == (provider in {"fedex", "ups", "aftership"})


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_placeholder_dates_over_http_are_no_date(sandbox, provider):
    result = track(sandbox, provider, "ZERODATE")
    assert result.ok and result.status == st.IN_TRANSIT and len(result.events) >= 2
    assert (result.promised_at, result.eta) == (None, None)


@pytest.mark.parametrize("provider", sorted(WITH_DATES))
def test_ordinary_parcel_promise_equals_estimate(sandbox, provider):
    result = track(sandbox, provider, "INTRANSIT")
    assert 1 < days_from_now(result.eta) < 3
    if provider in WITH_PROMISE:
        assert abs(result.promised_at - result.eta) < timedelta(days=1)
