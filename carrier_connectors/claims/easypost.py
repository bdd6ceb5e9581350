"""EasyPost Claims API: file, follow and cancel claims on parcels insured through EasyPost.

Calls (all under ``/v2``, HTTP Basic with the API key as user name and no password):
``POST /claims`` (parameters at the top level of the JSON body, not wrapped in ``claim``),
``GET /claims/{id}``, ``GET /claims`` (``{"claims": [...], "has_more": ...}``, next page with
``before_id`` = the last id) and ``POST /claims/{id}/cancel``.

Sources, cited next to each field below:

- [sample] public samples ``easypost_python_claim_create_request.json``,
  ``..._create_response.json``, ``..._cancel_response.json`` (EasyPost/easypost-python @ 8fcf5e4,
  tests/cassettes; copies in ``tests/fixtures/``): real request and answers.
- [docs] docs.easypost.com/docs/insurance/claims: the Claim object and its statuses
  submitted, in_review, approved, approved_partial, rejected, cancelled, needs_action; the claim
  messages guide: "if status is approved_partial, that amount is all that will be paid", and on
  rejection "status_detail ... is the denial reason".
- [csharp] EasyPost/easypost-csharp: ``Parameters/Claim/Create.cs`` (create parameters: ``type``
  required; ``tracking_code``, ``amount``, ``description``, ``recipient_name``, ``contact_email``,
  ``payment_method``, and three attachment lists of base64 strings, supporting documents required
  for damage and theft), ``Models/API/ClaimType.cs`` (damage, loss, theft),
  ``ClaimPaymentMethod.cs`` (easypost_wallet, mailed_check, ach, replacement_order,
  store_credit), ``Parameters/Claim/All.cs`` (list: ``page_size`` at most 100, default 20;
  ``start_datetime`` defaults to one month ago; ``before_id``), ``Models/API/Claim.cs``.
- [python] EasyPost/easypost-python ``easypost/services/claim_service.py``: the four paths, the
  unwrapped create body, pagination with ``before_id`` while ``has_more``.
- [php] EasyPost/easypost-php ``lib/EasyPost/Claim.php``: the Claim object has a ``reference``.
- [errors] docs.easypost.com/docs/errors: ``{"error": {"code", "message", "errors": [...]}}``,
  ``errors`` being FieldError objects (``field``, ``message``, ``suggestion``) or strings;
  easypost-python tests/cassettes/test_error.yaml: HTTP 422 ``PARAMETER.REQUIRED``.
- [auth] EasyPost API docs, Authentication: "an API Key on every request as your Basic Auth
  username (no password is required)"; EasyPost objects: ids are a prefix and 32 hex characters,
  many objects take an optional ``reference`` at creation.

EasyPost states no currency on a claim: its amounts are US dollars (as insurance amounts, "USD
value of insured goods"), so a claim in another currency is not sent (``ERROR_INVALID``).
"""

import base64
import logging
import mimetypes
from datetime import timezone
from urllib.parse import quote, urlsplit

import requests

from ..clients.api import ERROR_MALFORMED, ERROR_NOT_FOUND, ApiError
from .base import (
    ACCEPTED,
    ATTACHMENT_EVIDENCE,
    ATTACHMENT_INVOICE,
    ATTACHMENT_KINDS,
    ATTACHMENT_SUPPORTING,
    CANCELLED,
    ERROR_INVALID,
    ERROR_REFUSED,
    PARTIALLY_ACCEPTED,
    REJECTED,
    SUBMITTED,
    ClaimAttachment,
    ClaimHistoryEntry,
    ClaimResult,
    ClaimsClient,
    format_amount,
    parse_amount,
    parse_time,
)
from .registry import register

_logger = logging.getLogger(__name__)

API = "/v2/claims"
CURRENCY = "USD"
MAX_PAGE_SIZE = 100  # [csharp] All.cs: "The maximum value is 100, and default is 20."
# Our safety limit on a document fetched from a URL, not EasyPost's (it publishes none).
MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024

