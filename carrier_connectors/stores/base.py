"""Store (marketplace) clients: the common contract, plain Python over ``requests``, no ORM.

A store client does two things for the lost-parcel flow:

- ``push_tracking(update) -> WriteBackResult``: show the buyer the new carrier and tracking
  number of a reship. A reship ends up as exactly one new tracking number on the store however
  often it is retried: each store module reads what the store already has, or uses the store's own
  edit-in-place semantics (see the module docstrings). It never raises for something the store
  says (a refused number, an outage, a rate limit): the result carries the store's own error text,
  the error kind and the wait the store asked for, so a queue can retry later.
- ``order_lines(order_ref) -> list[StoreOrderLine]``: the store's lines of an order (id, quantity,
  SKU), so a caller can name the lines a partial or split reship carries (``TrackingUpdate.lines``).
  Amazon, eBay and Walmart have it; Shopify writes onto the lost parcel's fulfillment, whose
  lines the store already knows.
- ``fetch_buyer_claims(since, closed_since=None) -> list[BuyerClaim]``: buyers' "item not
  received" claims, where the store has a public API for them (Shopify, eBay); ``closed_since``
  also reads claims closed since created then, so a claim recorded open can be closed. Raises
  ``ApiError`` on auth failure or outage.
  Amazon and Walmart have no such API: their clients have no such method
  (``supports_buyer_claims`` is False) and ``claims_unavailable_reason`` says why.

HTTP (timeouts, retries honouring ``Retry-After``, per-account rate limit, OAuth2 token cache)
comes from ``clients/api.py``'s ``ApiClient``.
"""

from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import urlsplit

try:
    from ..clients.api import (
        ERROR_AUTH,
        ERROR_CARRIER_DOWN,
        ERROR_CONFIG,
        ERROR_MALFORMED,
        ERROR_NOT_FOUND,
        ERROR_RATE_LIMITED,
        ApiClient,
        ApiError,
        BodyError,
        find_message,
    )
except ImportError:  # imported as a top-level package (client tests, benchmarks): no addon around it
    from clients.api import (
        ERROR_AUTH,
        ERROR_CARRIER_DOWN,
        ERROR_CONFIG,
        ERROR_MALFORMED,
        ERROR_NOT_FOUND,
        ERROR_RATE_LIMITED,
        ApiClient,
        ApiError,
        BodyError,
        find_message,
    )

# Kinds of a failed write-back, besides the HTTP kinds of clients/api.py.
ERROR_REJECTED = "rejected"  # the store refused the tracking data (its own text is in .error)
ERROR_INVALID = "invalid"  # the update itself is incomplete: nothing was sent
STORE_ERROR_KINDS = [
    (ERROR_REJECTED, "Refused by the store"),
    (ERROR_INVALID, "Incomplete update"),
    (ERROR_AUTH, "Authentication failed"),
    (ERROR_NOT_FOUND, "Order not found"),
    (ERROR_RATE_LIMITED, "Rate limited"),
    (ERROR_CARRIER_DOWN, "Store unreachable"),
    (ERROR_MALFORMED, "Malformed answer"),
    (ERROR_CONFIG, "Configuration error"),
]

# What a write-back did on the store.
ACTION_CREATED = "created"  # a new package / fulfillment carries the number
ACTION_UPDATED = "updated"  # an existing package / fulfillment now carries the number
ACTION_UNCHANGED = "unchanged"  # the store already showed this number: nothing sent

# BuyerClaim.kind
CLAIM_INQUIRY = "inquiry"  # eBay INR inquiry; Shopify Payments dispute of type "inquiry"
CLAIM_CHARGEBACK = "chargeback"  # Shopify Payments dispute of type "chargeback"
CLAIM_PAYMENT_DISPUTE = "payment_dispute"  # eBay payment dispute, reason ITEM_NOT_RECEIVED


@dataclass
class TrackingUpdate:
    """A reship's tracking, to show on the store.

    ``order_ref`` is the store's order id (Shopify order id or gid, Amazon order id, eBay order id,
    Walmart purchaseOrderId). ``lines`` are ``(store line id, quantity)`` pairs (Amazon
    orderItemId, eBay lineItemId, Walmart lineNumber): the lines this reship delivery carries and
    how many units of each; empty means every line of the order at its full quantity, read from
    the store (only right when the reship resends the whole order). ``package_reference`` must
    stay the same for every retry of one reship delivery (Amazon edits the package with that id
    instead of adding one) and differ between two deliveries of a split reship: the reship
    delivery's id is a good one. ``previous_tracking_number`` is the lost parcel's number, which
    Shopify and Walmart replace; ``other_tracking_numbers`` are the numbers of the same reship's
    other deliveries already on the store (a split reship: Shopify keeps them beside the new one).
    ``store_fulfillment_ref`` is the store's fulfillment id when known (Shopify Fulfillment gid).
    ``ship_date`` is a naive UTC datetime (or aware); now when empty.
    """

    order_ref: str
    carrier_name: str
    carrier_code: str
    tracking_number: str
    tracking_url: str = ""
    ship_date: datetime = None
    lines: list = field(default_factory=list)
    package_reference: str = ""
    previous_tracking_number: str = ""
    store_fulfillment_ref: str = ""
    other_tracking_numbers: list = field(default_factory=list)


@dataclass
class StoreOrderLine:
    """One line of a store order as the store gives it: its id (Amazon OrderItemId, eBay
    lineItemId, Walmart lineNumber), the quantity ordered, the seller's SKU and the title."""

    ref: str
    quantity: int = 1
    sku: str = ""
    title: str = ""


