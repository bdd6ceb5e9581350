r"""Base of every carrier tracking client and the result type all of them return.

HTTP, retries, rate limits and OAuth2 come from ``ApiClient`` (``api.py``), shared with the
store and claim clients. A tracking client adds one thing: ``_track_batch(numbers)``, the
carrier's own call, parsed into ``TrackingResult``\ s with the normalized status of
``status.py``.

Webhook contract (aggregators that push updates: 17TRACK, AfterShip): a client module may
define two module-level functions, found by ``registry.get_webhook_handlers``:

- ``verify_webhook(body: bytes, headers: dict, secret: str) -> bool``: the provider's
  signature check, in constant time;
- ``parse_webhook(body: bytes) -> list[TrackingResult]``: the pushed results, parsed like a
  poll's; raises ``CarrierError``/``ValueError`` on a body it cannot read.

The Odoo controller (``controllers/webhook.py``) calls them and stores the results like a poll.
"""

import logging
import traceback
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone

from . import status as st
from .api import (
    ERROR_AUTH,
    ERROR_CARRIER_DOWN,
    ERROR_CONFIG,
    ERROR_KINDS,
    ERROR_MALFORMED,
    ERROR_NOT_FOUND,
    ERROR_RATE_LIMITED,
    ApiClient,
    ApiError,
    BodyError,
    OutOfTime,
    RateLimiter,
    TokenCache,
    find_message,
    parse_retry_after,
)

__all__ = [
    "ERROR_AUTH",
    "ERROR_CARRIER_DOWN",
    "ERROR_CONFIG",
    "ERROR_KINDS",
    "ERROR_MALFORMED",
    "ERROR_NOT_FOUND",
    "ERROR_RATE_LIMITED",
    "BaseClient",
    "BodyError",
    "CarrierError",
    "OutOfTime",
    "RateLimiter",
    "TokenCache",
    "TrackingEvent",
    "TrackingResult",
    "find_message",
    "is_placeholder",
    "normalize_tracking_number",
    "parse_retry_after",
    "to_utc",
]

_logger = logging.getLogger(__name__)

# Carrier code says CarrierError: the same class as every API client's error.
CarrierError = ApiError


@dataclass
class TrackingEvent:
    occurred_at: datetime  # naive, UTC
    status: str
    raw_code: str = ""
    description: str = ""
    location: str = ""
    exception_kind: str = ""

    def __post_init__(self):
        if self.status not in st.STATUSES:
            raise ValueError(f"unknown normalized status {self.status!r}")


@dataclass
class TrackingResult:
    tracking_number: str
    status: str = st.UNKNOWN
    raw_status: str = ""
    events: list = field(default_factory=list)
    # The carrier's delivery dates, naive UTC, each with the answer field it was read from
    # (e.g. "standardTransitTimeWindow.window.ends"): ``promised_at`` is what the carrier
    # committed to (its first or standard promise), ``eta`` its latest estimate, which it may
    # move later. Detection must see a missed promise even after the estimate moved.
    promised_at: datetime = None
    promise_source: str = ""
    eta: datetime = None
    eta_source: str = ""
    delivered_at: datetime = None
    exception_kind: str = ""
    raw: object = None
    error_kind: str = ""
    error: str = ""
    # Seconds the carrier asked us to wait (Retry-After) before asking about this number again.
    retry_after: float = None

    @classmethod
    def failure(cls, tracking_number, error):
        return cls(
            tracking_number, error_kind=error.kind, error=error.message, retry_after=getattr(error, "retry_after", None)
        )

    @property
    def ok(self):
        return not self.error_kind

    def set_dates(self, promises=(), estimates=()):
        """Fill ``promised_at``/``eta`` from ``(source field, naive UTC datetime or None)`` candidates,
        best first. A carrier that published no estimate apart from its promise still expects to
        deliver by the promise: ``eta`` is then the promise, ``eta_source`` naming the promise's field
        (so ``eta == promised_at`` means "not moved"). No promise field: ``promised_at`` stays None."""
        promise = next(((source, when) for source, when in promises if when), None)
        estimate = next(((source, when) for source, when in estimates if when), None) or promise
        if promise:
            self.promise_source, self.promised_at = promise
        if estimate:
            self.eta_source, self.eta = estimate
        return self

    def finalize(self):
        """Drop undated and repeated events, sort them, and derive status and delivered date from
        them when the carrier gave no summary of its own."""
        # A carrier repeating an event (or listing it twice across pages) reports one event.
        unique = {}
        for event in self.events:
            if event.occurred_at is not None:  # a placeholder date: kept in ``raw``, not a timeline event
                key = (event.occurred_at, event.status, event.raw_code, event.description, event.location)
                unique.setdefault(key, event)
        self.events = sorted(unique.values(), key=lambda e: e.occurred_at)
        if self.events and self.status == st.UNKNOWN:
            last = self.events[-1]
            self.status, self.raw_status = last.status, last.raw_code
            self.exception_kind = self.exception_kind or last.exception_kind
        if self.status == st.DELIVERED and not self.delivered_at:
            delivered = [e for e in self.events if e.status == st.DELIVERED]
            self.delivered_at = delivered[-1].occurred_at if delivered else None
        return self


