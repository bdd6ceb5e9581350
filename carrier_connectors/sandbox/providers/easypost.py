"""EasyPost Claims API (``/v2/claims``), claim objects shaped like the public
sample ``easypost_python_claim_create_response.json`` (EasyPost/easypost-python @ 8fcf5e4, ``tests/cassettes``;
a copy in ``tests/fixtures/``).

Claims live in memory on the sandbox state (they survive ``reset()``, like a provider's records:
tests use fresh claims). The claimed parcel's tracking code picks the scenario:
``NOTFOUND`` in it is a tracking code EasyPost does not know (422), ``RATELIMIT``/``FLAKY429``
answer 429, ``SERVERERROR``/``FLAKY500`` 500, ``TIMEOUT`` and ``MALFORMED`` as everywhere;
later calls about the claim (retrieve, cancel) count against the same tracking code.

A test decides the claim, as EasyPost's reviewers would, with
``POST /_sandbox/easypost/claims/<id>`` ``{"status": "approved_partial", "approved_amount": "60.00",
"status_detail": "..."}`` (statuses: in_review, needs_action, approved, approved_partial, rejected).

Not from a published sample, and so our own wording in EasyPost's error shape
(``{"error": {"code", "message", "errors"}}``, docs.easypost.com/docs/errors): the 401, 404, 429
and 500 bodies, the 422 for an unknown tracking code, a wrong type or amount, and a refused
cancellation. The missing-parameter 422 follows easypost-python tests/cassettes/test_error.yaml.
"""

import base64
import binascii
import copy
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation

from .. import scenarios as sc
from ..core import CREDENTIALS, Response, route

API = "/v2/claims"
TYPES = ("damage", "loss", "theft")
PAYMENT_METHODS = ("easypost_wallet", "mailed_check", "ach", "replacement_order", "store_credit")
ATTACHMENT_FIELDS = ("email_evidence_attachments", "invoice_attachments", "supporting_documentation_attachments")
OPEN = ("submitted", "in_review", "needs_action")
DECISIONS = ("in_review", "needs_action", "approved", "approved_partial", "rejected")
DETAILS = {
    "submitted": "Claim was created.",  # sample
    "cancelled": "Claim cancellation was requested.",  # sample
    "in_review": "Claim is under review.",
    "needs_action": "More information is needed to process this claim.",
    "approved": "Claim was approved.",
    "approved_partial": "Claim was partially approved.",
    "rejected": "Claim was rejected.",
}


def _error(status, code, message, errors=None, headers=None):
    return Response(status, {"error": {"code": code, "message": message, "errors": errors or []}}, headers or {})


def _required(field):
    # easypost-python tests/cassettes/test_error.yaml
    return _error(
        422, "PARAMETER.REQUIRED", "Missing required parameter.", [{"field": field, "message": "cannot be blank"}]
    )


def _invalid(field, message):
    return _error(422, "PARAMETER.INVALID", "Invalid parameter.", [{"field": field, "message": message}])


