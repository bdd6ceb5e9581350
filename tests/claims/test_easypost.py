"""EasyPost Claims client over real HTTP against the sandbox, and its parsers on real answers."""

import base64
import json
from datetime import datetime, timedelta

import pytest
from lpr_carrier_connectors.claims import (
    CLAIM_STATES,
    ERROR_INVALID,
    ERROR_REFUSED,
    ClaimAttachment,
    ClaimRequest,
    get_claims_client_class,
    provider_selection,
)
from lpr_carrier_connectors.claims.easypost import STATUSES, EasyPostClaimsClient, error_text, parse_claim
from lpr_carrier_connectors.clients.api import (
    ERROR_AUTH,
    ERROR_CARRIER_DOWN,
    ERROR_CONFIG,
    ERROR_MALFORMED,
    ERROR_NOT_FOUND,
    ERROR_RATE_LIMITED,
    ApiError,
)
from sandbox.server import SandboxServer

from ..conftest import load_fixture

KEY = {"api_key": "sandbox-key"}
SAMPLE_REQUEST = load_fixture("easypost_python_claim_create_request.json")
PNG = base64.b64decode(SAMPLE_REQUEST["invoice_attachments"][0].split(",", 1)[1])


def make_client(sandbox, session=None, sleep=None, **kwargs):
    return EasyPostClaimsClient(
        base_url=sandbox.url,
        credentials=kwargs.pop("credentials", KEY),
        rate_limit=1000,
        session=session,
        sleep=sleep or (lambda s: None),
        **kwargs,
    )


def sample_claim(tracking_code="9400100208303109500669", **changes):
    """The claim of the sample request, as our claim model would hand it over."""
    values = {
        "type": "damage",
        "tracking_code": tracking_code,
        "amount": 100,
        "description": "Test description",
        "contact_email": "test@example.com",
        "attachments": [
            ("mail.png", PNG, "email_evidence"),
            ("invoice.png", PNG, "invoice"),
            ClaimAttachment("photo.png", PNG),  # supporting documentation by default
        ],
    }
    values.update(changes)
    return ClaimRequest(**values)


def decide(sandbox, session, claim_ref, **change):
    response = session.post(f"{sandbox.url}/_sandbox/easypost/claims/{claim_ref}", json=change, timeout=5)
    assert response.status_code == 200, response.text
    return response.json()


def easypost_calls(sandbox):
    return sandbox.state.requests["easypost"]


# ------------------------------------------------------------------ real answers
def test_real_create_answer_parses_into_a_submitted_claim():
    result = parse_claim(load_fixture("easypost_python_claim_create_response.json"))
    assert result.ok
    assert result.claim_ref == "clm_09ce5f03fd6b4310b9c5b7f306407214"
    assert (result.status, result.raw_status, result.status_detail) == ("submitted", "submitted", "Claim was created.")
    assert (result.requested_amount, result.approved_amount, result.currency) == (100.0, None, "USD")
    assert result.tracking_code == "9400100208303109500669"
    assert result.submitted_at == result.status_at == datetime(2025, 3, 6, 19, 47, 58)
    assert [(h.status, h.detail, h.at) for h in result.history] == [
        ("submitted", "Claim was created.", datetime(2025, 3, 6, 19, 47, 58))
    ]
    assert len(result.attachment_urls) == 3 and not result.action_required


def test_real_cancel_answer_gives_history_oldest_first():
    result = parse_claim(load_fixture("easypost_python_claim_cancel_response.json"))
    assert (result.status, result.status_detail) == ("cancelled", "Claim cancellation was requested.")
    assert [h.raw_status for h in result.history] == ["submitted", "cancelled"]
    assert result.history[-1].at == datetime(2025, 3, 6, 19, 48, 4)


def test_error_bodies_give_easypost_message_and_field_errors():
    assert error_text(load_fixture("karrio_easypost_error.json")) == (
        "TRACKER.CREATE.ERROR",
        "In test mode, only test tracking numbers are valid. Test tracking numbers are EZ1000000001, "
        "EZ2000000002, ... , EZ7000000007",
    )
    # easypost-python tests/cassettes/test_error.yaml (HTTP 422)
    body = {
        "error": {
            "code": "PARAMETER.REQUIRED",
            "message": "Missing required parameter.",
            "errors": [{"field": "shipment", "message": "cannot be blank"}],
        }
    }
    assert error_text(body) == ("PARAMETER.REQUIRED", "Missing required parameter. (shipment: cannot be blank)")
    assert error_text({"error": {"code": "X", "message": ["a", "b"], "errors": ["c"]}}) == ("X", "a; b (c)")
    assert error_text({"unexpected": 1}) == ("", "")


