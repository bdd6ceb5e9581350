"""Claims clients (carriers, shipping insurers): plain Python over ``requests``, no ORM."""

from .base import (
    CLAIM_ERROR_KINDS,
    CLAIM_STATES,
    ERROR_INVALID,
    ERROR_REFUSED,
    ClaimAttachment,
    ClaimHistoryEntry,
    ClaimRequest,
    ClaimResult,
    ClaimsClient,
)
from .registry import PROVIDERS, get_claims_client_class, provider_selection
from . import easypost
