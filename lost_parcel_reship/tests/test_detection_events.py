"""Event-driven detection: carrier news (a push, a poll) becomes a case without the daily run."""

from unittest.mock import patch

from odoo import fields, models
from odoo.tests import Form, HttpCase, tagged

from odoo.addons.carrier_connectors.sandbox.providers import aftership as aftership_sandbox

from .common import LostParcelCommon


@tagged("post_install", "-at_install")
class TestDetectionEvents(HttpCase, LostParcelCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.account_as = cls._create_account(
            "aftership", "AfterShip test", api_key="sandbox-key", webhook_secret="aftership-webhook-secret"
        )
        cls.carrier_as = cls._create_carrier("Cainiao via AfterShip", cls.account_as)
        cls.event_cron = cls.env.ref("lost_parcel_reship.ir_cron_detect_changed_parcels")
        cls.daily_cron = cls.env.ref("lost_parcel_reship.ir_cron_detect_lost_parcels")

    def _push(self, number):
        body, headers = aftership_sandbox.signed_webhook(self.sandbox.state, number, "aftership-webhook-secret")
        response = self.url_open(f"/carrier_connectors/webhook/{self.account_as.id}", data=body, headers=headers)
        self.assertEqual(response.status_code, 200, response.text)
        self.env.invalidate_all()  # stored by the server thread
        return response

    def _queued(self):
        return self.env["ir.cron.trigger"].search([("cron_id", "=", self.event_cron.id)])

    def _run_event_cron(self):
        """What the cron worker does once the push is committed: run the triggered action."""
        return self.env["lost.parcel.case"]._cron_detect_changed_parcels()

    def test_signed_push_of_a_lost_parcel_opens_its_case_without_the_daily_run(self):
        _order, picking = self._ship_order("CN0LOST7001", carrier=self.carrier_as, shipped_days_ago=10)
        daily_lastcall = self.daily_cron.lastcall
        self._push("CN0LOST7001")
        self.assertEqual(picking.tracking_exception_kind, "lost")
        self.assertFalse(picking.lost_parcel_case_ids, "the webhook answers first: no detection in the request")
        self.assertTrue(picking.lost_parcel_detect_requested, "the parcel waits for detection")
        self.assertTrue(self._queued(), "the detection action is triggered to run as soon as the push is committed")
        cases = self._run_event_cron()
        case = picking.lost_parcel_case_ids
        self.assertEqual(cases, case)
        self.assertEqual(case.state, "to_review", "checked against the tracking just pushed, ready for review")
        self.assertIn("exception", case.reason_ids.mapped("signal"))
        self.assertFalse(picking.lost_parcel_detect_requested)
        self.assertEqual(self.daily_cron.lastcall, daily_lastcall, "the daily full run did not run")

    def test_two_pushes_and_a_racing_full_run_open_one_case(self):
        _order, picking = self._ship_order("CN0LOST7002", carrier=self.carrier_as, shipped_days_ago=10)
        self._push("CN0LOST7002")
        self._push("CN0LOST7002")
        self._run_event_cron()
        self._run_event_cron()
        self.assertEqual(len(picking.lost_parcel_case_ids), 1)
        # A full run that started before that case was committed did not see it, and flags the
        # parcel again: its case is refused by the database, not doubled, and nothing fails.
        rule = self.rule_international
        found = {picking.id: [(rule, "exception", None)]}
        again = self.env["lost.parcel.case"]._create_from_detection(found, fields.Datetime.now())
        self.assertFalse(again)
        self.assertEqual(len(picking.lost_parcel_case_ids), 1, "one case per parcel, whichever path comes second")
        picking.lost_parcel_case_ids._close_false_alarm()
        self.assertTrue(
            self.env["lost.parcel.case"]._create_from_detection(found, fields.Datetime.now()),
            "after a false alarm the parcel may open a new case",
        )

    def test_a_burst_of_1000_changed_parcels_costs_the_queries_of_10(self):
        """1,000 changed parcels are exactly one batch of the event-driven run (``EVENT_BATCH_SIZE``
        is 1,000), so this compares one batch of 10 with one batch of 1,000, Odoo's own chunking of
        UPDATEs (``models.UPDATE_BATCH_SIZE``, 100 rows) lifted. A burst of several batches, with
        Odoo's chunking as it is, is ``test_a_burst_of_several_batches_costs_the_same_per_batch``."""

        def run_with(count, prefix):
            pickings = self._ship_pickings_in_batch(
                [f"JD0INTRANSIT{prefix}{i:04d}" for i in range(count)], self.carrier, partner=self.customer_nl
            )
            pickings.date_done = self._days_ago(30)
            pickings._update_tracking()  # the poll brings news for every one: all queued
            self.assertEqual(len(pickings.filtered("lost_parcel_detect_requested")), count)
            self.env.flush_all()
            before = self.env.cr.sql_log_count
            self._run_event_cron()
            self.env.flush_all()
            queries = self.env.cr.sql_log_count - before
            self.assertFalse(pickings.filtered("lost_parcel_detect_requested"), "every queued parcel was checked")
            return queries

        # Odoo itself splits UPDATEs into chunks of 100 rows: lift that so the count shows what
        # detection does per parcel, not Odoo's chunking.
        with patch.object(models, "UPDATE_BATCH_SIZE", 2000):
            run_with(3, "W")  # warm Odoo's caches first
            small, large = run_with(10, "A"), run_with(1000, "B")
        self.assertEqual(small, large, f"{small} queries for 10 changed parcels, {large} for 1,000")

    def test_news_updates_each_deliverys_row_once(self):
        """Storing the carrier's news and queuing the parcel for detection is one UPDATE of each
        delivery's row: a row updated twice in one transaction has all its foreign keys checked
        again by PostgreSQL (nine on a delivery), which doubled the database's work per parcel
        with news in a poll."""
        pickings = self._ship_pickings_in_batch(
            [f"JD0INTRANSITU{i:04d}" for i in range(20)], self.carrier, partner=self.customer_nl
        )
        self.env.flush_all()

        def row_updates():
            self.env.cr.execute("SELECT n_tup_upd FROM pg_stat_xact_user_tables WHERE relname = 'stock_picking'")
            return self.env.cr.fetchone()[0]

        before = row_updates()
        pickings._update_tracking()  # first answers: news for every parcel
        self.env.flush_all()
        self.assertEqual(len(pickings.filtered("lost_parcel_detect_requested")), 20, "every parcel queued")
        self.assertTrue(all(pickings.mapped("tracking_status")), "and its tracking stored")
        self.assertEqual(row_updates() - before, 20, "one row update per delivery")

    def test_a_burst_of_several_batches_costs_the_same_per_batch(self):
        """A burst larger than one batch, every parcel lost so that each opens its case. The run
        commits a batch at a time (``EVENT_BATCH_SIZE`` parcels, 1,000 in production; batches of
        100 here to keep the test short).

        - Set-based: a batch of 100 costs what a batch of 10 costs. Odoo itself splits INSERTs and
          UPDATEs into chunks of 100 rows (``models.INSERT_BATCH_SIZE``, ``UPDATE_BATCH_SIZE``):
          lifted for this comparison, so that it shows what detection does per parcel.
        - Per batch: 1, 2 and 3 batches of 100, Odoo's chunking as it is: each batch costs the same
          number of queries. A production batch of 1,000 costs that plus Odoo's chunks (one INSERT
          or UPDATE per 100 rows written), the same for every batch."""
        size = 100

        def run_with(count, prefix):
            pickings = self._ship_pickings_in_batch(
                [f"JD0LOST{prefix}{i:04d}" for i in range(count)], self.carrier, partner=self.customer_nl
            )
            pickings.date_done = self._days_ago(30)
            pickings._update_tracking()  # the carrier says lost: every parcel queued
            self.assertEqual(len(pickings.filtered("lost_parcel_detect_requested")), count)
            self.env.flush_all()
            before = self.env.cr.sql_log_count
            self.env["lost.parcel.case"]._cron_detect_changed_parcels(batch_size=size)
            self.env.flush_all()
            queries = self.env.cr.sql_log_count - before
            self.assertFalse(pickings.filtered("lost_parcel_detect_requested"), "every queued parcel was checked")
            self.assertEqual(len(pickings.lost_parcel_case_ids), count, "one case per lost parcel")
            return queries

        run_with(size, "W")  # warm Odoo's caches, and empty the queue of the demo's parcels
        with patch.object(models, "INSERT_BATCH_SIZE", 2000), patch.object(models, "UPDATE_BATCH_SIZE", 2000):
            ten, hundred = run_with(10, "T"), run_with(size, "H")
        self.assertEqual(ten, hundred, f"{ten} queries for a batch of 10 changed parcels, {hundred} for 100")
        one, two, three = run_with(size, "A"), run_with(2 * size, "B"), run_with(3 * size, "C")
        figures = f"{one}, {two}, {three} queries for 1, 2, 3 batches of {size}"
        per_batch = two - one
        self.assertEqual(three - two, per_batch, f"every further batch costs the same: {figures}")
        self.assertLessEqual(one - per_batch, 2, f"besides its batches, the query that finds none left: {figures}")

    def test_a_parcel_moving_again_closes_its_open_case(self):
        _order, picking = self._shipped_and_polled("JD0STALLED7004")
        case = self._detect().filtered(lambda c: c.picking_id == picking)
        case._reverify()
        self.assertEqual(case.state, "to_review")
        self._run_event_cron()  # what the re-verification's own poll queued: nothing new
        self.assertEqual(case.state, "to_review")
        self.sandbox.state.set_scenario("JD0STALLED7004", "in_transit")
        picking._update_tracking()  # the next poll
        self._run_event_cron()
        self.assertEqual(case.state, "false_alarm")
        event = picking.tracking_event_ids[:1]
        self.assertIn("Closed as a false alarm", case.message_ids[0].body)
        self.assertIn(event.description, case.message_ids[0].body, "the note names the event that cleared it")

    def test_switched_off_per_company_in_the_settings(self):
        settings = Form(self.env["res.config.settings"])
        settings.lost_parcel_event_detection = False
        settings.lost_parcel_digest = False
        settings.save().execute()
        self.assertFalse(self.company.lost_parcel_event_detection or self.company.lost_parcel_digest)
        self.assertFalse(Form(self.env["res.config.settings"]).lost_parcel_digest, "the switch stays off")
        _order, picking = self._ship_order("CN0LOST7005", carrier=self.carrier_as, shipped_days_ago=10)
        queued = self._queued()
        self._push("CN0LOST7005")
        self.assertFalse(picking.lost_parcel_detect_requested or self._queued() - queued)
        self.assertFalse(self._run_event_cron())