@dataclass
class WriteBackResult:
    """Outcome of ``push_tracking``. ``store_reference`` is the store's id of the fulfillment or
    package now carrying the number; ``error`` is the store's own text when it refused."""

    ok: bool
    store_reference: str = ""
    error_kind: str = ""
    error: str = ""
    retry_after: float = None
    raw: object = None
    action: str = ""


@dataclass
class BuyerClaim:
    """A buyer's "item not received" claim. ``opened_at`` and ``respond_by`` are naive UTC;
    ``respond_by`` is the store's deadline for the seller (Shopify ``evidence_due_by``, eBay
    ``respondByDate``); None when the store gives none (eBay inquiries). ``line_refs`` are the
    store's order line ids when the claim names lines. ``closed`` is True when the store says the
    claim is over in another way than its status (eBay's CLOSED preset, a ``closedAt``)."""

    store: str
    claim_ref: str
    order_ref: str
    kind: str
    status: str
    opened_at: datetime = None
    respond_by: datetime = None
    amount: float = 0.0
    currency: str = ""
    message: str = ""
    raw: object = None
    line_refs: tuple = ()
    closed: bool = False


class StoreClient(ApiClient):
    """Base of the store clients. Subclasses set ``store``, ``label``, ``default_base_url``,
    ``credential_fields``, ``default_rate_limit`` (the documented figure, with its source), and
    implement ``_push_tracking`` and ``test_connection``; those that have a claims API add
    ``fetch_buyer_claims``.

    ``production_urls`` names the other hosts of a store's real API (token endpoint, GraphQL,
    ...): they are used while the account points at the store's production base URL; an account
    pointed anywhere else (the sandbox) sends every call to its own base URL, same paths.
    """

    store = None
    production_urls = {}
    claims_unavailable_reason = ""

    @property
    def provider(self):
        return self.store

    @classmethod
    def supports_buyer_claims(cls):
        return callable(getattr(cls, "fetch_buyer_claims", None))

    @classmethod
    def supports_order_lines(cls):
        return callable(getattr(cls, "order_lines", None))

    def _url(self, name):
        """Full URL of one of ``production_urls``, or the same path on the account's base URL."""
        production = self.production_urls[name]
        if self.base_url == (self.default_base_url or "").rstrip("/"):
            return production
        return self.base_url + urlsplit(production).path

    def push_tracking(self, update):
        problem = self._check_update(update)
        if problem:
            return WriteBackResult(False, error_kind=ERROR_INVALID, error=f"{self.label}: {problem}")
        try:
            return self._push_tracking(update)
        except ApiError as exc:
            return WriteBackResult(
                False,
                error_kind=exc.kind,
                error=exc.message,
                retry_after=exc.retry_after,
                raw=getattr(exc, "payload", None),
            )

    def _check_update(self, update):
        if not (update.order_ref or "").strip():
            return "the update names no store order"
        if not normalize_number(update.tracking_number):
            return "the update has no tracking number"
        if not (update.carrier_name or update.carrier_code):
            return "the update names no carrier"
        return ""

    def _push_tracking(self, update):
        raise NotImplementedError

    def test_connection(self):
        raise NotImplementedError

    def _error_from_response(self, response, auth_request=False):
        """A 4xx about the data (not auth, not throttling) is the store refusing it: its own text
        and body are kept, and ``push_tracking`` hands them back as a rejected write-back."""
        code = response.status_code
        if not auth_request and 400 <= code < 500 and code not in (401, 403, 429):
            payload = safe_json(response)
            text = self._refusal_text(payload) or f"HTTP {code}"
            return StoreRefusal(f"{self.label}: {text}", code, payload)
        return super()._error_from_response(response, auth_request)

    def _refusal_text(self, payload):
        if isinstance(payload, dict) and isinstance(payload.get("errors"), str):
            return payload["errors"]  # Shopify: {"errors": "[API] Invalid API key ..."}
        return find_message(payload)

    def _error_detail(self, response):
        text = self._refusal_text(safe_json(response))
        return f": {text}" if text else ""


class StoreRefusal(ApiError):
    """The store answered 4xx about the request's data; ``payload`` is its error body."""

    def __init__(self, message, status, payload):
        super().__init__(ERROR_REJECTED, message)
        self.status = status
        self.payload = payload


def normalize_number(number):
    """The form tracking numbers are compared in (same rule as the carrier clients'): case and
    spaces ignored."""
    return "".join((number or "").split()).upper()


def ship_date_utc(update):
    """The update's ship date as an aware UTC datetime, now when not set."""
    when = update.ship_date or datetime.now(timezone.utc)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc)


def iso_z(when):
    """``2022-02-11T01:00:00.000Z``: ISO 8601 UTC with milliseconds, as the stores' samples write it."""
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def parse_time(value):
    """ISO 8601 string (any offset, or Z) or epoch milliseconds → naive UTC datetime; None if empty."""
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value / 1000, timezone.utc).replace(tzinfo=None)
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise ApiError(ERROR_MALFORMED, f"unreadable date {value!r}") from exc
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed


def to_amount(value):
    try:
        return float(value or 0.0)
    except (TypeError, ValueError):
        return 0.0


def safe_json(response):
    try:
        return response.json()
    except ValueError:
        return None


__all__ = [
    "ACTION_CREATED",
    "ACTION_UNCHANGED",
    "ACTION_UPDATED",
    "ERROR_AUTH",
    "ERROR_CARRIER_DOWN",
    "ERROR_CONFIG",
    "ERROR_INVALID",
    "ERROR_MALFORMED",
    "ERROR_NOT_FOUND",
    "ERROR_RATE_LIMITED",
    "ERROR_REJECTED",
    "BodyError",
    "BuyerClaim",
    "StoreClient",
    "StoreOrderLine",
    "StoreRefusal",
    "TrackingUpdate",
    "WriteBackResult",
]