def _stamp(when=None):
    return (when or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _claims(state):
    with state.lock:
        return state.__dict__.setdefault("easypost_claims", {})


def _authorized(request):
    header = request.header("Authorization") or ""
    if not header.startswith("Basic "):
        return False
    try:
        user, _sep, _password = base64.b64decode(header[6:]).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return user == CREDENTIALS["api_key"]


def _guard(request, state, number):
    if not _authorized(request):
        return _error(401, "APIKEY.UNAUTHORIZED", "The API key is missing, invalid or inactive.")
    fault = state.fault([number])
    if fault == sc.RATE_LIMITED:
        return _error(429, "RATE_LIMITED", "Too many requests, please slow down.")
    if fault == sc.SERVER_ERROR:
        return _error(500, "INTERNAL_SERVER_ERROR", "We're sorry, something went wrong.")
    if fault == sc.TIMEOUT:
        state.wait_for_timeout()
    if fault == sc.MALFORMED:
        return Response(200, "<html><body>502 Bad Gateway</body></html>", content_type="text/html")
    return None


def _amount(value):
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return amount.quantize(Decimal("0.01")) if amount.is_finite() and amount > 0 else None


def _attachment_url(data_uri, now):
    mime = data_uri[5:].split(";", 1)[0]
    extension = {"image/png": ".png", "image/jpeg": ".jpg", "application/pdf": ".pdf"}.get(mime, "")
    return f"https://easypost-files.s3-us-west-2.amazonaws.com/insurance/{now:%Y%m%d}/{uuid.uuid4().hex}{extension}"


def _validate(body):
    """The error Response for a create body EasyPost would refuse, or None."""
    if not isinstance(body, dict):
        return _error(422, "PARAMETER.INVALID", "The request body must be a JSON object.")
    if not body.get("type"):
        return _required("type")
    if body["type"] not in TYPES:
        return _invalid("type", f"must be one of {', '.join(TYPES)}")
    if not body.get("tracking_code"):
        return _required("tracking_code")
    if body.get("amount") in (None, ""):
        return _required("amount")
    if _amount(body["amount"]) is None:
        return _invalid("amount", "must be a positive amount")
    if body.get("payment_method") and body["payment_method"] not in PAYMENT_METHODS:
        return _invalid("payment_method", f"must be one of {', '.join(PAYMENT_METHODS)}")
    for name in ATTACHMENT_FIELDS:
        values = body.get(name) or []
        if not isinstance(values, list):
            return _invalid(name, "must be a list of base64-encoded files")
        for value in values:
            head, _sep, data = str(value).partition(";base64,")
            try:
                valid = head.startswith("data:") and data and base64.b64decode(data, validate=True)
            except binascii.Error:
                valid = False
            if not valid:
                return _invalid(name, "must be a list of base64-encoded files")
    if body["type"] in ("damage", "theft") and not body.get("supporting_documentation_attachments"):
        # easypost-csharp Parameters/Claim/Create.cs: required for damage and theft.
        return _required("supporting_documentation_attachments")
    return None


@route("easypost", "POST", API)
def create_claim(request, state):
    try:
        body = request.json()
    except ValueError:
        body = None
    number = str((body or {}).get("tracking_code") or "") if isinstance(body, dict) else ""
    error = _guard(request, state, number)
    if error:
        return error
    error = _validate(body)
    if error:
        return error
    if state.scenario(number) == sc.NOT_FOUND:
        message = "No insured shipment was found for this tracking code."
        return _error(422, "CLAIM.INVALID", message, [{"field": "tracking_code", "message": "was not found"}])
    now = datetime.now(timezone.utc).replace(microsecond=0)
    amount = f"{_amount(body['amount']):f}"
    attachments = [_attachment_url(value, now) for name in ATTACHMENT_FIELDS for value in body.get(name) or []]
    claim = {
        "approved_amount": None,
        "attachments": attachments,
        "check_delivery_address": None,
        "contact_email": body.get("contact_email") or None,
        "created_at": _stamp(now),
        "description": body.get("description") or None,
        "history": [{"status": "submitted", "status_detail": DETAILS["submitted"], "timestamp": _stamp(now)}],
        "id": f"clm_{uuid.uuid4().hex}",
        "insurance_amount": amount,
        "insurance_id": f"ins_{uuid.uuid4().hex}",
        "mode": "test",
        "object": "Claim",
        "payment_method": body.get("payment_method") or "easypost_wallet",
        "recipient_name": body.get("recipient_name") or None,
        "requested_amount": amount,
        "salvage_value": None,
        "shipment_id": f"shp_{uuid.uuid4().hex}",
        "status": "submitted",
        "status_detail": DETAILS["submitted"],
        "status_timestamp": _stamp(now),
        "tracking_code": number,
        "type": body["type"],
        "updated_at": _stamp(now),
    }
    if body.get("reference"):
        claim["reference"] = body["reference"]  # easypost-php Claim.php; absent from the sample answer
    claims = _claims(state)
    with state.lock:
        claims[claim["id"]] = claim
        return Response(201, copy.deepcopy(claim))


def _find(state, claim_id):
    claims = _claims(state)
    with state.lock:
        claim = claims.get(claim_id)
        return copy.deepcopy(claim) if claim else None


def _not_found():
    return _error(404, "NOT_FOUND", "The requested resource could not be found.")


@route("easypost", "GET", rf"{API}/(?P<claim_id>[^/]+)")
def retrieve_claim(request, state, claim_id):
    claim = _find(state, claim_id)
    error = _guard(request, state, claim["tracking_code"] if claim else claim_id)
    if error:
        return error
    return Response(200, claim) if claim else _not_found()


def _set_status(state, claim_id, status, detail, approved_amount=None):
    claims = _claims(state)
    now = _stamp()
    with state.lock:
        claim = claims[claim_id]
        claim.update(status=status, status_detail=detail, status_timestamp=now, updated_at=now)
        if approved_amount is not None:
            claim["approved_amount"] = approved_amount
        claim["history"].insert(0, {"status": status, "status_detail": detail, "timestamp": now})
        return copy.deepcopy(claim)


@route("easypost", "POST", rf"{API}/(?P<claim_id>[^/]+)/cancel")
def cancel_claim(request, state, claim_id):
    claim = _find(state, claim_id)
    error = _guard(request, state, claim["tracking_code"] if claim else claim_id)
    if error:
        return error
    if not claim:
        return _not_found()
    if claim["status"] not in OPEN:
        return _error(422, "CLAIM.CANCEL.INVALID", f"A claim that is {claim['status']} cannot be cancelled.")
    return Response(200, _set_status(state, claim_id, "cancelled", DETAILS["cancelled"]))


@route("easypost", "GET", API)
def list_claims(request, state):
    error = _guard(request, state, "")
    if error:
        return error
    try:
        page_size = int(request.arg("page_size") or 20)
    except ValueError:
        page_size = 0
    if not 1 <= page_size <= 100:
        return _invalid("page_size", "must be between 1 and 100")
    start = request.arg("start_datetime")
    try:
        since = datetime.fromisoformat(start.replace("Z", "+00:00")) if start else None
    except ValueError:
        return _invalid("start_datetime", "must be an ISO 8601 time")
    since = since or datetime.now(timezone.utc) - timedelta(days=30)  # easypost-csharp All.cs: one month
    if since.tzinfo is None:
        since = since.replace(tzinfo=timezone.utc)
    claims = _claims(state)
    with state.lock:
        # Newest first; claims created in the same second keep their creation order (dicts do).
        ordered = list(reversed(list(claims.values())))
        ordered = [c for c in ordered if datetime.fromisoformat(c["created_at"].replace("Z", "+00:00")) >= since]
        before = request.arg("before_id")
        if before:
            ids = [c["id"] for c in ordered]
            ordered = ordered[ids.index(before) + 1 :] if before in ids else []
        page = copy.deepcopy(ordered[:page_size])
    return Response(200, {"claims": page, "has_more": len(ordered) > page_size})


@route("easypost", "POST", r"/_sandbox/easypost/claims/(?P<claim_id>[^/]+)")
def decide_claim(request, state, claim_id):
    """Test control: move a claim to a status, as EasyPost's review would."""
    claim = _find(state, claim_id)
    if not claim:
        return Response(404, {"error": f"no sandbox claim {claim_id}"})
    try:
        change = request.json() or {}
        status = change["status"]
    except (ValueError, KeyError, TypeError):
        return Response(400, {"error": 'expected {"status": ..., "approved_amount": ..., "status_detail": ...}'})
    if status not in DECISIONS:
        return Response(400, {"error": f"status must be one of {', '.join(DECISIONS)}"})
    approved = None
    if status in ("approved", "approved_partial"):
        approved = _amount(change.get("approved_amount") or claim["requested_amount"])
        if approved is None or approved > Decimal(claim["requested_amount"]):
            return Response(400, {"error": "approved_amount must be positive and at most the requested amount"})
        if status == "approved_partial" and approved == Decimal(claim["requested_amount"]):
            return Response(400, {"error": "a partial approval needs an approved_amount below the requested amount"})
        approved = f"{approved:f}"
    detail = change.get("status_detail") or DETAILS[status]
    return Response(200, _set_status(state, claim_id, status, detail, approved))
