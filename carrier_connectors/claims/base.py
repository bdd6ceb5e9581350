"""What every claims client takes and returns, whatever the provider (EasyPost, an insurer...).

Plain Python, no ORM: the Odoo side (``carrier.claim.account``) builds a ``ClaimRequest`` from
its claim, hands it to a client and stores the ``ClaimResult``. Amounts are plain numbers in
``currency``; times are naive UTC, like everything Odoo stores.

Our claim states (``CLAIM_STATES``) are the same for every provider; each client maps its
provider's statuses onto them and keeps the provider's own in ``ClaimResult.raw_status``.
"""

from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation

from ..clients.api import (
    ERROR_AUTH,
    ERROR_CARRIER_DOWN,
    ERROR_CONFIG,
    ERROR_KINDS,
    ERROR_MALFORMED,
    ERROR_RATE_LIMITED,
    ApiClient,
    ApiError,
)

# ------------------------------------------------------------------ our claim states
DRAFT = "draft"  # not filed yet: never reported by a provider, set by our claim model
SUBMITTED = "submitted"  # filed, the provider has not decided (includes "in review", "needs action")
ACCEPTED = "accepted"  # the whole requested amount approved
PARTIALLY_ACCEPTED = "partially_accepted"  # a lower amount approved: that amount is all that will be paid
REJECTED = "rejected"  # refused after review; ``status_detail`` gives the reason
PAID = "paid"  # the money arrived: set by our claim model when the payment is recorded
CANCELLED = "cancelled"  # withdrawn by us (cancel_claim) before a decision
CLAIM_STATES = [
    (DRAFT, "Draft"),
    (SUBMITTED, "Submitted"),
    (ACCEPTED, "Accepted"),
    (PARTIALLY_ACCEPTED, "Partially accepted"),
    (REJECTED, "Rejected"),
    (PAID, "Paid"),
    (CANCELLED, "Cancelled"),
]
# States in which the provider still has to decide: the ones worth asking about again.
OPEN_STATES = (SUBMITTED,)

# Error kinds besides those of ``clients.api``: a claim the provider refused to file (missing
# field, unknown tracking code...), and one we did not send because it cannot be filed as it is.
ERROR_REFUSED = "refused"
ERROR_INVALID = "invalid"
CLAIM_ERROR_KINDS = [
    *ERROR_KINDS,
    (ERROR_REFUSED, "Refused by the provider"),
    (ERROR_INVALID, "Invalid claim (not sent)"),
]
# Failures of the account or the provider as a whole rather than of one claim: a batch stops
# asking about further claims after one of these (see ``ClaimsClient.get_claims``).
ACCOUNT_ERRORS = (ERROR_AUTH, ERROR_CARRIER_DOWN, ERROR_RATE_LIMITED, ERROR_CONFIG)

# Evidence kinds of an attachment (EasyPost files each kind in its own list).
ATTACHMENT_EVIDENCE = "email_evidence"  # the correspondence with the carrier or the customer
ATTACHMENT_INVOICE = "invoice"  # proof of value
ATTACHMENT_SUPPORTING = "supporting_documentation"  # photos, tracking timeline, anything else
ATTACHMENT_KINDS = (ATTACHMENT_EVIDENCE, ATTACHMENT_INVOICE, ATTACHMENT_SUPPORTING)


@dataclass
class ClaimAttachment:
    """A document for the claim: ``content`` is the file's bytes, or an http(s) URL to fetch it from."""

    filename: str
    content: object
    kind: str = ATTACHMENT_SUPPORTING
    mimetype: str = ""

    @classmethod
    def coerce(cls, value):
        """A ClaimAttachment from itself or a tuple ``(filename, content[, kind[, mimetype]])``."""
        if isinstance(value, cls):
            return value
        if isinstance(value, (tuple, list)) and 2 <= len(value) <= 4:
            return cls(*value)
        raise ValueError(f"an attachment is (filename, bytes or URL[, kind]), not {type(value).__name__}")


@dataclass
class ClaimRequest:
    """A claim to file. ``type`` is ``loss``, ``damage`` or ``theft`` (``lost``, ``damaged``,
    ``stolen`` are understood too); ``amount`` is what we ask for, in ``currency``."""

    type: str
    tracking_code: str
    amount: object
    currency: str = "USD"
    description: str = ""
    contact_email: str = ""
    recipient_name: str = ""
    attachments: list = field(default_factory=list)
    reference: str = ""
    payment_method: str = ""


