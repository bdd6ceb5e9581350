"""Scenario tracking numbers: what the sandbox answers for a number, whatever the provider.

A number's scenario is the first keyword below found in it (case-insensitive), so
``JD0STALLED01`` is a stalled parcel at every provider. Tests and the demo may also pin a
number to a scenario (``SandboxState.set_scenario``). Event times are relative to now.

Delivery dates: every timeline has a promise (the carrier's first commitment) and a latest estimate;
they are the same date unless the carrier moved it (``late``). Each provider renders them in the
fields its API documents for them (see its module); ``no_promise`` fills only the provider's
secondary field (FedEx: ``standardTransitTimeWindow`` with an empty estimate window), ``zero_date``
fills them with the placeholder dates carriers send for "no date" (``0001-01-01``).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

# Generic event codes; each provider module maps them to its own raw codes.
INFO = "info"
PICKED_UP = "picked_up"
TRANSIT = "transit"
CUSTOMS = "customs"
OUT_FOR_DELIVERY = "out_for_delivery"
PICKUP_POINT = "pickup_point"
FAILED_ATTEMPT = "failed_attempt"
DELIVERED = "delivered"
LOST = "lost"
DAMAGED = "damaged"
DESTROYED = "destroyed"
RETURNING = "returning"
RETURNED = "returned"


@dataclass(frozen=True)
class Step:
    ago: timedelta
    code: str
    city: str
    country: str


def _steps(*items):
    return [Step(timedelta(hours=hours), code, city, country) for hours, code, city, country in items]


_ORIGIN = ("Shenzhen", "CN")
_HUB = ("Leipzig", "DE")
_DEST = ("Amsterdam", "NL")

TIMELINES = {
    "delivered": _steps(
        (150, INFO, *_ORIGIN),
        (140, PICKED_UP, *_ORIGIN),
        (100, TRANSIT, *_HUB),
        (30, OUT_FOR_DELIVERY, *_DEST),
        (26, DELIVERED, *_DEST),
    ),
    "in_transit": _steps((72, INFO, *_ORIGIN), (60, PICKED_UP, *_ORIGIN), (2, TRANSIT, *_HUB)),
    "stalled": _steps((24 * 35, INFO, *_ORIGIN), (24 * 34, PICKED_UP, *_ORIGIN), (24 * 30, TRANSIT, *_HUB)),
    "lost": _steps(
        (24 * 20, INFO, *_ORIGIN), (24 * 19, PICKED_UP, *_ORIGIN), (24 * 15, TRANSIT, *_HUB), (24 * 2, LOST, *_HUB)
    ),
    "damaged": _steps((24 * 6, INFO, *_ORIGIN), (24 * 5, PICKED_UP, *_ORIGIN), (24 * 1, DAMAGED, *_HUB)),
    "destroyed": _steps((24 * 9, INFO, *_ORIGIN), (24 * 8, PICKED_UP, *_ORIGIN), (24 * 3, DESTROYED, *_HUB)),
    "customs": _steps((24 * 12, INFO, *_ORIGIN), (24 * 11, PICKED_UP, *_ORIGIN), (24 * 9, CUSTOMS, *_DEST)),
    "failed_attempt": _steps((24 * 4, INFO, *_ORIGIN), (24 * 3, PICKED_UP, *_ORIGIN), (5, FAILED_ATTEMPT, *_DEST)),
    "pickup_point": _steps((24 * 4, INFO, *_ORIGIN), (24 * 3, PICKED_UP, *_ORIGIN), (6, PICKUP_POINT, *_DEST)),
    "returning": _steps((24 * 14, INFO, *_ORIGIN), (24 * 13, PICKED_UP, *_ORIGIN), (24 * 3, RETURNING, *_DEST)),
    "returned": _steps(
        (24 * 25, INFO, *_ORIGIN),
        (24 * 24, PICKED_UP, *_ORIGIN),
        (24 * 10, RETURNING, *_DEST),
        (24 * 1, RETURNED, *_ORIGIN),
    ),
    "info_received": _steps((5, INFO, *_ORIGIN)),
    # First promise passed 4 days ago, the estimate moved 3 days ahead, events still coming.
    "late": _steps(
        (24 * 9, INFO, *_ORIGIN), (24 * 8, PICKED_UP, *_ORIGIN), (24 * 5, TRANSIT, *_HUB), (20, TRANSIT, *_DEST)
    ),
    # First promise passed 10 days ago, the estimate moved to tomorrow, events still coming.
    "missed_promise": _steps(
        (24 * 14, INFO, *_ORIGIN), (24 * 13, PICKED_UP, *_ORIGIN), (24 * 4, TRANSIT, *_HUB), (10, TRANSIT, *_DEST)
    ),
    # The date is only in the provider's secondary field, and passed 3 days ago.
    "no_promise": _steps((24 * 10, INFO, *_ORIGIN), (24 * 9, PICKED_UP, *_ORIGIN), (24 * 2, TRANSIT, *_HUB)),
    # Scanned delivered, then in transit again: the carrier corrected itself.
    "back_from_delivered": _steps(
        (150, INFO, *_ORIGIN),
        (140, PICKED_UP, *_ORIGIN),
        (100, TRANSIT, *_HUB),
        (30, OUT_FOR_DELIVERY, *_DEST),
        (26, DELIVERED, *_DEST),
        (3, TRANSIT, *_DEST),
    ),
    # Every event listed twice, in no particular order (see Tracking.listed).
    "dup_events": _steps((72, INFO, *_ORIGIN), (60, PICKED_UP, *_ORIGIN), (30, TRANSIT, *_HUB), (2, TRANSIT, *_DEST)),
    # Placeholder delivery dates (0001-01-01, with an offset where the provider gives one).
    "zero_date": _steps((72, INFO, *_ORIGIN), (60, PICKED_UP, *_ORIGIN), (2, TRANSIT, *_HUB)),
}

# ETA offset from now in days, for the timelines that have one (negative: overdue).
ETA_DAYS = {
    "in_transit": 2,
    "stalled": -25,
    "lost": -8,
    "customs": -2,
    "failed_attempt": 1,
    "info_received": 6,
    "delivered": -1,
    "pickup_point": 0,
    "returning": -5,
    "damaged": 1,
    "late": 3,
    "missed_promise": 1,
    "back_from_delivered": 2,
    "dup_events": 2,
    "zero_date": 2,
}
# The carrier's first promise, where it differs from the latest estimate (default: the same day).
PROMISE_DAYS = {"late": -4, "missed_promise": -10, "no_promise": -3}
# Scenarios whose carrier gives no separate estimate: only the promise is rendered.
NO_ESTIMATE = {"no_promise"}
PLACEHOLDER_DATE = "0001-01-01"

# Scenarios that answer with a fault instead of a timeline.
NOT_FOUND = "not_found"
RATE_LIMITED = "rate_limited"  # 429 on every call
FLAKY_429 = "flaky_429"  # 429 on the first call for the number, then in transit
FLAKY_500 = "flaky_500"  # 500 on the first call for the number, then in transit
SERVER_ERROR = "server_error"  # 500 on every call
TIMEOUT = "timeout"  # answers after the client has given up
MALFORMED = "malformed"  # 200 with a body that is not the provider's format
BAD_JSON = "bad_json"  # 200 with JSON cut short
HTML_BODY = "html_body"  # 200 with a gateway's HTML page
EMPTY_BODY = "empty_body"  # 200 with nothing in it
HUGE_BODY = "huge_body"  # 200 with a JSON body far larger than any tracking answer (HUGE_BODY_BYTES)
TOKEN_EXPIRED = "token_expired"  # OAuth providers: the token is revoked on the first call (401), then in transit
FAULTS = (
    NOT_FOUND,
    RATE_LIMITED,
    FLAKY_429,
    FLAKY_500,
    SERVER_ERROR,
    TIMEOUT,
    MALFORMED,
    BAD_JSON,
    HTML_BODY,
    EMPTY_BODY,
    HUGE_BODY,
    TOKEN_EXPIRED,
)
# Faults every provider answers the same way, whatever its format (core.generic_fault).
GENERIC_FAULTS = (BAD_JSON, HTML_BODY, EMPTY_BODY, HUGE_BODY)
HUGE_BODY_BYTES = 6 * 1024 * 1024

# Keyword in the number → scenario. Longer keywords first so FLAKY429 never reads as 429.
KEYWORDS = [
    ("FLAKY429", FLAKY_429),
    ("FLAKY500", FLAKY_500),
    ("RATELIMIT", RATE_LIMITED),
    ("SERVERERROR", SERVER_ERROR),
    ("TIMEOUT", TIMEOUT),
    ("MALFORMED", MALFORMED),
    ("NOTFOUND", NOT_FOUND),
    ("BADJSON", BAD_JSON),
    ("HTMLBODY", HTML_BODY),
    ("EMPTYBODY", EMPTY_BODY),
    ("HUGEBODY", HUGE_BODY),
    ("TOKENEXPIRED", TOKEN_EXPIRED),
    ("BACKFROMDELIVERED", "back_from_delivered"),
    ("MISSEDPROMISE", "missed_promise"),
    ("NOPROMISE", "no_promise"),
    ("DUPEVENTS", "dup_events"),
    ("ZERODATE", "zero_date"),
    ("DELIVERED", "delivered"),
    ("INTRANSIT", "in_transit"),
    ("STALLED", "stalled"),
    ("LOST", "lost"),
    ("DAMAGED", "damaged"),
    ("DESTROYED", "destroyed"),
    ("CUSTOMS", "customs"),
    ("FAILED", "failed_attempt"),
    ("PICKUP", "pickup_point"),
    ("RETURNING", "returning"),
    ("RETURNED", "returned"),
    ("INFO", "info_received"),
    ("LATE", "late"),
]
SCENARIOS = tuple(TIMELINES) + FAULTS


def scenario_from_number(number):
    upper = (number or "").upper()
    for keyword, scenario in KEYWORDS:
        if keyword in upper:
            return scenario
    return "in_transit"


# Time zone of each sandbox place: local times are rendered with the offset of the day, as carriers do.
ZONES = {"CN": "Asia/Shanghai", "DE": "Europe/Berlin", "NL": "Europe/Amsterdam"}
DESTINATION_COUNTRY = _DEST[1]


@lru_cache(maxsize=65536)
def local_time(when, country):
    """(naive local time, "+01:00") of a naive UTC time at a sandbox place (UTC for an unknown one).
    Cached: parcels first asked in the same second share their timelines' times, and the time zone
    conversion was a quarter of the sandbox's processor time on a large poll."""
    zone = ZoneInfo(ZONES[country]) if country in ZONES else timezone.utc
    local = when.replace(tzinfo=timezone.utc).astimezone(zone)
    minutes = int(local.utcoffset().total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return local.replace(tzinfo=None), f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


@dataclass
class Tracking:
    """What a provider module renders: the number, its events (oldest first), the carrier's first
    promise and its latest estimate (None when it gives none)."""

    number: str
    scenario: str
    events: list  # of (datetime UTC naive, Step)
    eta: datetime
    promised: datetime = None

    @property
    def last(self):
        return self.events[-1][1] if self.events else None

    @property
    def delivered(self):
        return self.last is not None and self.last.code == DELIVERED

    @property
    def placeholder_dates(self):
        return self.scenario == "zero_date"

    def listed(self, newest_first=True):
        """The events in the order the provider lists them; ``dup_events`` lists each one twice and
        out of order (newest first, then oldest first again)."""
        events = list(reversed(self.events)) if newest_first else list(self.events)
        if self.scenario == "dup_events":
            events += list(reversed(events))
        return events


def utcnow():
    return datetime.utcnow().replace(microsecond=0)


def build_tracking(number, scenario, now=None):
    now = (now or utcnow()).replace(microsecond=0)
    timeline = TIMELINES[scenario]
    events = [(now - step.ago, step) for step in sorted(timeline, key=lambda s: -s.ago)]
    eta_days = ETA_DAYS.get(scenario)
    promise_days = PROMISE_DAYS.get(scenario, eta_days)
    eta = _day(now, eta_days) if eta_days is not None and scenario not in NO_ESTIMATE else None
    promised = _day(now, promise_days) if promise_days is not None else None
    return Tracking(number, scenario, events, eta, promised)


def _day(now, days):
    return (now + timedelta(days=days)).replace(hour=18, minute=0, second=0)