def test_every_documented_status_maps_to_one_of_ours():
    documented = {"submitted", "in_review", "approved", "approved_partial", "rejected", "cancelled", "needs_action"}
    assert set(STATUSES) == documented
    assert set(STATUSES.values()) <= {code for code, _label in CLAIM_STATES}
    assert STATUSES["approved"] == "accepted" and STATUSES["approved_partial"] == "partially_accepted"


def test_registry_and_defaults():
    assert get_claims_client_class("easypost") is EasyPostClaimsClient
    assert ("easypost", "EasyPost") in provider_selection()
    with pytest.raises(ApiError) as error:
        get_claims_client_class("nobody")
    assert error.value.kind == ERROR_CONFIG
    assert EasyPostClaimsClient(credentials=KEY).base_url == "https://api.easypost.com"
    with pytest.raises(ApiError) as error:
        EasyPostClaimsClient(credentials={})
    assert error.value.kind == ERROR_CONFIG and "api_key" in error.value.message


# --------------------------------------------------------------------- over HTTP
def test_submit_sends_the_sample_request_and_reads_the_claim(sandbox, session):
    result = make_client(sandbox, session).submit_claim(sample_claim())
    method, url, headers, body = session.sent[-1]
    assert (method, url) == ("POST", f"{sandbox.url}/v2/claims")
    assert json.loads(body) == SAMPLE_REQUEST  # same fields and values as EasyPost's own SDK sends
    assert headers["Authorization"] == "Basic " + base64.b64encode(b"sandbox-key:").decode()
    assert result.ok, result.error
    assert result.claim_ref.startswith("clm_") and len(result.claim_ref) == 36
    assert (result.status, result.raw_status, result.status_detail) == ("submitted", "submitted", "Claim was created.")
    assert (result.requested_amount, result.approved_amount) == (100.0, None)
    assert [h.detail for h in result.history] == ["Claim was created."]
    assert len(result.attachment_urls) == 3
    # The sandbox answers with the keys of EasyPost's real answer, no more, no fewer.
    assert set(result.raw) == set(load_fixture("easypost_python_claim_create_response.json"))


def test_optional_fields_and_aliases_are_sent_as_easypost_names_them(sandbox, session):
    request = sample_claim(
        type="lost",
        amount="42.5",
        recipient_name="Brandon Freeman",
        payment_method="mailed_check",
        reference="LPC/0007",
        attachments=[("invoice.pdf", b"%PDF-1.4 invoice", "invoice")],
    )
    result = make_client(sandbox, session).submit_claim(request)
    sent = json.loads(session.sent[-1][3])
    assert (sent["type"], sent["amount"], sent["recipient_name"]) == ("loss", "42.50", "Brandon Freeman")
    assert (sent["payment_method"], sent["reference"]) == ("mailed_check", "LPC/0007")
    assert sent["invoice_attachments"] == [
        "data:application/pdf;base64," + base64.b64encode(b"%PDF-1.4 invoice").decode()
    ]
    assert "supporting_documentation_attachments" not in sent
    assert result.ok and result.reference == "LPC/0007" and result.requested_amount == 42.5


def test_attachment_given_by_url_is_fetched_without_our_credentials(sandbox, session):
    document_url = f"{sandbox.url}/_sandbox/health"
    request = sample_claim(attachments=[("timeline.json", document_url, "supporting_documentation")])
    result = make_client(sandbox, session).submit_claim(request)
    assert result.ok, result.error
    download, submission = session.sent[-2], session.sent[-1]
    assert download[:2] == ("GET", document_url) and "Authorization" not in download[2]
    (data_uri,) = json.loads(submission[3])["supporting_documentation_attachments"]
    assert data_uri.startswith("data:application/json;base64,")
    assert json.loads(base64.b64decode(data_uri.split(",", 1)[1]))["status"] == "ok"


