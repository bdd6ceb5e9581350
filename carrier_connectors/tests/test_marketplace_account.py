import requests

from odoo.exceptions import AccessError
from odoo.tests import Form, new_test_user, tagged

from ..stores import TrackingUpdate
from .common import TrackingCommon

CREDENTIALS = {
    "shopify": {"shop_domain": "sandbox-shop.myshopify.com", "access_token": "sandbox-shopify-token"},
    "amazon": {
        "client_id": "sandbox-client",
        "client_secret": "sandbox-secret",
        "refresh_token": "sandbox-refresh",
        "marketplace_id": "ATVPDKIKX0DER",
        "seller_id": "A2SANDBOXSELLER",
    },
    "ebay": {"client_id": "sandbox-client", "client_secret": "sandbox-secret", "refresh_token": "sandbox-refresh"},
    "walmart": {"client_id": "sandbox-client", "client_secret": "sandbox-secret"},
}


@tagged("post_install", "-at_install")
class TestMarketplaceAccount(TrackingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stores = {
            store: cls.env["marketplace.account"].create(
                {"name": f"{store} test", "store": store, "base_url": cls.sandbox.url, "rate_limit": 500, **creds}
            )
            for store, creds in CREDENTIALS.items()
        }
        cls.manager = new_test_user(cls.env, "store_manager_t", groups="stock.group_stock_manager")
        cls.stock_user = new_test_user(cls.env, "store_user_t", groups="stock.group_stock_user")

    def _reship_update(self, order_ref, **values):
        """The tracking of a delivery validated through the sale flow, as a reship would send it."""
        _order, picking = self._ship_order("1Z999AA10123456784")
        return TrackingUpdate(
            order_ref=order_ref,
            carrier_name=picking.carrier_id.name,
            carrier_code="ups",
            tracking_number=picking.carrier_tracking_ref,
            ship_date=picking.date_done,
            package_reference=str(picking.id),
            previous_tracking_number="LOSTPARCEL1",
            **values,
        )

    def test_base_url_defaults_to_the_real_api(self):
        form = Form(self.env["marketplace.account"])
        form.name = "Amazon US"
        form.store = "amazon"
        self.assertEqual(form.base_url, "https://sellingpartnerapi-na.amazon.com")
        form.store = "walmart"
        self.assertEqual(form.base_url, "https://marketplace.walmartapis.com")
        form.store = "shopify"
        self.assertFalse(form.base_url)  # the shop's own domain
        account = form.save()
        self.assertEqual(account.credential_fields, "shop_domain,access_token")
        self.assertTrue(account.supports_buyer_claims)

    def test_connection_test_ok_and_failing_for_every_store(self):
        for store, account in self.stores.items():
            with self.subTest(store=store):
                action = account.action_test_connection()
                self.assertEqual(action["params"]["type"], "success", account.last_test_result)
                self.assertEqual(account.last_test_result, "Connection OK")
        for store, field in (("shopify", "access_token"), ("amazon", "refresh_token"), ("ebay", "client_secret")):
            with self.subTest(store=store):
                account = self.stores[store]
                account[field] = "wrong-secret-value"
                action = account.action_test_connection()
                self.assertEqual(action["params"]["type"], "danger")
                self.assertIn("authentication failed", account.last_test_result)
                self.assertNotIn("wrong-secret-value", account.last_test_result)
        walmart = self.stores["walmart"]
        walmart.base_url = "http://127.0.0.1:9"  # nothing listens there (and the secrets go)
        walmart.write(CREDENTIALS["walmart"])
        action = walmart.action_test_connection()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("cannot connect", walmart.last_test_result)

    def test_secrets_are_for_system_admins_only(self):
        account = self.stores["ebay"].with_user(self.manager)
        self.assertEqual(account.name, "ebay test")
        for field in ("client_secret", "refresh_token", "client_id"):
            with self.assertRaises(AccessError):
                account.read([field])
        with self.assertRaises(AccessError):
            account.write({"base_url": "https://evil.example.com"})
        with self.assertRaises(AccessError):
            account.write({"store": "walmart"})
        with self.assertRaises(AccessError):
            self.env["marketplace.account"].with_user(self.manager).create(
                {"name": "Elsewhere", "store": "ebay", "base_url": "https://evil.example.com"}
            )
        with self.assertRaises(AccessError):
            self.stores["ebay"].with_user(self.stock_user).write({"name": "renamed"})
        account.write({"name": "eBay US", "rate_limit": 2})  # the rest is the manager's
        self.assertFalse(account.can_route_credentials)
        self.assertTrue(self.stores["ebay"].can_route_credentials)
        # A warehouse user's reship still reaches the store: the client reads the secrets as superuser.
        result = self.stores["ebay"].with_user(self.stock_user)._push_tracking(self._reship_update("01-1"))
        self.assertTrue(result.ok, result.error)
        self.assertNotIn("sandbox-secret", repr(result))

    def test_changing_host_or_store_clears_the_secrets(self):
        account = self.stores["amazon"]
        account.base_url = "https://sellingpartnerapi-eu.amazon.com"
        for field in ("client_id", "client_secret", "refresh_token", "marketplace_id", "seller_id"):
            self.assertFalse(account[field], field)
        self.assertIn("credentials were cleared", account.message_ids[0].body)
        self.assertFalse(any("sandbox-secret" in (m.body or "") for m in account.message_ids))
        result = account._push_tracking(self._reship_update("111-1"))
        self.assertFalse(result.ok)
        self.assertEqual(result.error_kind, "config")
        self.assertIn("missing credentials", result.error)
        # Moving and entering the new host's credentials in one write keeps those.
        shopify = self.stores["shopify"]
        shopify.write({"base_url": self.sandbox.url + "/", "access_token": "new-token"})
        self.assertEqual(shopify.access_token, "new-token")
        self.assertFalse(shopify.shop_domain)
        ebay = self.stores["ebay"]
        ebay.store = "walmart"
        self.assertFalse(ebay.client_secret)
        self.assertEqual(ebay.base_url, "https://marketplace.walmartapis.com")
        # Same URL written again: nothing moved, nothing cleared.
        walmart = self.stores["walmart"]
        walmart.base_url = self.sandbox.url
        self.assertEqual(walmart.client_secret, "sandbox-secret")

    def test_accounts_of_another_company_are_invisible(self):
        other = self.env["res.company"].create({"name": "Other Store Co"})
        foreign = self.env["marketplace.account"].create(
            {"name": "Foreign Shopify", "store": "shopify", "company_id": other.id}
        )
        user = new_test_user(
            self.env,
            "store_user_c",
            groups="stock.group_stock_user",
            company_id=self.company.id,
            company_ids=[self.company.id],
        )
        visible = self.env["marketplace.account"].with_user(user).search([])
        self.assertIn(self.stores["shopify"], visible)
        self.assertNotIn(foreign, visible)

    def test_push_tracking_and_buyer_claims_through_the_account(self):
        requests.post(
            f"{self.sandbox.url}/_sandbox/stores/claims",
            json={
                "store": "shopify",
                "claims": [{"id": 42, "order_id": 1001, "evidence_due_by": "2026-12-24T12:00:00Z"}],
            },
            timeout=5,
        ).raise_for_status()
        shopify = self.stores["shopify"].with_user(self.stock_user)
        (claim,) = shopify._fetch_buyer_claims(None)
        self.assertEqual((claim.claim_ref, claim.order_ref, claim.kind), ("42", "1001", "chargeback"))
        self.assertEqual(str(claim.respond_by), "2026-12-24 12:00:00")
        self.assertEqual(self.stores["amazon"]._fetch_buyer_claims(None), [])
        self.assertIn("no public API", self.stores["amazon"].buyer_claims_note)
        update = self._reship_update("REJECT-2001")
        refused = self.stores["walmart"]._push_tracking(update)
        self.assertFalse(refused.ok)
        self.assertEqual(refused.error_kind, "rejected")
        self.assertIn("Invalid tracking number", refused.error)
        for store in ("shopify", "amazon", "walmart"):
            with self.subTest(store=store):
                result = self.stores[store]._push_tracking(self._reship_update("3001"))
                self.assertTrue(result.ok, result.error)
