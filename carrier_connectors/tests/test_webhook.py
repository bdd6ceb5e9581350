import hashlib
import json

from odoo.tests import HttpCase, tagged

from ..sandbox.providers import aftership as aftership_sandbox
from ..sandbox.providers import seventeen_track as seventeen_track_sandbox
from .common import TrackingCommon

LOGGER = "odoo.addons.carrier_connectors.controllers.webhook"


@tagged("post_install", "-at_install")
class TestTrackingWebhook(HttpCase, TrackingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # 17TRACK signs its pushes with the API key itself; AfterShip with a secret of its own.
        cls.account_17 = cls._create_account(
            "seventeen_track", "17TRACK test", api_key="sandbox-key", webhook_secret="sandbox-key"
        )
        cls.carrier_17 = cls._create_carrier("Yanwen via 17TRACK", cls.account_17)
        cls.account_as = cls._create_account(
            "aftership", "AfterShip test", api_key="sandbox-key", webhook_secret="aftership-webhook-secret"
        )
        cls.carrier_as = cls._create_carrier("Cainiao via AfterShip", cls.account_as)

    def _push(self, account, body, headers=None):
        return self.url_open(f"/carrier_connectors/webhook/{account.id}", data=body, headers=headers or {})

    def _signed_push(self, account, number):
        sandbox = seventeen_track_sandbox if account.provider == "seventeen_track" else aftership_sandbox
        return sandbox.signed_webhook(self.sandbox.state, number, account.sudo().webhook_secret)

    def _read(self, picking):
        self.env.invalidate_all()  # the push was stored by the server thread
        return picking.tracking_status, len(picking.tracking_event_ids)

    def test_signed_pushes_update_the_parcel(self):
        cases = [
            (self.account_17, self.carrier_17, "YT0DELIVERED17W01", "delivered", 5),
            (self.account_as, self.carrier_as, "LP0LOST0AS0W01", "exception", 4),
        ]
        for account, carrier, number, status, event_count in cases:
            with self.subTest(provider=account.provider):
                _order, picking = self._ship_order(number, carrier=carrier)
                response = self._push(account, *self._signed_push(account, number))
                self.assertEqual(response.status_code, 200, response.text)
                self.assertEqual(response.json(), {"received": 1, "updated": 1})
                self.assertEqual(self._read(picking), (status, event_count))
                self.assertEqual(
                    picking.tracking_last_event_date, max(picking.tracking_event_ids.mapped("occurred_at"))
                )
                self.assertFalse(self.sandbox.state.requests[account.provider], "a push needs no call back")
        delivered = self.env["stock.picking"].search([("carrier_tracking_ref", "=", "YT0DELIVERED17W01")])
        self.assertTrue(delivered.tracking_delivered_date)
        self.assertFalse(delivered.tracking_next_check, "a delivered parcel is not polled any more")
        lost = self.env["stock.picking"].search([("carrier_tracking_ref", "=", "LP0LOST0AS0W01")])
        self.assertEqual((lost.tracking_exception_kind, lost.tracking_raw_status), ("lost", "Exception_013"))
        note = lost.message_ids.filtered(lambda message: "Tracking: Exception (" in message.body)
        self.assertEqual(note.author_id, self.env.ref("base.partner_root"), "logged as OdooBot, not the public user")

    def test_same_push_twice_stores_each_event_once(self):
        _order, picking = self._ship_order("YT0INTRANSIT17W02", carrier=self.carrier_17)
        body, headers = self._signed_push(self.account_17, "YT0INTRANSIT17W02")
        for _attempt in range(2):  # aggregators redeliver a push they think was lost
            self.assertEqual(self._push(self.account_17, body, headers).status_code, 200)
        self.assertEqual(self._read(picking), ("in_transit", 3))

    def test_wrong_or_missing_signature_is_refused(self):
        number = "LP0INTRANSIT0AS0W03"
        _order, picking = self._ship_order(number, carrier=self.carrier_as)
        body, headers = self._signed_push(self.account_as, number)
        _body, wrong_headers = aftership_sandbox.signed_webhook(self.sandbox.state, number, "not-the-secret")
        tampered = body.replace(b"Departed from the hub", b"Delivered to the door")
        self.assertNotEqual(tampered, body)
        attempts = {
            "wrong secret": (body, wrong_headers),
            "no signature": (body, {"Content-Type": "application/json"}),
            "tampered body": (tampered, headers),
            "17TRACK signature on an AfterShip account": self._signed_push(self.account_17, number),
        }
        for label, (sent_body, sent_headers) in attempts.items():
            with self.subTest(label), self.assertLogs(LOGGER, "WARNING") as logs:
                response = self._push(self.account_as, sent_body, sent_headers)
                self.assertEqual(response.status_code, 401)
                self.assertEqual(response.json(), {"error": "invalid signature"})
            self.assertIn("missing or wrong signature", logs.output[0])
            self.assertNotIn("aftership-webhook-secret", logs.output[0], "secrets never reach the log")
        self.assertEqual(self._read(picking), (False, 0))

    def test_account_without_webhook_secret_refuses_every_push(self):
        number = "YT0DELIVERED17W04"
        _order, picking = self._ship_order(number, carrier=self.carrier_17)
        self.account_17.webhook_secret = False
        body = seventeen_track_sandbox.signed_webhook(self.sandbox.state, number, "")[0]
        for headers in ({}, {"sign": hashlib.sha256(body + b"/").hexdigest()}):
            with self.assertLogs(LOGGER, "WARNING"):
                self.assertEqual(self._push(self.account_17, body, headers).status_code, 401)
        self.assertEqual(self._read(picking), (False, 0))

    def test_unknown_account_or_provider_without_webhooks_is_not_found(self):
        body, headers = self._signed_push(self.account_17, "YT0DELIVERED17W05")
        archived = self._create_account("aftership", "Archived AfterShip", api_key="k", webhook_secret="s")
        archived.active = False
        last_id = self.env["carrier.tracking.account"].search([], order="id desc", limit=1).id
        for account_id in (last_id + 1000, self.account.id, archived.id):  # none, DHL (polling only), archived
            with self.subTest(account_id=account_id):
                response = self.url_open(f"/carrier_connectors/webhook/{account_id}", data=body, headers=headers)
                self.assertEqual(response.status_code, 404)
                self.assertEqual(response.json(), {"error": "unknown webhook"})
        self.assertFalse(self.account.supports_webhook)
        self.assertTrue(self.account_17.supports_webhook)

    def test_unreadable_body_is_refused_and_keeps_what_is_stored(self):
        number = "YT0INTRANSIT17W06"
        _order, picking = self._ship_order(number, carrier=self.carrier_17)
        self.assertEqual(self._push(self.account_17, *self._signed_push(self.account_17, number)).status_code, 200)
        self.assertEqual(self._read(picking), ("in_transit", 3))
        unreadable = [
            b"<html>not json</html>",
            json.dumps({"event": "TRACKING_UPDATED", "data": {"number": number}}).encode(),
            json.dumps({"event": "TRACKING_UPDATED", "data": {"number": number, "track_info": "?"}}).encode(),
        ]
        for body in unreadable:
            with self.subTest(body=body[:40]), self.assertLogs(LOGGER, "WARNING") as logs:
                signature = hashlib.sha256(body + b"/sandbox-key").hexdigest()
                response = self._push(self.account_17, body, {"Content-Type": "application/json", "sign": signature})
                self.assertEqual(response.status_code, 400)
                self.assertEqual(response.json(), {"error": "unreadable body"})
                self.assertIn("Unreadable seventeen_track webhook", logs.output[0])
                self.assertEqual(self._read(picking), ("in_transit", 3))
        self.assertFalse(picking.tracking_error, "a bad push is not the parcel's problem")

    def test_push_only_reaches_the_parcels_of_its_account(self):
        number = "YT0DELIVERED17W07"
        _order, other = self._ship_order(number, carrier=self.carrier_as)  # same number, other account
        _order, unshipped = self._ship_order("YT0DELIVERED17W08", carrier=self.carrier_17)
        response = self._push(self.account_17, *self._signed_push(self.account_17, number))
        self.assertEqual(response.json(), {"received": 1, "updated": 0})
        self.assertEqual(self._read(other), (False, 0))
        self.assertEqual(self._read(unshipped), (False, 0))

    def test_push_without_tracking_is_acknowledged(self):
        body = json.dumps({"event": "TRACKING_STOPPED", "data": {"number": "YT0INTRANSIT17W09"}}).encode()
        headers = {"Content-Type": "application/json", "sign": hashlib.sha256(body + b"/sandbox-key").hexdigest()}
        response = self._push(self.account_17, body, headers)
        self.assertEqual((response.status_code, response.json()), (200, {"received": 0, "updated": 0}))

    def test_older_push_never_moves_a_parcel_backwards(self):
        number = "YT0INTRANSIT17W10"
        _order, picking = self._ship_order(number, carrier=self.carrier_17)
        self.assertEqual(self._push(self.account_17, *self._signed_push(self.account_17, number)).status_code, 200)
        self.assertEqual(self._read(picking), ("in_transit", 3))
        newest = picking.tracking_last_event_date
        # A late redelivery of an older push: the carrier's "lost" scan of two days ago.
        self.sandbox.state.set_scenario(number, "lost")
        response = self._push(self.account_17, *self._signed_push(self.account_17, number))
        self.assertEqual(response.status_code, 200, response.text)
        status, events = self._read(picking)
        self.assertEqual(status, "in_transit", "an older push does not overwrite the status")
        self.assertGreater(events, 3, "its events are still stored")
        self.assertEqual(picking.tracking_last_event_date, newest)

    def test_delivered_is_never_replaced_by_an_older_status(self):
        number = "YT0DELIVERED17W11"
        _order, picking = self._ship_order(number, carrier=self.carrier_17)
        self._push(self.account_17, *self._signed_push(self.account_17, number))
        self.assertEqual(self._read(picking)[0], "delivered")
        delivered_on = picking.tracking_delivered_date
        self.sandbox.state.set_scenario(number, "stalled")
        self.assertEqual(self._push(self.account_17, *self._signed_push(self.account_17, number)).status_code, 200)
        self.assertEqual(self._read(picking)[0], "delivered")
        self.assertEqual(picking.tracking_delivered_date, delivered_on)
        self.assertFalse(picking.tracking_next_check)

    def test_body_over_one_mebibyte_is_refused_unread(self):
        number = "YT0INTRANSIT17W12"
        _order, picking = self._ship_order(number, carrier=self.carrier_17)
        body = b'{"event": "TRACKING_UPDATED", "data": {"number": "%s", "pad": "' % number.encode()
        body += b" " * (1024 * 1024) + b'"}}'
        signature = hashlib.sha256(body + b"/sandbox-key").hexdigest()
        with self.assertLogs(LOGGER, "WARNING") as logs:
            response = self._push(self.account_17, body, {"Content-Type": "application/json", "sign": signature})
        self.assertEqual(response.status_code, 413)
        self.assertEqual(response.json(), {"error": "body too large"})
        self.assertIn("over 1048576 bytes", logs.output[0])
        self.assertEqual(self._read(picking), (False, 0))

    def test_push_matches_numbers_typed_with_spaces_and_lower_case(self):
        _order, picking = self._ship_order(" yt0delivered 17w13 ", carrier=self.carrier_17)
        response = self._push(self.account_17, *self._signed_push(self.account_17, "YT0DELIVERED17W13"))
        self.assertEqual(response.json(), {"received": 1, "updated": 1})
        self.assertEqual(self._read(picking), ("delivered", 5))
