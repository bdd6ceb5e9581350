"""Credentials never leave their account: not in an export (even a system administrator's), not
in a connection test's result, not in a parcel's tracking error, not in the chatter, even when
the remote API quotes back what it was sent."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import TrackingCommon

ECHOED_KEY = "echoed-key-7f3a9c"


class EchoingApi(BaseHTTPRequestHandler):
    """A remote API refusing every call with an error that quotes the headers it received, as
    some carriers do with a wrong key ("Invalid API key 'abc...'")."""

    def _refuse(self):
        length = int(self.headers.get("Content-Length") or 0)
        sent = self.rfile.read(length).decode(errors="replace") if length else ""
        quoted = " ".join(f"{name}={value}" for name, value in self.headers.items())
        body = json.dumps(
            {"status": 401, "title": "Unauthorized", "detail": f"Invalid credentials ({quoted} {sent} {self.path})"}
        ).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _refuse

    def log_message(self, format, *args):  # quiet test output
        return


@tagged("post_install", "-at_install")
class TestSecrets(TrackingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.echo = ThreadingHTTPServer(("127.0.0.1", 0), EchoingApi)
        threading.Thread(target=cls.echo.serve_forever, daemon=True).start()
        cls.addClassCleanup(cls.echo.server_close)
        cls.addClassCleanup(cls.echo.shutdown)
        cls.echo_url = f"http://127.0.0.1:{cls.echo.server_address[1]}"
        cls.admin = new_test_user(cls.env, "secrets_sysadmin", groups="base.group_system,stock.group_stock_manager")
        cls.claim_account = cls.env["carrier.claim.account"].create(
            {"name": "EasyPost claims", "provider": "easypost", "base_url": cls.sandbox.url, "api_key": ECHOED_KEY}
        )
        cls.store_account = cls.env["marketplace.account"].create(
            {
                "name": "Walmart test",
                "store": "walmart",
                "base_url": cls.sandbox.url,
                "client_id": "walmart-client-id-1",
                "client_secret": ECHOED_KEY,
            }
        )
        cls.account.api_key = ECHOED_KEY

    def _secret_holders(self):
        return {
            "carrier.tracking.account": (self.account, "api_key"),
            "carrier.claim.account": (self.claim_account, "api_key"),
            "marketplace.account": (self.store_account, "client_secret"),
        }

    def test_an_export_by_a_system_admin_never_contains_a_secret(self):
        for model, (account, secret_field) in self._secret_holders().items():
            with self.subTest(model=model):
                account = account.with_user(self.admin)
                self.assertEqual(account[secret_field], ECHOED_KEY, "a system admin sees the secret in the form")
                # Every field the export dialog offers (Odoo lists the exportable ones).
                offered = [
                    name
                    for name, field in account.fields_get(attributes=["exportable"]).items()
                    if field.get("exportable", True)
                ]
                self.assertNotIn(secret_field, offered)
                datas = account.export_data(offered)["datas"]
                self.assertIn(account.name, repr(datas))
                self.assertNotIn(ECHOED_KEY, repr(datas))
                # An export request naming the secret anyway (a crafted call, a saved export list).
                with self.assertRaises(AccessError):
                    account.export_data(["name", secret_field])
        # Nor through a relation: the shipping methods with their tracking account's key.
        carriers = self.carrier.with_user(self.admin)
        with self.assertRaises(AccessError):
            carriers.export_data(["name", "tracking_account_id/api_key"])
        self.assertEqual(
            carriers.export_data(["name", "tracking_account_id/name"])["datas"], [[self.carrier.name, "DHL test"]]
        )

    def test_a_carrier_echoing_the_key_never_shows_it(self):
        self.account.write({"base_url": self.echo_url})  # a move clears the key: entered again for this host
        self.account.api_key = ECHOED_KEY
        action = self.account.action_test_connection()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("Invalid credentials", self.account.last_test_result, "the carrier's own words are kept")
        self.assertNotIn(ECHOED_KEY, self.account.last_test_result)
        self.assertNotIn(ECHOED_KEY, action["params"]["message"])
        # A parcel polled with that key: its error and its chatter.
        _order, picking = self._ship_order("JD0INTRANSIT0900")
        picking._update_tracking()
        self.assertEqual(picking.tracking_error_kind, "auth")
        self.assertIn("Invalid credentials", picking.tracking_error)
        self.assertNotIn(ECHOED_KEY, picking.tracking_error)
        for record in (self.account, picking):
            bodies = " ".join(str(message.body) for message in record.message_ids)
            self.assertNotIn(ECHOED_KEY, bodies, record)

    def test_claim_and_store_accounts_echoed_the_key_never_show_it(self):
        for model, (account, secret_field) in self._secret_holders().items():
            if model == "carrier.tracking.account":
                continue
            with self.subTest(model=model):
                account.base_url = self.echo_url
                account[secret_field] = ECHOED_KEY
                if model == "marketplace.account":
                    account.client_id = "walmart-client-id-1"
                action = account.action_test_connection()
                self.assertEqual(action["params"]["type"], "danger", account.last_test_result)
                if model == "carrier.claim.account":  # Walmart's client keeps its own error texts
                    self.assertIn("Invalid credentials", account.last_test_result)
                self.assertNotIn(ECHOED_KEY, account.last_test_result)
                self.assertNotIn(ECHOED_KEY, action["params"]["message"])
                bodies = " ".join(str(message.body) for message in account.message_ids)
                self.assertNotIn(ECHOED_KEY, bodies)
