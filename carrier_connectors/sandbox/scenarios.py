"""Scenario tracking numbers: what the sandbox answers for a number, whatever the provider.

A number's scenario is the first keyword below found in it (case-insensitive), so
``JD0STALLED01`` is a stalled parcel at every provider. Tests and the demo may also pin a
number to a scenario (``SandboxState.set_scenario``). Event times are relative to now.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

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
}

# Scenarios that answer with a fault instead of a timeline.
NOT_FOUND = "not_found"
RATE_LIMITED = "rate_limited"  # 429 on every call
FLAKY_429 = "flaky_429"  # 429 on the first call for the number, then in transit
FLAKY_500 = "flaky_500"  # 500 on the first call for the number, then in transit
SERVER_ERROR = "server_error"  # 500 on every call
TIMEOUT = "timeout"  # answers after the client has given up
MALFORMED = "malformed"  # 200 with a body that is not the provider's format
FAULTS = (NOT_FOUND, RATE_LIMITED, FLAKY_429, FLAKY_500, SERVER_ERROR, TIMEOUT, MALFORMED)

# Keyword in the number → scenario. Longer keywords first so FLAKY429 never reads as 429.
KEYWORDS = [
    ("FLAKY429", FLAKY_429),
    ("FLAKY500", FLAKY_500),
    ("RATELIMIT", RATE_LIMITED),
    ("SERVERERROR", SERVER_ERROR),
    ("TIMEOUT", TIMEOUT),
    ("MALFORMED", MALFORMED),
    ("NOTFOUND", NOT_FOUND),
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
]
SCENARIOS = tuple(TIMELINES) + FAULTS


def scenario_from_number(number):
    upper = (number or "").upper()
    for keyword, scenario in KEYWORDS:
        if keyword in upper:
            return scenario
    return "in_transit"


@dataclass
class Tracking:
    """What a provider module renders: the number, its events (oldest first) and ETA."""

    number: str
    scenario: str
    events: list  # of (datetime UTC naive, Step)
    eta: datetime

    @property
    def last(self):
        return self.events[-1][1] if self.events else None

    @property
    def delivered(self):
        return self.last is not None and self.last.code == DELIVERED


def utcnow():
    return datetime.utcnow().replace(microsecond=0)


def build_tracking(number, scenario, now=None):
    now = (now or utcnow()).replace(microsecond=0)
    timeline = TIMELINES[scenario]
    events = [(now - step.ago, step) for step in sorted(timeline, key=lambda s: -s.ago)]
    eta_days = ETA_DAYS.get(scenario)
    eta = (now + timedelta(days=eta_days)).replace(hour=18, minute=0, second=0) if eta_days is not None else None
    return Tracking(number, scenario, events, eta)
