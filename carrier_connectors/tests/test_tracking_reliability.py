from datetime import datetime, timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import mute_logger

from ..clients import get_client_class
from ..clients.base import TrackingEvent, TrackingResult
from ..clients.dhl import DhlClient
from ..sandbox.core import CREDENTIALS
from .common import TrackingCommon

LOGGER = "odoo.addons.carrier_connectors.models.stock_picking"
# The threads that call the carriers log a chunk that failed there.
CALLS_LOGGER = "odoo.addons.carrier_connectors.clients.calls"


@tagged("post_install", "-at_install")
class TestTrackingReliability(TrackingCommon):
    # ------------------------------------------------------------- one bad parcel
    def test_blank_tracking_number_is_skipped_with_its_own_error(self):
        pickings = self._ship_pickings_in_batch(["JD0INTRANSIT7001", "JD0DELIVERED7002", "JD0LOST7003"], self.carrier)
        ok, delivered, lost = pickings
        lost.carrier_tracking_ref = "   "  # a user clearing the number with spaces
        self.assertIn(lost, self.env["stock.picking"].search(self.env["stock.picking"]._tracking_due_domain()))

        self.env["stock.picking"]._cron_update_tracking()

        self.assertEqual(ok.tracking_status, "in_transit")
        self.assertEqual(delivered.tracking_status, "delivered")
        self.assertFalse(lost.tracking_status)
        self.assertEqual(lost.tracking_error_kind, "config")
        self.assertIn("tracking number is blank", lost.tracking_error)
        self.assertGreater(lost.tracking_next_check, fields.Datetime.now(), "the next check moves on")
        self.assertEqual(self.sandbox.state.requests["dhl"], 2, "the blank number was never sent")

    def test_unexpected_exception_in_one_chunk_fails_only_that_chunk(self):
        account_b = self._create_account("dhl", "DHL second", api_key="sandbox-key")
        carrier_b = self._create_carrier("DHL second", account_b)
        good = self._ship_pickings_in_batch(["JD0INTRANSIT7101", "JD0DELIVERED7102"], self.carrier)
        broken = self._ship_pickings_in_batch(["JD0INTRANSIT7103"], carrier_b)
        track = DhlClient.track
        base_url = account_b.base_url

        def track_or_overflow(client, numbers):
            if "JD0INTRANSIT7103" in numbers:
                # e.g. a 0001-01-01 shifted by a zone; a library may echo the request with the key
                raise OverflowError("date value out of range in ?key=sandbox-key")
            return track(client, numbers)

        with (
            patch.object(DhlClient, "track", track_or_overflow),
            self.assertLogs(CALLS_LOGGER, "WARNING") as logs,
        ):
            (good | broken)._update_tracking()
        self.assertIn("OverflowError", logs.output[0])
        self.assertNotIn("sandbox-key", logs.output[0], "credentials never reach the log")
        self.assertEqual(good.mapped("tracking_status"), ["in_transit", "delivered"])
        self.assertEqual(broken.tracking_error_kind, "malformed")
        self.assertIn("OverflowError", broken.tracking_error)
        self.assertNotIn("sandbox-key", broken.tracking_error)
        self.assertEqual(account_b.base_url, base_url)

    def test_one_picking_that_cannot_be_stored_keeps_the_others(self):
        first, bad, last = self._ship_pickings_in_batch(
            ["JD0INTRANSIT7201", "JD0INTRANSIT7202", "JD0INTRANSIT7203"], self.carrier
        )
        when = datetime.utcnow().replace(microsecond=0) - timedelta(hours=3)

        def result(number, raw):
            return TrackingResult(
                number,
                status="in_transit",
                raw_status=raw,
                events=[TrackingEvent(when, "in_transit", raw, "Departed", "Leipzig, DE")],
            ).finalize()

        results = {
            first.id: result(first.carrier_tracking_ref, "transit"),
            # PostgreSQL refuses a NUL character: this picking cannot be written.
            bad.id: result(bad.carrier_tracking_ref, "tran\x00sit"),
            last.id: result(last.carrier_tracking_ref, "transit"),
        }
        with self.assertLogs(LOGGER, "WARNING"), mute_logger("odoo.sql_db"):
            changed = (first | bad | last)._apply_tracking_results(results)
        self.assertEqual(changed, first | last)
        self.assertEqual((first | last).mapped("tracking_status"), ["in_transit", "in_transit"])
        self.assertEqual(len(first.tracking_event_ids), 1)
        self.assertEqual(len(last.tracking_event_ids), 1)
        self.assertFalse(bad.tracking_status)
        self.assertEqual(bad.tracking_error_kind, "malformed")
        self.assertIn("Could not store", bad.tracking_error)

    def test_numbers_are_matched_normalized_when_polling(self):
        _order, typed = self._ship_order(" jd0 delivered 7301 ")
        _order, scanned = self._ship_order("JD0DELIVERED7301")  # the same parcel, as the scanner reads it
        (typed | scanned)._update_tracking()
        self.assertEqual((typed | scanned).mapped("tracking_status"), ["delivered", "delivered"])
        self.assertFalse(typed.tracking_error)
        self.assertEqual(self.sandbox.state.requests["dhl"], 1, "one number, asked once")

    # ------------------------------------------------------------- secrets routing
    def test_only_system_admins_route_secrets(self):
        manager = new_test_user(self.env, "stock_manager_r", groups="stock.group_stock_manager")
        admin = new_test_user(self.env, "system_admin_r", groups="base.group_system,stock.group_stock_manager")
        account = self._create_account("dhl", "DHL routed", api_key="the-key")
        as_manager = account.with_user(manager)
        for vals in ({"base_url": "https://evil.example.com"}, {"provider": "ups"}):
            with self.subTest(vals=vals), self.assertRaisesRegex(AccessError, "Only system administrators"):
                as_manager.write(vals)
        with self.assertRaises(AccessError):
            self.env["carrier.tracking.account"].with_user(manager).create(
                {"name": "Elsewhere", "provider": "dhl", "base_url": "https://evil.example.com"}
            )
        as_manager.write({"name": "DHL renamed", "poll_interval_hours": 3})  # everything else stays editable
        self.assertEqual(account.sudo().api_key, "the-key")
        self.assertFalse(Form(as_manager).can_route_credentials)

        account.with_user(admin).write({"base_url": "https://api-eu.dhl.com"})
        self.assertFalse(account.sudo().api_key, "a key never follows the account to another host")
        self.assertEqual(account.base_url, "https://api-eu.dhl.com")
        account.sudo().api_key = "another"
        account.with_user(admin).write({"provider": "ups"})
        self.assertFalse(account.sudo().api_key)
        self.assertTrue(Form(account.with_user(admin)).can_route_credentials)

    def test_claim_account_provider_is_for_system_admins(self):
        manager = new_test_user(self.env, "stock_manager_c2", groups="stock.group_stock_manager")
        account = self.env["carrier.claim.account"].create(
            {"name": "EasyPost", "provider": "easypost", "base_url": self.sandbox.url, "api_key": "k"}
        )
        with self.assertRaisesRegex(AccessError, "Only system administrators"):
            account.with_user(manager).write({"base_url": "https://evil.example.com"})
        self.assertEqual(account.sudo().api_key, "k")

    # ------------------------------------------------------------- promise and estimate
    def test_first_promise_is_kept_apart_from_the_latest_estimate(self):
        credentials = {name: CREDENTIALS[name] for name in get_client_class("fedex").credential_fields}
        fedex = self._create_carrier("FedEx (test)", self._create_account("fedex", "FedEx test", **credentials))
        _order, picking = self._ship_order("7946LATE7401", carrier=fedex)
        picking._update_tracking()
        now = fields.Datetime.now()
        promise = picking.tracking_promised_date
        self.assertLess(promise, now - timedelta(days=3), "the first promise passed 4 days ago")
        self.assertGreater(picking.tracking_eta, now + timedelta(days=2), "the estimate moved 3 days ahead")
        self.assertIn(
            picking.tracking_promise_source, ("dateAndTimes[COMMITMENT]", "standardTransitTimeWindow.window.ends")
        )
        self.assertTrue(picking.tracking_eta_source)
        self.assertNotEqual(picking.tracking_eta_source, picking.tracking_promise_source)
        # The carrier now promises a later date: the first promise stays.
        self.sandbox.state.set_scenario("7946LATE7401", "in_transit")
        picking._update_tracking()
        self.assertEqual(picking.tracking_promised_date, promise)
        self.assertGreater(picking.tracking_eta, now + timedelta(days=1))

    def test_fixed_tracking_number_is_polled_afresh(self):
        _order, picking = self._ship_order("JD0LOST7501")
        picking._update_tracking()
        self.assertEqual(picking.tracking_status, "exception")
        picking.carrier_tracking_ref = "JD0INTRANSIT7501"
        self.assertFalse(picking.tracking_status)
        self.assertFalse(picking.tracking_exception_kind)
        self.assertFalse(picking.tracking_last_event_date)
        self.assertFalse(picking.tracking_promised_date)
        self.assertFalse(picking.tracking_eta)
        self.assertLessEqual(picking.tracking_next_check, fields.Datetime.now())
        self.assertIn(picking, self.env["stock.picking"].search(self.env["stock.picking"]._tracking_due_domain()))
        self.env["stock.picking"]._cron_update_tracking()
        self.assertEqual(picking.tracking_status, "in_transit")
        self.assertGreater(picking.tracking_eta, fields.Datetime.now())

    # ------------------------------------------------------------- account form
    def test_removing_a_shipping_method_from_the_account_keeps_it(self):
        account = self._create_account("dhl", "DHL form", api_key="k")
        carrier = self._create_carrier("DHL kept", account)
        form = Form(account)
        self.assertEqual(len(form.carrier_ids), 1)
        form.carrier_ids.remove(index=0)
        form.save()
        self.assertTrue(carrier.exists(), "the shipping method is not deleted")
        self.assertFalse(carrier.tracking_account_id)
        self.assertFalse(account.carrier_ids)

    # ------------------------------------------------------------- chatter and rights
    def test_first_status_note_has_no_raw_none(self):
        _order, picking = self._ship_order("JD0INTRANSIT7601")
        picking._update_tracking()
        picking.invalidate_recordset(["message_ids"])
        bodies = picking.message_ids.mapped("body")
        self.assertTrue(any("Tracking: In Transit (" in body for body in bodies), bodies)
        self.assertFalse([body for body in bodies if "none" in body.lower()], bodies)

    def test_salesman_opens_his_delivery(self):
        salesman = new_test_user(self.env, "salesman_t", groups="sales_team.group_sale_salesman")
        order, picking = self._ship_order("JD0INTRANSIT7701")
        picking._update_tracking()
        order.user_id = salesman
        self.assertTrue(picking.tracking_event_ids)
        as_salesman = picking.with_user(salesman)
        form = Form(as_salesman)
        self.assertEqual(form.tracking_status, "in_transit")
        self.assertEqual(form.carrier_tracking_ref, "JD0INTRANSIT7701")
        view = as_salesman.get_view(view_type="form")
        self.assertNotIn('name="tracking_event_ids"', view["arch"])
