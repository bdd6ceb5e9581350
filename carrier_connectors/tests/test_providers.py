from odoo.tests import tagged

from ..clients import get_client_class
from ..sandbox.core import CREDENTIALS
from .common import TrackingCommon

# provider, prefix of its tracking numbers, events of a delivered parcel (SF lists routes from pickup on)
PROVIDERS = [
    ("usps", "9400PV", 5),
    ("ups", "1ZPV", 5),
    ("fedex", "7946PV", 5),
    ("dhl", "JD0PV", 5),
    ("sf_express", "SF14PV", 4),
    ("fourpx", "4PX0PV", 5),
    ("seventeen_track", "YT17PV", 5),
    ("aftership", "LPASPV", 5),
]
# What each provider says about a wrong key, in the words of its API.
BAD_KEY = "(authentication failed|no permission for this service, check the partner ID|Invalid app_key)"


@tagged("post_install", "-at_install")
class TestProviders(TrackingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.accounts = {}
        for provider, _prefix, _count in PROVIDERS:
            label = get_client_class(provider).label
            account = cls._create_account(provider, f"{label} sandbox", **cls._sandbox_credentials(provider))
            cls.accounts[provider] = (account, cls._create_carrier(f"{label} parcel", account))

    @classmethod
    def _sandbox_credentials(cls, provider, value=None):
        return {name: value or CREDENTIALS[name] for name in get_client_class(provider).credential_fields}

    def test_every_provider_tracks_a_shipped_parcel(self):
        for provider, prefix, delivered_events in PROVIDERS:
            with self.subTest(provider=provider):
                _account, carrier = self.accounts[provider]
                delivered = self._ship_order(f"{prefix}DELIVERED01", carrier=carrier)[1]
                lost = self._ship_order(f"{prefix}LOST01", carrier=carrier)[1]
                unknown = self._ship_order(f"{prefix}NOTFOUND01", carrier=carrier)[1]

                (delivered | lost | unknown)._update_tracking()

                self.assertGreater(self.sandbox.state.requests[provider], 0)
                self.assertEqual(delivered.tracking_status, "delivered")
                self.assertFalse(delivered.tracking_error)
                self.assertEqual(len(delivered.tracking_event_ids), delivered_events)
                newest = delivered.tracking_event_ids.sorted("occurred_at")[-1]
                self.assertEqual(newest.status, "delivered")
                self.assertTrue(newest.raw_code)
                self.assertEqual(delivered.tracking_last_event_date, newest.occurred_at)
                self.assertEqual(delivered.tracking_delivered_date, newest.occurred_at)
                self.assertFalse(delivered.tracking_next_check)
                self.assertIn(f"{prefix}DELIVERED01", delivered.carrier_tracking_url)

                self.assertEqual((lost.tracking_status, lost.tracking_exception_kind), ("exception", "lost"))
                self.assertEqual(lost.tracking_event_ids.sorted("occurred_at")[-1].exception_kind, "lost")
                self.assertTrue(lost.tracking_next_check, "a lost parcel is still watched")

                self.assertEqual((unknown.tracking_status, unknown.tracking_error_kind), ("not_found", "not_found"))
                self.assertTrue(unknown.tracking_error)
                self.assertFalse(unknown.tracking_event_ids)

    def test_connection_test_with_good_and_bad_credentials(self):
        for provider, _prefix, _count in PROVIDERS:
            with self.subTest(provider=provider):
                account, _carrier = self.accounts[provider]
                action = account.action_test_connection()
                self.assertEqual(action["params"]["type"], "success")
                self.assertEqual(account.last_test_result, "Connection OK")

                account.write(self._sandbox_credentials(provider, "wrong"))
                label = get_client_class(provider).label
                action = account.action_test_connection()
                self.assertEqual(action["params"]["type"], "danger")
                self.assertRegex(
                    action["params"]["message"], f"Connection to {label} sandbox failed: {label}: .*{BAD_KEY}"
                )
                self.assertRegex(account.last_test_result, BAD_KEY, "the failure is kept on the account")

    def test_connection_test_sees_a_wrong_new_secret(self):
        for provider in ("usps", "ups", "fedex"):  # OAuth2: a token from the old secret may still be cached
            with self.subTest(provider=provider):
                account, _carrier = self.accounts[provider]
                account.action_test_connection()
                account.client_secret = "wrong"
                action = account.action_test_connection()
                self.assertEqual(action["params"]["type"], "danger")
                self.assertIn("authentication failed", action["params"]["message"])

    def test_aggregators_start_tracking_a_number_they_do_not_know(self):
        numbers = {"seventeen_track": "YT17PVUNREGINTRANSIT01", "aftership": "LPASPVUNREGINTRANSIT01"}
        pickings = {
            provider: self._ship_order(number, carrier=self.accounts[provider][1])[1]
            for provider, number in numbers.items()
        }
        (pickings["seventeen_track"] | pickings["aftership"])._update_tracking()
        # 17TRACK registers the number and answers at once; AfterShip creates a pending tracking.
        self.assertEqual(pickings["seventeen_track"].tracking_status, "in_transit")
        self.assertEqual(len(pickings["seventeen_track"].tracking_event_ids), 3)
        self.assertEqual(pickings["aftership"].tracking_status, "pending")
        self.assertFalse(pickings["aftership"].tracking_error)
        pickings["aftership"]._update_tracking()
        self.assertEqual(pickings["aftership"].tracking_status, "in_transit")
        self.assertEqual(len(pickings["aftership"].tracking_event_ids), 3)
