from datetime import datetime, timedelta

from odoo import fields
from odoo.tests import tagged

from .common import TrackingCommon


@tagged("post_install", "-at_install")
class TestTrackingPoll(TrackingCommon):
    def test_validated_delivery_is_polled_over_http(self):
        _order, picking = self._ship_order("JD0INTRANSIT0001")
        self.assertFalse(picking.tracking_status)
        self.assertIn(picking, self.env["stock.picking"].search(self.env["stock.picking"]._tracking_due_domain()))

        done = self.env["stock.picking"]._cron_update_tracking()

        self.assertGreaterEqual(done, 1)
        self.assertEqual(picking.tracking_status, "in_transit")
        self.assertEqual(len(picking.tracking_event_ids), 3)
        self.assertEqual(picking.tracking_event_ids.company_id, picking.company_id)
        self.assertEqual(picking.tracking_event_ids.carrier_id, picking.carrier_id)
        self.assertEqual(picking.tracking_last_event_date, max(picking.tracking_event_ids.mapped("occurred_at")))
        self.assertGreater(picking.tracking_eta, fields.Datetime.now())
        self.assertGreater(picking.tracking_next_check, fields.Datetime.now())
        self.assertFalse(picking.tracking_error)
        self.assertEqual(self.sandbox.state.requests["dhl"], 1)
        self.assertIn("tracking-id=JD0INTRANSIT0001", picking.carrier_tracking_url)

    def test_stored_events_have_their_deliverys_company_and_carrier_in_the_database(self):
        _order, picking = self._ship_order("JD0INTRANSIT0001")
        picking._update_tracking()
        # An event recorded another way (no company or carrier given) gets them from its delivery.
        by_hand = self.env["stock.tracking.event"]._create_with_delivery_fields(
            [{"picking_id": picking.id, "occurred_at": datetime(2024, 1, 1), "status": "in_transit", "event_key": "k"}]
        )
        self.env.flush_all()
        self.env.invalidate_all()
        self.env.cr.execute(
            "SELECT DISTINCT company_id, carrier_id FROM stock_tracking_event WHERE picking_id = %s", [picking.id]
        )
        self.assertEqual(self.env.cr.fetchall(), [(picking.company_id.id, picking.carrier_id.id)])
        self.assertEqual(len(picking.tracking_event_ids), 4)
        self.assertEqual((by_hand.company_id, by_hand.carrier_id), (picking.company_id, picking.carrier_id))

    def test_polling_twice_stores_each_event_once(self):
        _order, picking = self._ship_order("JD0DELIVERED0001")
        picking._update_tracking()
        picking._update_tracking()
        self.assertEqual(len(picking.tracking_event_ids), 5)
        self.assertEqual(picking.tracking_status, "delivered")
        self.assertTrue(picking.tracking_delivered_date)
        self.assertFalse(picking.tracking_next_check, "a delivered parcel is not polled again")
        self.assertNotIn(picking, self.env["stock.picking"].search(self.env["stock.picking"]._tracking_due_domain()))

    def test_an_event_deleted_by_hand_comes_back_while_the_carrier_reports_it(self):
        _order, picking = self._ship_order("JD0INTRANSIT0003")
        picking._update_tracking()
        oldest = picking.tracking_event_ids.sorted("occurred_at")[0]
        scan = (oldest.occurred_at, oldest.description)
        oldest.unlink()
        self.assertEqual(len(picking.tracking_event_ids), 2)

        picking._update_tracking()  # the same answer as the first time

        self.assertEqual(len(picking.tracking_event_ids), 3)
        self.assertIn(scan, [(e.occurred_at, e.description) for e in picking.tracking_event_ids])

    def test_an_answer_with_new_scans_stores_each_of_them_once(self):
        _order, picking = self._ship_order("JD0INTRANSIT0004")
        picking._update_tracking()
        first = {(e.occurred_at, e.description) for e in picking.tracking_event_ids}
        self.sandbox.state.set_scenario("JD0INTRANSIT0004", "delivered")  # the carrier's timeline moves on

        picking._update_tracking()
        picking._update_tracking()

        stored = [(e.occurred_at, e.description) for e in picking.tracking_event_ids]
        answer = self.account._get_client().track(["JD0INTRANSIT0004"])["JD0INTRANSIT0004"]
        self.assertEqual(len(stored), len(set(stored)), "no scan stored twice")
        self.assertEqual(set(stored), first | {(e.occurred_at, e.description) for e in answer.events})
        self.assertGreater(len(stored), len(first))
        self.assertEqual(picking.tracking_status, "delivered")

    def test_error_is_stored_and_keeps_events(self):
        _order, picking = self._ship_order("JD0INTRANSIT0002")
        picking._update_tracking()
        self.assertEqual(len(picking.tracking_event_ids), 3)
        self.sandbox.state.set_scenario("JD0INTRANSIT0002", "server_error")
        picking.tracking_account_id._get_client_options()  # account readable by the cron user
        picking._update_tracking()
        self.assertEqual(picking.tracking_error_kind, "carrier_down")
        self.assertIn("HTTP 500", picking.tracking_error)
        self.assertEqual(len(picking.tracking_event_ids), 3, "an error never deletes stored events")
        self.assertEqual(picking.tracking_status, "in_transit")
        self.assertLess(picking.tracking_next_check, fields.Datetime.now() + timedelta(hours=1))

    def test_not_found_and_malformed_do_not_stop_the_batch(self):
        pickings = self.env["stock.picking"]
        for ref in ("JD0NOTFOUND0001", "JD0MALFORMED0001", "JD0LOST0001"):
            pickings |= self._ship_order(ref)[1]
        pickings._update_tracking()
        not_found, malformed, lost = pickings
        self.assertEqual((not_found.tracking_status, not_found.tracking_error_kind), ("not_found", "not_found"))
        self.assertEqual(malformed.tracking_error_kind, "malformed")
        self.assertEqual((lost.tracking_status, lost.tracking_exception_kind), ("exception", "lost"))
        self.assertFalse(lost.tracking_error)

    def test_status_change_is_logged_in_chatter(self):
        _order, picking = self._ship_order("JD0INTRANSIT0003")
        picking._update_tracking()
        self.sandbox.state.set_scenario("JD0INTRANSIT0003", "delivered")
        picking._update_tracking()
        picking.invalidate_recordset(["message_ids"])
        bodies = picking.message_ids.mapped("body")
        self.assertTrue(any("In Transit → Delivered" in body for body in bodies), bodies)

    def test_cron_claims_in_batches_and_reports_progress(self):
        pickings = self.env["stock.picking"]
        for index in range(5):
            pickings |= self._ship_order(f"JD0INTRANSIT1{index:03d}")[1]
        due = self.env["stock.picking"].search(self.env["stock.picking"]._tracking_due_domain())
        self.assertLessEqual(pickings, due)
        done = self.env["stock.picking"]._cron_update_tracking(batch_size=2)
        self.assertEqual(done, len(due))
        self.assertEqual(set(pickings.mapped("tracking_status")), {"in_transit"})

    def test_manual_update_button_reports_errors(self):
        _order, ok = self._ship_order("JD0INTRANSIT0004")
        _order, bad = self._ship_order("JD0NOTFOUND0002")
        action = (ok | bad).action_update_tracking()
        self.assertEqual(action["params"]["type"], "warning")
        self.assertIn("1 with an error", action["params"]["message"])

    def test_missing_credentials_give_a_clear_error(self):
        account = self._create_account("dhl", "DHL without key")
        carrier = self._create_carrier("DHL no key", account)
        _order, picking = self._ship_order("JD0INTRANSIT0005", carrier=carrier)
        picking._update_tracking()
        self.assertEqual(picking.tracking_error_kind, "config")
        self.assertIn("api_key", picking.tracking_error)

    def test_event_times_are_utc(self):
        _order, picking = self._ship_order("JD0STALLED0001")
        picking._update_tracking()
        newest = max(picking.tracking_event_ids.mapped("occurred_at"))
        self.assertAlmostEqual(newest, datetime.utcnow() - timedelta(days=30), delta=timedelta(minutes=5))