def normalize_tracking_number(number):
    """The form a tracking number is compared in, everywhere (polling, webhooks, searches):
    carriers ignore case and the spaces people type, so ``1z 999 aa1`` is ``1Z999AA1``.
    Empty for a blank value."""
    return "".join((number or "").split()).upper()


def is_placeholder(when):
    """Carriers fill date fields they have no value for with 0001-01-01 (.NET's DateTime.MinValue),
    1900-01-01 or 9999-12-31: no real parcel date is before 1970 or that far ahead."""
    return when.year < 1970 or when.year >= 9999


def to_utc(value, zone=None, strict=True):
    """Parse an ISO 8601 string (or datetime) into a naive UTC datetime, or None for no date.

    - with an offset: converted to UTC;
    - without: a local time in ``zone`` (a ``ZoneInfo``, from ``timezones.zone_for``) when the caller's
      provider documents local times and the place is known, else taken as UTC (Odoo stores UTC);
      each client says which applies to each of its fields;
    - a date alone (``YYYY-MM-DD``) is that calendar day at 00:00, never shifted by a zone: a carrier's
      "delivery on the 5th" stays the 5th;
    - a placeholder (``0001-01-01``, year before 1970, 9999) is no date: None, never an error, even
      with an offset that would take it out of range;
    - unreadable: CarrierError (malformed), or None with ``strict=False`` (optional fields such as
      estimates, whose loss must not cost the parcel's events).
    """
    if not value:
        return None
    date_only = False
    if isinstance(value, datetime):
        parsed = value
    else:
        text = str(value).strip().replace("Z", "+00:00").replace("z", "+00:00")
        date_only = len(text) == 10
        try:
            parsed = datetime.fromisoformat(text + "T00:00:00" if date_only else text)
        except ValueError as exc:
            if not strict:
                return None
            raise CarrierError(ERROR_MALFORMED, f"Unreadable date {value!r}") from exc
    if is_placeholder(parsed):
        return None
    try:
        if parsed.tzinfo:
            parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
        elif zone is not None and not date_only:
            parsed = parsed.replace(tzinfo=zone).astimezone(timezone.utc).replace(tzinfo=None)
    except (OverflowError, ValueError):  # an offset taking a limit date out of range
        return None
    return None if is_placeholder(parsed) else parsed