def test_claim_filed_can_be_fetched(sandbox):
    client = make_client(sandbox)
    filed = client.submit_claim(sample_claim())
    fetched = client.get_claim(filed.claim_ref)
    assert (fetched.ok, fetched.claim_ref, fetched.status, fetched.requested_amount) == (
        True,
        filed.claim_ref,
        "submitted",
        100.0,
    )
    unknown = client.get_claim("clm_00000000000000000000000000000000")
    assert (unknown.ok, unknown.error_kind) == (False, ERROR_NOT_FOUND)
    assert "The requested resource could not be found." in unknown.error


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"tracking_code": ""}, "Missing required parameter. (tracking_code: cannot be blank)"),
        ({"type": "lost_in_space"}, "Invalid parameter. (type: must be one of damage, loss, theft)"),
        (
            {"tracking_code": "9400NOTFOUND0001"},
            "No insured shipment was found for this tracking code. (tracking_code: was not found)",
        ),
        (
            {"attachments": [("invoice.png", PNG, "invoice")]},
            "Missing required parameter. (supporting_documentation_attachments: cannot be blank)",
        ),
    ],
)
def test_refused_claim_comes_back_with_easypost_message_without_retry(sandbox, changes, message):
    result = make_client(sandbox).submit_claim(sample_claim(**changes))
    assert (result.ok, result.error_kind, result.error) == (False, ERROR_REFUSED, f"EasyPost: {message}")
    assert easypost_calls(sandbox) == 1


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"currency": "EUR"}, "US dollars"),
        ({"amount": -5}, "must be positive"),
        ({"amount": "a lot"}, "is not a number"),
        ({"attachments": [("photo.png", "/etc/passwd")]}, "neither a file nor an http(s) URL"),
        ({"attachments": [("photo.png", PNG, "selfie")]}, "unknown attachment kind"),
        ({"attachments": [("photo.png", b"")]}, "is empty"),
        ({"attachments": ["photo.png"]}, "an attachment is"),
    ],
)
def test_claim_that_cannot_be_filed_is_not_sent(sandbox, changes, expected):
    result = make_client(sandbox).submit_claim(sample_claim(**changes))
    assert (result.ok, result.error_kind) == (False, ERROR_INVALID)
    assert expected in result.error
    assert easypost_calls(sandbox) == 0


def test_authentication_failure_raises_without_the_key(sandbox):
    client = make_client(sandbox, credentials={"api_key": "EZTK-wrong-key"})
    with pytest.raises(ApiError) as error:
        client.submit_claim(sample_claim())
    assert error.value.kind == ERROR_AUTH
    assert "HTTP 401" in error.value.message and "The API key is missing, invalid or inactive." in error.value.message
    assert "EZTK-wrong-key" not in error.value.message
    with pytest.raises(ApiError):
        client.test_connection()
    assert easypost_calls(sandbox) == 2  # not retried
    assert make_client(sandbox).test_connection() is True


def test_rate_limit_is_retried_then_raised(sandbox, no_sleep):
    sleep, waits = no_sleep
    result = make_client(sandbox, sleep=sleep).submit_claim(sample_claim("9400FLAKY4290001"))
    assert result.ok and result.status == "submitted"
    assert waits == [0.5] and easypost_calls(sandbox) == 2
    with pytest.raises(ApiError) as error:
        make_client(sandbox, sleep=sleep).submit_claim(sample_claim("9400RATELIMIT0001"))
    assert error.value.kind == ERROR_RATE_LIMITED and "Too many requests" in error.value.message
    assert easypost_calls(sandbox) == 2 + 4


def test_outage_is_retried_then_raised(sandbox, no_sleep):
    sleep, waits = no_sleep
    assert make_client(sandbox, sleep=sleep).submit_claim(sample_claim("9400FLAKY5000001")).ok
    with pytest.raises(ApiError) as error:
        make_client(sandbox, sleep=sleep).submit_claim(sample_claim("9400SERVERERROR01"))
    assert error.value.kind == ERROR_CARRIER_DOWN and "HTTP 500" in error.value.message
    assert waits == [0.5, 0.5, 1.0, 2.0]


def test_unreadable_answer_to_a_submission_warns_it_may_be_filed(sandbox):
    result = make_client(sandbox).submit_claim(sample_claim("9400MALFORMED0001"))
    assert (result.ok, result.error_kind) == (False, ERROR_MALFORMED)
    assert "may have been filed" in result.error


