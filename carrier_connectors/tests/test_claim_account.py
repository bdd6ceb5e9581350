import requests

from odoo.exceptions import AccessError
from odoo.tests import Form, TransactionCase, new_test_user, tagged

from ..claims import ClaimRequest
from .common import sandbox_server

PNG = b"\x89PNG\r\n\x1a\n sandbox photo"


@tagged("post_install", "-at_install")
class TestClaimAccount(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sandbox = sandbox_server()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=False))
        cls.account = cls.env["carrier.claim.account"].create(
            {"name": "EasyPost claims", "provider": "easypost", "base_url": cls.sandbox.url, "api_key": "sandbox-key"}
        )
        cls.manager = new_test_user(cls.env, "claims_stock_manager", groups="stock.group_stock_manager")
        cls.user = new_test_user(cls.env, "claims_stock_user", groups="stock.group_stock_user")

    def setUp(self):
        super().setUp()
        self.sandbox.state.reset()

    def _claim(self, tracking_code="9400100208303109500669", **changes):
        values = {
            "type": "loss",
            "tracking_code": tracking_code,
            "amount": 52.0,
            "description": "Parcel lost in transit, no scan for 20 days.",
            "contact_email": "claims@example.com",
            "attachments": [("invoice.png", PNG, "invoice")],
            "reference": "LPC/0001",
        }
        values.update(changes)
        return ClaimRequest(**values)

    def _decide(self, claim_ref, **change):
        url = f"{self.sandbox.url}/_sandbox/easypost/claims/{claim_ref}"
        response = requests.post(url, json=change, timeout=5)
        self.assertEqual(response.status_code, 200, response.text)

    # ------------------------------------------------------------------ settings
    def test_base_url_defaults_to_easypost_real_api(self):
        form = Form(self.env["carrier.claim.account"])
        form.name = "EasyPost production"
        self.assertEqual(form.provider, "easypost")
        self.assertEqual(form.base_url, "https://api.easypost.com")
        account = form.save()
        self.assertFalse(account.api_key_set)
        self.assertEqual(account.company_id, self.env.company)

    def test_connection_ok_and_failing_through_the_sandbox(self):
        action = self.account.action_test_connection()
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(self.account.last_test_result, "Connection OK")
        self.assertTrue(self.account.last_test_date)

        self.account.api_key = "EZTK-not-the-key"
        action = self.account.action_test_connection()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("authentication failed (HTTP 401)", action["params"]["message"])
        self.assertIn("The API key is missing, invalid or inactive.", self.account.last_test_result)
        self.assertNotIn("EZTK-not-the-key", self.account.last_test_result)

        self.account.api_key = False
        action = self.account.action_test_connection()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("missing credentials: api_key", self.account.last_test_result)

    # ------------------------------------------------------------------ security
    def test_key_hidden_from_a_stock_manager_who_still_files_claims(self):
        account = self.account.with_user(self.manager)
        self.assertEqual(account.name, "EasyPost claims")
        self.assertTrue(account.api_key_set)
        with self.assertRaises(AccessError):
            account.read(["api_key"])
        arch = account.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertNotIn('name="api_key"', arch)
        # The URL is shown read-only to a manager, and refused if written anyway.
        with Form(account) as form:
            with self.assertRaises(AssertionError):
                form.base_url = "https://collector.example.com"
            form.name = "EasyPost claims (US)"
        self.assertEqual(self.account.name, "EasyPost claims (US)")
        with self.assertRaises(AccessError):
            account.write({"base_url": "https://collector.example.com"})
        with self.assertRaises(AccessError):
            self.env["carrier.claim.account"].with_user(self.manager).create(
                {"name": "Elsewhere", "base_url": "https://collector.example.com"}
            )
        with self.assertRaises(AccessError):
            self.account.with_user(self.user).write({"name": "renamed"})
        # A warehouse user's claim is filed with the key, read as superuser, never shown to them.
        result = self.account.with_user(self.user)._submit_claim(self._claim())
        self.assertTrue(result.ok, result.error)
        self.assertTrue(result.claim_ref.startswith("clm_"))
        messages = self.account.message_ids.mapped("body") + self.account.message_ids.tracking_value_ids.mapped(
            "new_value_char"
        )
        self.assertFalse([text for text in messages if text and "sandbox-key" in text])

    def test_host_change_clears_the_key(self):
        self.assertTrue(self.account.api_key)
        self.account.base_url = self.sandbox.url  # unchanged: the key stays
        self.assertEqual(self.account.api_key, "sandbox-key")
        self.account.base_url = "https://api.easypost.com"
        self.assertFalse(self.account.api_key)
        self.assertFalse(self.account.api_key_set)
        self.assertIn("the API key was cleared", self.account.message_ids[0].body)
        result = self.account._submit_claim(self._claim())
        self.assertEqual(result.error_kind, "config")
        # URL and key written together: the new key belongs to the new host and is kept.
        self.account.write({"base_url": self.sandbox.url, "api_key": "sandbox-key"})
        self.assertEqual(self.account.api_key, "sandbox-key")
        self.assertTrue(self.account._submit_claim(self._claim()).ok)

    def test_accounts_of_another_company_are_invisible(self):
        other = self.env["res.company"].create({"name": "Other Co"})
        foreign = self.env["carrier.claim.account"].create({"name": "Foreign claims", "company_id": other.id})
        user = new_test_user(
            self.env,
            "claims_user_c",
            groups="stock.group_stock_user",
            company_id=self.env.company.id,
            company_ids=[self.env.company.id],
        )
        visible = self.env["carrier.claim.account"].with_user(user).search([])
        self.assertIn(self.account, visible)
        self.assertNotIn(foreign, visible)
        with self.assertRaises(AccessError):
            foreign.with_user(user).read(["name"])

    # ------------------------------------------------------------- claims calls
    def test_submit_fetch_and_cancel_claims(self):
        account = self.account.with_user(self.user)
        approved = account._submit_claim(self._claim())
        partial = account._submit_claim(self._claim(reference="LPC/0002"))
        rejected = account._submit_claim(self._claim(reference="LPC/0003"))
        to_cancel = account._submit_claim(self._claim(reference="LPC/0004"))
        self.assertEqual(
            (approved.status, approved.requested_amount, approved.reference), ("submitted", 52.0, "LPC/0001")
        )
        self._decide(approved.claim_ref, status="approved")
        self._decide(partial.claim_ref, status="approved_partial", approved_amount="30.00")
        self._decide(rejected.claim_ref, status="rejected", status_detail="Not insured for this value.")
        unknown = "clm_00000000000000000000000000000000"
        refs = [approved.claim_ref, partial.claim_ref, rejected.claim_ref, unknown]
        results = account._fetch_claims(refs)
        self.assertEqual(list(results), refs)
        self.assertEqual(
            [(results[ref].status, results[ref].approved_amount) for ref in refs[:3]],
            [("accepted", 52.0), ("partially_accepted", 30.0), ("rejected", None)],
        )
        self.assertEqual(results[rejected.claim_ref].status_detail, "Not insured for this value.")
        self.assertEqual(results[unknown].error_kind, "not_found")
        cancelled = account._cancel_claim(to_cancel.claim_ref)
        self.assertEqual(cancelled.status, "cancelled")
        self.assertEqual(account._cancel_claim(approved.claim_ref).error_kind, "refused")

    def test_refusals_and_outages_come_back_as_results(self):
        refused = self.account._submit_claim(self._claim("9400NOTFOUND0001"))
        self.assertEqual(refused.error_kind, "refused")
        self.assertIn("No insured shipment was found for this tracking code.", refused.error)
        down = self.account._submit_claim(self._claim("9400SERVERERROR02"))
        self.assertEqual(down.error_kind, "carrier_down")
        self.assertIn("HTTP 500", down.error)
        self.account.api_key = False
        results = self.account._fetch_claims(["clm_a", "clm_b"])
        self.assertEqual({ref: r.error_kind for ref, r in results.items()}, {"clm_a": "config", "clm_b": "config"})