class BaseClient(ApiClient):
    """A carrier tracking client.

    Subclasses set ``provider``, ``label``, ``default_base_url``, ``batch_size`` and implement
    ``_track_batch(numbers) -> list[TrackingResult]`` (and ``_auth_headers`` or the OAuth2
    hooks of ``ApiClient``). ``track`` never raises for a per-parcel problem: each number
    comes back with its result or its error.
    """

    public_tracking_url = None
    batch_size = 1

    # ---------------------------------------------------------------- public API
    def track(self, tracking_numbers):
        """Return ``{number: TrackingResult}`` for every non-blank number asked; never raises.

        Keys: each number as given, stripped of surrounding whitespace and otherwise unchanged (case
        and inner spaces kept), and each result's ``tracking_number`` is that key, even when the
        carrier answers with its own spelling (matched with ``normalize_tracking_number``). Callers
        that compare numbers across spellings normalize both sides with ``normalize_tracking_number``.
        Blank numbers (None, "", whitespace) are skipped: never sent, no key.

        Each chunk of ``batch_size`` numbers is one carrier call: any failure while asking or parsing
        it (a ``CarrierError`` or any other exception, logged with its traceback at warning level,
        credentials masked) becomes the error of each of its numbers not already answered, and the
        next chunks are asked all the same.
        """
        numbers = list(dict.fromkeys(str(n).strip() for n in tracking_numbers if n is not None and str(n).strip()))
        results = {}
        for start in range(0, len(numbers), self.batch_size):
            chunk = numbers[start : start + self.batch_size]
            try:
                for result in self._track_batch(chunk):
                    for number in self._asked_as(result.tracking_number, chunk):
                        answer = replace(result, tracking_number=number) if number != result.tracking_number else result
                        results[number] = answer.finalize() if answer.ok else answer
            except OutOfTime:
                raise  # not asked at all: the caller keeps these numbers for later
            except CarrierError as exc:
                for number in chunk:
                    results.setdefault(number, TrackingResult.failure(number, exc))
            except Exception as exc:  # one bad answer never stops tracking (see docstring)
                error = self._unexpected_error(exc, chunk)
                for number in chunk:
                    results.setdefault(number, TrackingResult.failure(number, error))
            for number in chunk:
                results.setdefault(
                    number,
                    TrackingResult.failure(
                        number, CarrierError(ERROR_MALFORMED, f"{self.label}: the answer did not mention {number}")
                    ),
                )
        # Carriers quote what they were sent in their error texts: the account's credentials are masked.
        return {
            number: replace(result, error=self.redact(result.error)) if result.error else result
            for number, result in results.items()
        }

    def track_one(self, tracking_number):
        """The TrackingResult of one number; a blank one is a configuration failure, never sent."""
        number = "" if tracking_number is None else str(tracking_number).strip()
        if not number:
            return TrackingResult.failure(number, CarrierError(ERROR_CONFIG, f"{self.label}: empty tracking number"))
        return self.track([number])[number]

    @staticmethod
    def _asked_as(answered, chunk):
        """The numbers of ``chunk`` a result for ``answered`` belongs to: the same number, else the
        ones with the same normalized form (a carrier answering ``1Z99`` for ``1z99``)."""
        if answered in chunk:
            return [answered]
        wanted = normalize_tracking_number(answered)
        return [number for number in chunk if normalize_tracking_number(number) == wanted]

    def _unexpected_error(self, exc, chunk):
        """The CarrierError a non-carrier exception becomes; its traceback is logged, credentials masked."""
        trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        _logger.warning(
            "%s: %s while tracking %s number(s), each gets a malformed-answer error:\n%s",
            self.label,
            exc.__class__.__name__,
            len(chunk),
            self.redact(trace),
        )
        detail = self.redact(str(exc))[:200]
        return CarrierError(ERROR_MALFORMED, f"{self.label}: malformed answer ({exc.__class__.__name__}: {detail})")

    def test_connection(self):
        """Authenticate and make one cheap call; raise CarrierError when it fails."""
        result = self.track_one(self.connection_test_number())
        if result.error_kind and result.error_kind != ERROR_NOT_FOUND:
            raise CarrierError(result.error_kind, result.error)
        return True

    def connection_test_number(self):
        return "0000000000"

    @classmethod
    def tracking_link(cls, tracking_number):
        if not cls.public_tracking_url:
            return False
        return cls.public_tracking_url.replace("<number>", tracking_number)

    # ------------------------------------------------------------- for subclasses
    def _track_batch(self, numbers):
        raise NotImplementedError
