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

from dataclasses import dataclass, field
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
    "RateLimiter",
    "TokenCache",
    "TrackingEvent",
    "TrackingResult",
    "find_message",
    "normalize_tracking_number",
    "parse_retry_after",
    "to_utc",
]

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

    def finalize(self):
        """Sort events, and derive status and delivered date from them when the carrier
        gave no summary of its own."""
        self.events.sort(key=lambda e: e.occurred_at)
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


def to_utc(value):
    """Parse an ISO 8601 string (or datetime) into a naive UTC datetime.

    A value without offset is taken as UTC: Odoo stores UTC, and carriers that drop the offset
    (DHL's events, for instance) report in UTC or in a local time we cannot know.
    """
    if not value:
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        text = str(value).strip().replace("Z", "+00:00")
        if len(text) == 10:
            text += "T00:00:00"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError as exc:
            raise CarrierError(ERROR_MALFORMED, f"Unreadable date {value!r}") from exc
    if parsed.tzinfo:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed


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
        """Return {number: TrackingResult} for every number asked."""
        numbers = list(dict.fromkeys(n.strip() for n in tracking_numbers if n and n.strip()))
        results = {}
        for start in range(0, len(numbers), self.batch_size):
            chunk = numbers[start : start + self.batch_size]
            try:
                for result in self._track_batch(chunk):
                    results[result.tracking_number] = result.finalize() if result.ok else result
            except CarrierError as exc:
                for number in chunk:
                    results.setdefault(number, TrackingResult.failure(number, exc))
            except (ValueError, LookupError, TypeError, AttributeError) as exc:
                error = CarrierError(
                    ERROR_MALFORMED, f"{self.label}: malformed answer ({exc.__class__.__name__}: {exc})"
                )
                for number in chunk:
                    results.setdefault(number, TrackingResult.failure(number, error))
            for number in chunk:
                results.setdefault(
                    number,
                    TrackingResult.failure(
                        number, CarrierError(ERROR_MALFORMED, f"{self.label}: the answer did not mention {number}")
                    ),
                )
        return results

    def track_one(self, tracking_number):
        return self.track([tracking_number])[tracking_number.strip()]

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