# EasyPost claim status [docs] -> ours. "approved" is the whole amount, "approved_partial" a lower
# approved_amount that is final [docs, claim messages guide]. "in_review" and "needs_action" are
# still open (needs_action: EasyPost waits for us, see ClaimResult.action_required). EasyPost
# reports no payment: "paid" is recorded on our side when the money arrives.
STATUSES = {
    "submitted": SUBMITTED,
    "in_review": SUBMITTED,
    "needs_action": SUBMITTED,
    "approved": ACCEPTED,
    "approved_partial": PARTIALLY_ACCEPTED,
    "rejected": REJECTED,
    "cancelled": CANCELLED,
}
TYPES = ("damage", "loss", "theft")  # [csharp] ClaimType.cs
TYPE_ALIASES = {"lost": "loss", "damaged": "damage", "stolen": "theft"}
# Attachment kind -> create parameter [sample request, csharp Create.cs].
ATTACHMENT_FIELDS = {
    ATTACHMENT_EVIDENCE: "email_evidence_attachments",
    ATTACHMENT_INVOICE: "invoice_attachments",
    ATTACHMENT_SUPPORTING: "supporting_documentation_attachments",
}


def error_text(payload):
    """(code, message) of an EasyPost error body [errors]: the message followed by each field
    error, e.g. ``Missing required parameter. (tracking_code: cannot be blank)``."""
    error = payload.get("error") if isinstance(payload, dict) else None
    if not isinstance(error, dict):
        return "", ""
    message = error.get("message")
    if not isinstance(message, str):  # [errors] the message may itself be a list or an object
        message = "; ".join(str(part) for part in (message or []) if part) if isinstance(message, list) else ""
    details = []
    for item in error.get("errors") or []:
        if isinstance(item, dict):
            text = " ".join(filter(None, [item.get("message"), item.get("suggestion")]))
            details.append(f"{item['field']}: {text}" if item.get("field") else text)
        elif item:
            details.append(str(item))
    details = [d for d in details if d]
    if details:
        message = f"{message} ({'; '.join(details)})" if message else "; ".join(details)
    return error.get("code") or "", message or ""


def parse_claim(claim):
    """A ClaimResult from an EasyPost Claim object [sample response, docs]."""
    raw_status = claim.get("status") or ""
    status = STATUSES.get(raw_status)
    if status is None:
        # A status EasyPost added since: keep asking (the claim is not decided for us) and show it.
        _logger.warning("EasyPost: unknown claim status %r on %s, taken as submitted", raw_status, claim.get("id"))
        status = SUBMITTED
    history = [
        ClaimHistoryEntry(
            status=STATUSES.get(entry.get("status"), SUBMITTED),
            raw_status=entry.get("status") or "",
            detail=entry.get("status_detail") or "",  # [sample] "Claim was created."
            at=parse_time(entry.get("timestamp")),
        )
        for entry in claim.get("history") or []
    ]
    # [sample] the newest entry comes first; ours are oldest first, also for entries of the same second.
    history.reverse()
    history.sort(key=lambda entry: (entry.at is None, entry.at or 0))
    return ClaimResult(
        claim_ref=claim["id"],  # [sample] "clm_" + 32 hex
        status=status,
        raw_status=raw_status,
        status_detail=claim.get("status_detail") or "",  # [docs] the reason of the status, e.g. the denial
        action_required=raw_status == "needs_action",
        approved_amount=parse_amount(claim.get("approved_amount")),  # [sample] null until approved
        requested_amount=parse_amount(claim.get("requested_amount")),  # [sample] "100.00"
        currency=CURRENCY,
        tracking_code=claim.get("tracking_code") or "",  # [sample]
        reference=claim.get("reference") or "",  # [php]
        history=history,
        attachment_urls=list(claim.get("attachments") or []),  # [sample] EasyPost's copies, as URLs
        submitted_at=parse_time(claim.get("created_at")),  # [sample]
        status_at=parse_time(claim.get("status_timestamp")),  # [sample]
        raw=claim,
    )


