"""Local times without offset: the zone table, and each provider's rule for events."""

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from clients.aftership import parse_tracking
from clients.seventeen_track import parse_track_info
from clients.timezones import SINGLE_ZONE_COUNTRIES, STATE_ZONES, zone_for
from clients.ups import activity_time
from clients.usps import event_time

from ..conftest import load_fixture

ZONE_TAB = Path("/usr/share/zoneinfo/zone.tab")
ISO_3166 = Path("/usr/share/iso-codes/json/iso_3166-1.json")  # Debian's iso-codes


def zones_by_country():
    zones = {}
    for line in ZONE_TAB.read_text().splitlines():
        if line and not line.startswith("#"):
            country, _coordinates, zone = line.split("\t")[:3]
            zones.setdefault(country, []).append(zone)
    return zones


def offsets(zone):
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    return [(start + timedelta(days=7 * week)).astimezone(ZoneInfo(zone)).utcoffset() for week in range(156)]


def test_single_zone_countries_keep_one_offset_all_year_in_tzdata():
    """Every zone tzdata lists for a 'single-zone' country follows the table's zone (China excepted:
    one legal time, tzdata's Asia/Urumqi being Xinjiang's unofficial usage)."""
    listed = zones_by_country()
    for country, (_alpha3, zone) in SINGLE_ZONE_COUNTRIES.items():
        if country == "CN":
            continue
        assert zone in listed[country], country
        assert all(offsets(other) == offsets(zone) for other in listed[country]), country
    assert not set(SINGLE_ZONE_COUNTRIES) & set(STATE_ZONES)


def test_alpha3_codes_are_iso_3166_current_ones():
    """AfterShip names countries by ISO 3166-1 alpha-3 (``country_iso3``): a withdrawn code in the
    table (DDR for Germany, BUR for Myanmar, YMD for Yemen, as it had) left every checkpoint there
    without its local time."""
    assert ISO_3166.exists(), "Debian's iso-codes package is needed: apt-get install iso-codes"
    alpha3 = {country["alpha_2"]: country["alpha_3"] for country in json.loads(ISO_3166.read_text())["3166-1"]}
    wrong = {
        code: (ours, alpha3.get(code))
        for code, (ours, _zone) in SINGLE_ZONE_COUNTRIES.items()
        if ours != alpha3.get(code)
    }
    assert not wrong


def test_state_tables_name_existing_zones():
    for country, states in STATE_ZONES.items():
        for state, zone in states.items():
            assert ZoneInfo(zone), (country, state)


@pytest.mark.parametrize(
    "country, state, expected",
    [
        ("NL", None, "Europe/Amsterdam"),
        ("NLD", None, "Europe/Amsterdam"),
        ("DEU", None, "Europe/Berlin"),
        ("MMR", None, "Asia/Yangon"),
        ("YEM", None, "Asia/Aden"),
        ("jp", "", "Asia/Tokyo"),
        ("CN", None, "Asia/Shanghai"),
        ("US", "NJ", "America/New_York"),
        ("USA", "ca", "America/Los_Angeles"),
        ("US", "US-TX", "America/Chicago"),
        ("CA", "BC", "America/Vancouver"),
        ("AU", "WA", "Australia/Perth"),
        ("BR", "AM", "America/Manaus"),
        ("MX", "BCN", "America/Tijuana"),
        ("MX", "JA", "America/Mexico_City"),
    ],
)
def test_zone_of_a_place(country, state, expected):
    assert str(zone_for(country, state)) == expected


@pytest.mark.parametrize(
    "country, state", [("US", None), ("US", "ZZ"), ("RU", None), ("ES", None), ("MX", "CHH"), ("", "")]
)
def test_undeterminable_places_have_no_zone(country, state):
    assert zone_for(country, state) is None


def test_ups_activity_without_gmt_fields_is_local_to_its_place():
    activity = {
        "date": "20210710",
        "time": "071356",
        "location": {"address": {"countryCode": "US", "stateProvince": "CA"}},
    }
    assert activity_time(activity) == datetime(2021, 7, 10, 14, 13, 56)  # PDT
    activity["location"]["address"] = {"countryCode": "DE"}
    assert activity_time(activity) == datetime(2021, 7, 10, 5, 13, 56)  # CEST
    activity["location"]["address"] = {"countryCode": "RU"}
    assert activity_time(activity) == datetime(2021, 7, 10, 7, 13, 56)  # several zones: kept as UTC


def test_usps_event_without_gmt_fields_is_local_to_its_state():
    """USPS leaves ``eventCountry`` empty for domestic events (see the delivered sample)."""
    event = {"eventTimestamp": "2024-11-22T13:58:00", "eventState": "FL", "eventCountry": None}
    assert event_time(event) == datetime(2024, 11, 22, 18, 58)
    assert event_time(dict(event, eventState="AZ")) == datetime(2024, 11, 22, 20, 58)
    assert event_time(dict(event, eventState=None, eventCountry="GB")) == datetime(2024, 11, 22, 13, 58)


def test_aftership_checkpoint_without_offset_is_local_to_the_checkpoint():
    """AfterShip: ``checkpoint_time`` "uses the timezone of the checkpoint" (SDK model ``Checkpoint``)."""
    tracking = load_fixture("aftership_v4_get_tracking_delivered.json")["data"]["tracking"]
    checkpoint = tracking["checkpoints"][0]
    checkpoint.update(checkpoint_time="2018-07-23T01:21:39", country_iso3="USA", state="TN")
    assert parse_tracking("111111111111", tracking).events[0].occurred_at == datetime(2018, 7, 23, 6, 21, 39)
    checkpoint.update(country_iso3="DEU", state=None)  # CEST
    assert parse_tracking("111111111111", tracking).events[0].occurred_at == datetime(2018, 7, 22, 23, 21, 39)
    checkpoint.update(country_iso3="IDN", state=None)  # several zones: kept as UTC
    assert parse_tracking("111111111111", tracking).events[0].occurred_at == datetime(2018, 7, 23, 1, 21, 39)


def test_seventeen_track_raw_time_is_local_to_the_event_address():
    data = load_fixture("webhook_TRACKING_UPDATED_agritheory_fixture.json")["data"]
    event = data["track_info"]["tracking"]["providers"][0]["events"][0]
    event.update(time_iso=None, time_utc=None, time_raw={"date": "2022-04-04", "time": "16:35:22", "timezone": None})
    result = parse_track_info(data["number"], data)
    assert max(e.occurred_at for e in result.events) == datetime(2022, 4, 4, 23, 35, 22)  # GASQUET, CA: PDT
    event["time_raw"]["timezone"] = "+02:00"
    result = parse_track_info(data["number"], data)
    assert datetime(2022, 4, 4, 14, 35, 22) in [e.occurred_at for e in result.events]
