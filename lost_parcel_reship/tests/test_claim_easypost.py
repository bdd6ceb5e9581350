import time
from unittest.mock import patch

import requests

from odoo import fields
from odoo.tests import Form, tagged

from odoo.addons.carrier_connectors.claims.easypost import EasyPostClaimsClient

from .claim_common import ClaimCommon, make_pdf


@tagged("post_install", "-at_install")
class TestClaimEasyPost(ClaimCommon):
    """Claims filed and followed through the EasyPost Claims API of the sandbox (EasyPost's own
    format, see carrier_connectors/sandbox/providers/easypost.py)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.account = cls.env["carrier.claim.account"].create(
            {"name": "EasyPost claims", "provider": "easypost", "base_url": cls.sandbox.url, "api_key": "sandbox-key"}
        )
        cls.window = cls.Window.create(
            {
                "name": "DHL labels insured through EasyPost",
                "company_id": cls.company.id,
                "carrier_ids": [fields.Command.set(cls.carrier.ids)],
                "deadline_number": 60,
                "currency_id": cls.usd.id,
                "claim_account_id": cls.account.id,
                "guide_id": cls.env.ref("lost_parcel_reship.claim_guide_easypost").id,
                "document_ids": [fields.Command.set((cls.proof_of_value | cls.tracking_record).ids)],
            }
        )

    def _claim_with_invoice(self, tracking_ref):
        case = self._lost_case(tracking_ref)
        case.evidence_attachment_ids = self._attachment(
            f"invoice {tracking_ref}.pdf", make_pdf(f"Invoice for {tracking_ref}"), "application/pdf", case
        )
        claim = self._claim_for(case)
        claim.user_id = self.responsible
        self.assertTrue(claim.documents_complete, claim.missing_documents)
        return claim

    def _sandbox_claims(self, reference=None):
        claims = self.sandbox.state.__dict__.get("easypost_claims", {})
        with self.sandbox.state.lock:
            found = [dict(c) for c in claims.values()]
        return [c for c in found if reference is None or c.get("reference") == reference]

    @staticmethod
    def _chatter(record):
        return "\n".join(record.message_ids.mapped("body"))

    def _decide(self, claim, **change):
        response = requests.post(
            f"{self.sandbox.url}/_sandbox/easypost/claims/{claim.carrier_claim_ref}", json=change, timeout=5
        )
        self.assertEqual(response.status_code, 200, response.text)

    def test_claim_filed_through_easypost_and_its_decision_read_back(self):
        claim = self._claim_with_invoice("JD0STALLED9001")
        self.assertEqual((claim.window_id, claim.claim_account_id), (self.window, self.account))
        action = claim.action_submit()
        self.assertEqual(action["params"]["type"], "success", action["params"]["message"])
        self.assertEqual(claim.state, "submitted")
        self.assertTrue(claim.carrier_claim_ref.startswith("clm_"))
        self.assertTrue(claim.api_reference.startswith(claim.name))
        [filed] = self._sandbox_claims(claim.api_reference)
        self.assertEqual(filed["id"], claim.carrier_claim_ref)
        self.assertEqual(
            (filed["tracking_code"], filed["type"], filed["requested_amount"]), ("JD0STALLED9001", "loss", "40.00")
        )
        self.assertEqual(filed["contact_email"], "claire@example.com")
        self.assertIn("JD0STALLED9001", filed["description"])
        self.assertEqual(len(filed["attachments"]), 2, "the evidence pack and the invoice")

        self._decide(claim, status="approved_partial", approved_amount="30.00", status_detail="Depreciation applied.")
        synced = self.Claim._cron_sync_claims()
        self.assertIn(claim, synced)
        self.assertEqual(
            (claim.state, claim.amount_approved, claim.api_status), ("partially_accepted", 30.0, "approved_partial")
        )
        self.assertEqual(claim.api_status_detail, "Depreciation applied.")
        self.assertIn("Depreciation applied.", self._chatter(claim))

        action = claim.action_record_payment()
        Form(self.env[action["res_model"]].with_context(**action["context"])).save().action_apply()
        self.assertEqual(claim.state, "paid")
        self.assertEqual(claim.line_ids.case_id.recovered_amount, 30.0)
        self.assertNotIn(claim, self.Claim._cron_sync_claims(), "EasyPost reports no payment: a paid claim stays paid")

    def test_rejection_and_requests_for_more_come_back_from_easypost(self):
        waiting = self._claim_with_invoice("JD0STALLED9101")
        refused = self._claim_with_invoice("JD0STALLED9102")
        (waiting | refused).action_submit()
        self._decide(waiting, status="needs_action", status_detail="Upload the carrier's loss confirmation.")
        self._decide(refused, status="rejected", status_detail="Not insured for this value.")
        self.Claim._cron_sync_claims()
        self.assertEqual(waiting.state, "submitted")
        self.assertTrue(waiting.api_action_required)
        activity = waiting.activity_ids.filtered(lambda a: "needs something" in a.summary)
        self.assertEqual(activity.user_id, self.responsible)
        self.assertEqual((refused.state, refused.rejection_reason), ("rejected", "Not insured for this value."))
        self.assertTrue(refused.line_ids.case_id.can_be_claimed)

    def test_api_errors_are_shown_on_the_claim_and_nothing_is_lost(self):
        claim = self._claim_with_invoice("JD0STALLED9201")
        description = claim.description
        self.sandbox.state.set_scenario("JD0STALLED9201", "not_found")
        action = claim.action_submit()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("No insured shipment was found for this tracking code.", action["params"]["message"])
        self.assertEqual((claim.state, claim.api_error_kind), ("draft", "refused"))
        self.assertIn("No insured shipment was found", claim.api_error)
        self.assertIn("No insured shipment was found", self._chatter(claim))
        self.assertEqual(claim.description, description)
        self.assertFalse(claim.carrier_claim_ref)

        self.sandbox.state.set_scenario("JD0STALLED9201", "stalled")
        claim.action_submit()
        self.assertEqual(claim.state, "submitted")
        self.assertFalse(claim.api_error)
        self.assertEqual(len(self._sandbox_claims(claim.api_reference)), 1)

    def test_claims_in_another_currency_are_not_sent_to_easypost(self):
        claim = self._claim_with_invoice("JD0STALLED9251")
        claim.currency_id = self.env.ref("base.EUR")
        claim.action_submit()
        self.assertEqual((claim.state, claim.api_error_kind), ("draft", "invalid"))
        self.assertIn("US dollars", claim.api_error)
        self.assertFalse(self._sandbox_claims(claim.api_reference))

    def test_one_claim_easypost_cannot_answer_for_does_not_stop_the_others(self):
        good = self._claim_with_invoice("JD0STALLED9301")
        lost_ref = self._claim_with_invoice("JD0STALLED9302")
        (good | lost_ref).action_submit()
        lost_ref.carrier_claim_ref = "clm_00000000000000000000000000000000"  # a typo when copied by hand
        self._decide(good, status="approved")
        self.Claim._cron_sync_claims()
        self.assertEqual((good.state, good.amount_approved), ("accepted", 40.0))
        self.assertEqual((lost_ref.state, lost_ref.api_error_kind), ("submitted", "not_found"))

        # A failure of the whole account (its key revoked) keeps every claim as it was.
        self.account.api_key = "EZTK-revoked"
        self.Claim._cron_sync_claims()
        self.assertEqual(lost_ref.state, "submitted")
        self.assertEqual(lost_ref.api_error_kind, "auth")
        texts = [lost_ref.api_error, *lost_ref.message_ids.mapped("body")]
        self.assertFalse([t for t in texts if t and "EZTK-revoked" in t], "the key never reaches the claim")

    def test_timed_out_filing_is_found_by_reference_not_filed_twice(self):
        claim = self._claim_with_invoice("JD0STALLED9401")
        self.sandbox.state.set_scenario("JD0STALLED9401", "timeout")
        # EasyPost files the claim but answers after the client gave up. Odoo's test harness
        # raises every HTTP timeout to 10 s: the sandbox answers after 10.5 s.
        delay = self.sandbox.state.timeout_delay
        self.addCleanup(setattr, self.sandbox.state, "timeout_delay", delay)
        self.sandbox.state.timeout_delay = 10.5
        with patch.object(EasyPostClaimsClient, "timeout", 1.0), patch.object(EasyPostClaimsClient, "max_attempts", 1):
            action = claim.action_submit()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertEqual((claim.state, claim.api_error_kind), ("draft", "carrier_down"))
        self.assertIn("no answer within", claim.api_error)
        self.assertTrue(claim.api_submission_uncertain)
        self.assertIn("looks it up by our reference first", self._chatter(claim))
        deadline = time.monotonic() + 5
        while not self._sandbox_claims(claim.api_reference) and time.monotonic() < deadline:
            time.sleep(0.1)
        [filed] = self._sandbox_claims(claim.api_reference)
        self.sandbox.state.set_scenario("JD0STALLED9401", "stalled")

        # The scheduled action finds it; filing by hand again would too.
        self.Claim._cron_sync_claims()
        self.assertEqual((claim.state, claim.carrier_claim_ref), ("submitted", filed["id"]))
        self.assertFalse(claim.api_submission_uncertain)
        self.assertIn("taken over, not filed again", self._chatter(claim))
        self.assertEqual(len(self._sandbox_claims(claim.api_reference)), 1)

    def test_duplicates_filed_by_retries_are_withdrawn(self):
        claim = self._claim_with_invoice("JD0STALLED9451")
        reference = claim._api_reference_value()
        request = claim._prepare_claim_request(reference)
        # A client that retried a POST after a timeout: EasyPost holds the claim twice.
        first, second = self.account._submit_claim(request), self.account._submit_claim(request)
        self.assertTrue(first.ok and second.ok)
        claim.action_submit()
        self.assertEqual((claim.state, claim.carrier_claim_ref), ("submitted", first.claim_ref))
        statuses = {c["id"]: c["status"] for c in self._sandbox_claims(reference)}
        self.assertEqual(statuses, {first.claim_ref: "submitted", second.claim_ref: "cancelled"})
        self.assertIn(f"Duplicate {second.claim_ref} withdrawn", self._chatter(claim))

    def test_a_claim_filed_by_a_lost_transaction_is_taken_over(self):
        claim = self._claim_with_invoice("JD0STALLED9501")
        reference = claim._api_reference_value()
        # The POST went through but our transaction rolled back afterwards: EasyPost has it, we do not.
        first = self.account._submit_claim(claim._prepare_claim_request(reference))
        self.assertTrue(first.ok, first.error)
        self.assertFalse(claim.carrier_claim_ref)
        claim.action_submit()
        self.assertEqual((claim.state, claim.carrier_claim_ref), ("submitted", first.claim_ref))
        self.assertEqual(len(self._sandbox_claims(reference)), 1)

    def test_withdrawing_a_filed_claim_cancels_it_at_easypost(self):
        claim = self._claim_with_invoice("JD0STALLED9601")
        claim.action_submit()
        claim.action_cancel()
        self.assertEqual(claim.state, "cancelled")
        [filed] = self._sandbox_claims(claim.api_reference)
        self.assertEqual(filed["status"], "cancelled")