@register
class EasyPostClaimsClient(ClaimsClient):
    provider = "easypost"
    label = "EasyPost"
    default_base_url = "https://api.easypost.com"
    credential_fields = ("api_key",)
    # EasyPost publishes no fixed rate; it answers 429 when a key goes too fast (errors guide).
    default_rate_limit = 5.0

    def _auth_headers(self):
        # [auth] Basic auth, the API key as user name and an empty password.
        token = base64.b64encode(f"{self.credentials['api_key']}:".encode()).decode()
        return {"Authorization": f"Basic {token}", "Accept": "application/json"}

    def _error_from_response(self, response, auth_request=False):
        error = super()._error_from_response(response, auth_request)
        try:
            code, message = error_text(response.json())
        except ValueError:
            code, message = "", ""
        status = response.status_code
        if error.kind == ERROR_MALFORMED and 400 <= status < 500:
            # 400, 402, 409, 422...: EasyPost understood and said no [errors]. Not retried.
            error = ApiError(ERROR_REFUSED, f"EasyPost: {message or f'request refused (HTTP {status})'}")
        elif message:
            error.message = f"{error.message.split(' (HTTP')[0]} (HTTP {status}): {message}"
        error.http_status, error.easypost_code = status, code
        return error

    # ------------------------------------------------------------------ requests
    def _claim_body(self, request):
        """The create body [sample request, csharp Create.cs]; raises ValueError for a claim that
        cannot be sent as it is."""
        if (request.currency or CURRENCY).upper() != CURRENCY:
            raise ValueError(f"EasyPost claims are in US dollars; this claim is in {request.currency}")
        claim_type = (request.type or "").strip().lower()
        body = {
            # [csharp] required; damage, loss or theft. Other values are left to EasyPost to refuse.
            "type": TYPE_ALIASES.get(claim_type, claim_type),
            "tracking_code": (request.tracking_code or "").strip(),  # [sample]
            "amount": format_amount(request.amount),  # [sample] a string, "100.00"
            "description": request.description or "",  # [sample]
            "contact_email": request.contact_email or "",  # [sample]
        }
        if request.recipient_name:
            body["recipient_name"] = request.recipient_name  # [csharp] who receives the reimbursement
        if request.payment_method:
            body["payment_method"] = request.payment_method  # [csharp] ClaimPaymentMethod values
        if request.reference:
            body["reference"] = request.reference  # [php] Claim.reference; [auth] set at creation
        for attachment in request.attachments or []:
            attachment = ClaimAttachment.coerce(attachment)
            if attachment.kind not in ATTACHMENT_KINDS:
                raise ValueError(f"unknown attachment kind {attachment.kind!r} ({attachment.filename})")
            body.setdefault(ATTACHMENT_FIELDS[attachment.kind], []).append(self._data_uri(attachment))
        return body

    def _data_uri(self, attachment):
        """[sample request] each attachment is a ``data:<type>;base64,...`` string."""
        content = attachment.content
        if isinstance(content, str):
            content = self._download(attachment.filename, content)
        if not isinstance(content, (bytes, bytearray)) or not content:
            raise ValueError(f"the attachment {attachment.filename} is empty")
        mimetype = attachment.mimetype or mimetypes.guess_type(attachment.filename or "")[0]
        return f"data:{mimetype or 'application/octet-stream'};base64,{base64.b64encode(content).decode()}"

    def _download(self, filename, url):
        """Bytes of a document given by URL. Fetched without our EasyPost credentials: the URL
        may be anyone's."""
        if urlsplit(url).scheme not in ("http", "https"):
            raise ValueError(f"the attachment {filename} is neither a file nor an http(s) URL")
        try:
            with self.session.get(url, timeout=self.timeout, stream=True) as response:
                response.raise_for_status()
                content = response.raw.read(MAX_ATTACHMENT_BYTES + 1, decode_content=True)
        except requests.RequestException as exc:
            raise ValueError(f"the attachment {filename} could not be fetched ({exc.__class__.__name__})") from None
        if len(content) > MAX_ATTACHMENT_BYTES:
            raise ValueError(f"the attachment {filename} is larger than {MAX_ATTACHMENT_BYTES // 2**20} MiB")
        return content

    def _claim_path(self, claim_ref, suffix=""):
        return f"{API}/{quote((claim_ref or '').strip(), safe='')}{suffix}"

    def _claim_answer(self, response, claim_ref):
        if response.status_code == 404:
            _code, message = error_text(self._json_or_empty(response))
            error = ApiError(ERROR_NOT_FOUND, f"EasyPost: no claim {claim_ref}" + (f": {message}" if message else ""))
            return ClaimResult.failure(error, claim_ref=claim_ref)
        payload = self._json(response)
        try:
            return parse_claim(payload)
        except ApiError as exc:
            return ClaimResult.failure(ApiError(ERROR_MALFORMED, f"EasyPost: {exc.message}"), claim_ref, payload)
        except (KeyError, TypeError, AttributeError) as exc:
            error = ApiError(ERROR_MALFORMED, f"EasyPost: malformed claim ({exc.__class__.__name__}: {exc})")
            return ClaimResult.failure(error, claim_ref=claim_ref, raw=payload)

    def _json_or_empty(self, response):
        try:
            return response.json()
        except ValueError:
            return {}

    # ---------------------------------------------------------------- public API
    def submit_claim(self, request):
        try:
            body = self._claim_body(request)
        except ValueError as exc:
            return ClaimResult.failure(ApiError(ERROR_INVALID, f"EasyPost: {exc}"))
        try:
            response = self._request("POST", API, json=body)
        except ApiError as exc:
            if exc.kind == ERROR_REFUSED:
                return ClaimResult.failure(exc)
            raise
        try:
            result = self._claim_answer(response, "")
        except ApiError as exc:
            result = ClaimResult.failure(exc)
        if not result.ok and result.error_kind == ERROR_MALFORMED:
            # The POST went through: EasyPost may hold a claim we could not read. Say so, so
            # nobody files it twice.
            result.error += "; the claim may have been filed: look it up in EasyPost before filing it again"
        elif result.ok:
            _logger.info("EasyPost: claim %s filed for %s", result.claim_ref, result.tracking_code)
        return result

    def get_claim(self, claim_ref):
        try:
            response = self._request("GET", self._claim_path(claim_ref))
        except ApiError as exc:
            if exc.kind == ERROR_REFUSED:
                return ClaimResult.failure(exc, claim_ref=claim_ref)
            raise
        return self._claim_answer(response, claim_ref)

    def cancel_claim(self, claim_ref):
        """Withdraw a claim EasyPost has not decided yet [python] ``POST /claims/{id}/cancel``;
        the answer is the claim, now ``cancelled`` [sample cancel response]."""
        try:
            # [python cassette test_claim_cancel] the request body is an empty JSON object.
            response = self._request("POST", self._claim_path(claim_ref, "/cancel"), json={})
        except ApiError as exc:
            if exc.kind == ERROR_REFUSED:
                return ClaimResult.failure(exc, claim_ref=claim_ref)
            raise
        return self._claim_answer(response, claim_ref)

    def list_claims(self, since=None, page_size=MAX_PAGE_SIZE, max_pages=None):
        """Claims created since ``since`` (naive UTC; EasyPost's default is one month ago
        [csharp All.cs]), newest first, every page read. A claim of the list that cannot be
        read comes back failed, with its id, without hiding the others."""
        params = {"page_size": max(1, min(int(page_size or MAX_PAGE_SIZE), MAX_PAGE_SIZE))}
        if since:
            moment = since.astimezone(timezone.utc) if since.tzinfo else since
            params["start_datetime"] = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        results, pages = [], 0
        while True:
            payload = self._json(self._request("GET", API, params=params))
            try:
                claims = payload["claims"]  # [python] filters key "claims"
                has_more = bool(payload.get("has_more"))
            except (KeyError, TypeError, AttributeError) as exc:
                raise ApiError(ERROR_MALFORMED, "EasyPost: the claim list has no 'claims'") from exc
            for claim in claims:
                ref = claim.get("id", "") if isinstance(claim, dict) else ""
                try:
                    results.append(parse_claim(claim))
                except (ApiError, KeyError, TypeError, AttributeError) as exc:
                    error = ApiError(ERROR_MALFORMED, f"EasyPost: malformed claim in the list ({exc})")
                    results.append(ClaimResult.failure(error, claim_ref=ref, raw=claim))
            pages += 1
            last_id = claims[-1].get("id") if claims and isinstance(claims[-1], dict) else None
            if not has_more or not last_id or last_id == params.get("before_id"):
                return results
            if max_pages and pages >= max_pages:
                return results
            params["before_id"] = last_id  # [python] get_next_page