def test_status_sync_reads_approvals_partial_approvals_and_rejections(sandbox, session):
    client = make_client(sandbox)
    approved, partial, rejected, waiting = (client.submit_claim(sample_claim()).claim_ref for _i in range(4))
    decide(sandbox, session, approved, status="approved")
    decide(sandbox, session, partial, status="approved_partial", approved_amount="60.00")
    reason = "The package was delivered according to the carrier's tracking."
    decide(sandbox, session, rejected, status="rejected", status_detail=reason)
    decide(sandbox, session, waiting, status="needs_action", status_detail="Please send the invoice.")
    unknown = "clm_ffffffffffffffffffffffffffffffff"
    results = client.get_claims([approved, partial, rejected, waiting, unknown])
    statuses = [results[ref].status for ref in (approved, partial, rejected, waiting)]
    assert statuses == ["accepted", "partially_accepted", "rejected", "submitted"]
    assert (results[approved].approved_amount, results[partial].approved_amount) == (100.0, 60.0)
    assert results[partial].raw_status == "approved_partial"
    assert (results[rejected].status_detail, results[rejected].approved_amount) == (reason, None)
    assert [h.raw_status for h in results[rejected].history] == ["submitted", "rejected"]
    assert results[rejected].history[-1].detail == reason
    assert results[waiting].action_required and results[waiting].status_detail == "Please send the invoice."
    assert (results[unknown].ok, results[unknown].error_kind) == (False, ERROR_NOT_FOUND)


def test_sync_after_an_outage_does_not_ask_about_every_claim(sandbox, no_sleep):
    sleep, waits = no_sleep
    client = make_client(sandbox, sleep=sleep)
    down = client.submit_claim(sample_claim("9400OUTAGE0001")).claim_ref
    fine = client.submit_claim(sample_claim("9400FINE0001")).claim_ref
    sandbox.state.set_scenario("9400OUTAGE0001", "server_error")
    before = easypost_calls(sandbox)
    results = client.get_claims([down, fine])
    assert easypost_calls(sandbox) - before == 4  # the retries of the first claim only
    assert waits == [0.5, 1.0, 2.0]
    assert results[down].error_kind == results[fine].error_kind == ERROR_CARRIER_DOWN
    assert results[fine].claim_ref == fine
    # Once EasyPost is back, the next sync reads both.
    sandbox.state.set_scenario("9400OUTAGE0001", "in_transit")
    assert all(result.ok for result in client.get_claims([down, fine]).values())


def test_cancel_withdraws_an_open_claim_only(sandbox, session):
    client = make_client(sandbox, session)
    open_ref = client.submit_claim(sample_claim()).claim_ref
    cancelled = client.cancel_claim(open_ref)
    method, url, _headers, body = session.sent[-1]
    # As EasyPost's own SDK sends it (easypost-python tests/cassettes/test_claim_cancel.yaml).
    assert (method, url, body) == ("POST", f"{sandbox.url}/v2/claims/{open_ref}/cancel", b"{}")
    assert (cancelled.ok, cancelled.status, cancelled.status_detail) == (
        True,
        "cancelled",
        "Claim cancellation was requested.",
    )
    assert [h.raw_status for h in cancelled.history] == ["submitted", "cancelled"]
    again = client.cancel_claim(open_ref)
    assert (again.ok, again.error_kind, again.error) == (
        False,
        ERROR_REFUSED,
        "EasyPost: A claim that is cancelled cannot be cancelled.",
    )
    approved_ref = client.submit_claim(sample_claim()).claim_ref
    decide(sandbox, session, approved_ref, status="approved")
    assert client.cancel_claim(approved_ref).error_kind == ERROR_REFUSED
    assert client.get_claim(approved_ref).status == "accepted"
    assert client.cancel_claim("clm_eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee").error_kind == ERROR_NOT_FOUND


def test_list_reads_every_page_newest_first():
    server = SandboxServer().start()  # its own claims only
    try:
        client = make_client(server)
        start = datetime.utcnow() - timedelta(seconds=5)
        refs = [client.submit_claim(sample_claim(f"9400LIST000{i}")).claim_ref for i in range(5)]
        before = easypost_calls(server)
        listed = client.list_claims(since=start, page_size=2)
        assert [claim.claim_ref for claim in listed] == refs[::-1]
        assert easypost_calls(server) - before == 3  # pages of 2, 2 and 1
        assert all(claim.ok and claim.status == "submitted" for claim in listed)
        assert client.list_claims(since=datetime.utcnow() + timedelta(minutes=5)) == []
        assert len(client.list_claims(page_size=2, max_pages=1)) == 2
    finally:
        server.stop()