@dataclass
class ClaimHistoryEntry:
    status: str  # ours (CLAIM_STATES)
    raw_status: str  # the provider's
    detail: str = ""
    at: datetime = None  # naive UTC


@dataclass
class ClaimResult:
    """A claim as the provider sees it, or why it could not be filed or read.

    ``ok`` is True when the call worked; ``error_kind`` (``CLAIM_ERROR_KINDS``) and ``error``
    (the provider's own message where it gave one) say what went wrong otherwise.
    """

    claim_ref: str = ""
    status: str = ""
    raw_status: str = ""
    status_detail: str = ""
    # True while the provider waits for something from us (EasyPost "needs_action").
    action_required: bool = False
    approved_amount: float = None
    requested_amount: float = None
    currency: str = ""
    tracking_code: str = ""
    reference: str = ""
    history: list = field(default_factory=list)  # ClaimHistoryEntry, oldest first
    attachment_urls: list = field(default_factory=list)
    submitted_at: datetime = None
    status_at: datetime = None
    error_kind: str = ""
    error: str = ""
    retry_after: float = None
    raw: object = None

    @property
    def ok(self):
        return not self.error_kind

    @classmethod
    def failure(cls, error, claim_ref="", raw=None):
        return cls(
            claim_ref=claim_ref,
            error_kind=getattr(error, "kind", ERROR_MALFORMED),
            error=getattr(error, "message", str(error)),
            retry_after=getattr(error, "retry_after", None),
            raw=raw,
        )


def parse_amount(value):
    """A money string of the provider (``"100.00"``) as a float; None when absent."""
    if value in (None, ""):
        return None
    try:
        return float(Decimal(str(value)))
    except (InvalidOperation, ValueError) as exc:
        raise ApiError(ERROR_MALFORMED, f"unreadable amount {value!r}") from exc


def format_amount(value):
    """``100`` -> ``"100.00"``; raises ValueError for anything that is not a positive amount."""
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise ValueError(f"the amount {value!r} is not a number") from None
    if not amount.is_finite() or amount <= 0:
        raise ValueError(f"the amount must be positive, not {value}")
    return f"{amount:f}"


def parse_time(value):
    """An ISO 8601 time as naive UTC; a value without offset is UTC (EasyPost's older answers
    drop the ``Z``: ``2024-07-18T21:41:13``)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise ApiError(ERROR_MALFORMED, f"unreadable time {value!r}") from exc
    if parsed.tzinfo:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed


class ClaimsClient(ApiClient):
    """A claims provider. Subclasses set ``provider``, ``label``, ``default_base_url``,
    ``credential_fields`` and implement the four calls below.

    Contract: a claim the provider refuses, or does not know, comes back as a failed
    ``ClaimResult`` with the provider's message; an outage or a rate limit that outlasts the
    retries of ``ApiClient``, or an authentication failure, raises ``ApiError``.
    """

    def submit_claim(self, request):
        """File ``request`` (a ClaimRequest); returns the ClaimResult of the new claim."""
        raise NotImplementedError

    def get_claim(self, claim_ref):
        raise NotImplementedError

    def list_claims(self, since=None, page_size=None, max_pages=None):
        """Every claim of the account created since ``since`` (naive UTC), newest first, read
        page by page (at most ``max_pages`` pages)."""
        raise NotImplementedError

    def cancel_claim(self, claim_ref):
        raise NotImplementedError

    def test_connection(self):
        """Authenticate with one cheap call that files nothing; raise ApiError when it fails."""
        self.list_claims(page_size=1, max_pages=1)
        return True

    def get_claims(self, claim_refs):
        """{ref: ClaimResult} for every reference asked. A claim that fails (unknown, refused)
        does not stop the others; after a failure of the account itself (authentication,
        outage, rate limit beyond the retries) the remaining claims get that same error
        without being asked, so an outage costs one round of retries, not one per claim."""
        results = {}
        account_error = None
        for ref in dict.fromkeys(r.strip() for r in claim_refs if r and r.strip()):
            if account_error is not None:
                results[ref] = ClaimResult.failure(account_error, claim_ref=ref)
                continue
            try:
                results[ref] = self.get_claim(ref)
            except ApiError as exc:
                results[ref] = ClaimResult.failure(exc, claim_ref=ref)
                if exc.kind in ACCOUNT_ERRORS:
                    account_error = exc
        return results
