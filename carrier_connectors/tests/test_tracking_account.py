from odoo.exceptions import AccessError
from odoo.tests import Form, new_test_user, tagged

from .common import TrackingCommon


@tagged("post_install", "-at_install")
class TestTrackingAccount(TrackingCommon):
    def test_base_url_defaults_to_the_real_api(self):
        form = Form(self.env["carrier.tracking.account"])
        form.name = "DHL production"
        form.provider = "dhl"
        self.assertEqual(form.base_url, "https://api-eu.dhl.com")

    def test_connection_test_ok_and_failure(self):
        action = self.account.action_test_connection()
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(self.account.last_test_result, "Connection OK")
        self.account.api_key = "wrong"
        action = self.account.action_test_connection()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("authentication failed", action["params"]["message"])
        self.assertIn("authentication failed", self.account.last_test_result)

    def test_secrets_are_for_system_admins_only(self):
        manager = new_test_user(self.env, "stock_manager_t", groups="stock.group_stock_manager")
        user = new_test_user(self.env, "stock_user_t", groups="stock.group_stock_user")
        account = self.account.with_user(manager)
        self.assertEqual(account.name, "DHL test")
        with self.assertRaises(AccessError):
            account.read(["api_key"])
        with self.assertRaises(AccessError):
            self.account.with_user(user).write({"name": "renamed"})
        # Warehouse users still poll: the client is built with the secrets as superuser.
        _order, picking = self._ship_order("JD0INTRANSIT0100")
        picking.with_user(user).action_update_tracking()
        self.assertEqual(picking.tracking_status, "in_transit")

    def test_accounts_of_another_company_are_invisible(self):
        other = self.env["res.company"].create({"name": "Other Co"})
        foreign = self.env["carrier.tracking.account"].create(
            {"name": "Foreign DHL", "provider": "dhl", "company_id": other.id}
        )
        user = new_test_user(
            self.env,
            "stock_user_c",
            groups="stock.group_stock_user",
            company_id=self.company.id,
            company_ids=[self.company.id],
        )
        visible = self.env["carrier.tracking.account"].with_user(user).search([])
        self.assertIn(self.account, visible)
        self.assertNotIn(foreign, visible)
