from unittest.mock import patch

from odoo import fields, models
from odoo.tests import tagged

from odoo.addons.carrier_connectors.clients import get_client_class
from odoo.addons.carrier_connectors.sandbox.core import CREDENTIALS

from .common import LostParcelCommon


@tagged("post_install", "-at_install")
class TestDetection(LostParcelCommon):
    def _only(self, rule, **signals):
        """Keep one rule active with only the given signals on."""
        (self.rule_domestic | self.rule_international).active = False
        rule.write(
            {
                "stalled_days": 0,
                "eta_overdue_days": 0,
                "use_exceptions": False,
                "inquiry_count": 0,
                "active": True,
                **signals,
            }
        )
        return rule

    def _case_of(self, cases, picking):
        return cases.filtered(lambda c: c.picking_id == picking)

    def test_stalled_thresholds_differ_domestic_and_international(self):
        _o, domestic = self._shipped_and_polled("JD0STALLED0101", partner=self.customer_us)
        _o, international = self._shipped_and_polled("JD0STALLED0102", partner=self.customer_nl)
        (self.rule_domestic | self.rule_international).eta_overdue_days = 0  # stalled only
        self.rule_domestic.stalled_days = 7
        self.rule_international.stalled_days = 31  # the parcel is stalled 30 days
        cases = self._detect()
        self.assertTrue(self._case_of(cases, domestic))
        self.assertFalse(self._case_of(cases, international))
        self.rule_international.stalled_days = 29
        case = self._case_of(self._detect(), international)
        self.assertEqual(case.reason_ids.signal, "stalled")
        self.assertEqual(case.reason_ids.rule_id, self.rule_international)

    def test_eta_overdue_alone(self):
        rule = self._only(self.rule_international, eta_overdue_days=5)
        _o, picking = self._shipped_and_polled("JD0STALLED0201")
        case = self._case_of(self._detect(), picking)
        self.assertEqual(case.reason_ids.mapped("signal"), ["eta_overdue"])
        overdue = (self._days_ago(0) - picking.tracking_eta).days
        self.assertGreaterEqual(overdue, 24)
        self.assertIn(f"passed {overdue} days ago", case.reason_ids.evidence)
        self.assertEqual(case.reason_ids.rule_id, rule)

    def test_missed_first_promise_is_overdue_though_the_estimate_moved(self):
        rule = self._only(self.rule_international, eta_overdue_days=5)
        credentials = {name: CREDENTIALS[name] for name in get_client_class("fedex").credential_fields}
        fedex = self._create_carrier("FedEx International", self._create_account("fedex", "FedEx", **credentials))
        _o, picking = self._shipped_and_polled("7946MISSEDPROMISE01", shipped_days_ago=15, carrier=fedex)
        self.assertFalse(picking.tracking_error)
        now = self._days_ago(0)
        self.assertGreater(picking.tracking_eta, now, "the carrier moved its estimate to tomorrow")
        self.assertIn((now - picking.tracking_promised_date).days, (9, 10), "its first promise passed 10 days ago")
        self.assertEqual(picking._lost_parcel_promised_date(), picking.tracking_promised_date)
        case = self._case_of(self._detect(), picking)
        self.assertEqual(case.reason_ids.mapped("signal"), ["eta_overdue"])
        self.assertEqual(case.reason_ids.reference_date, picking.tracking_promised_date)
        self.assertEqual(case.reason_ids.rule_id, rule)

    def test_carrier_exception_alone_and_raw_codes(self):
        self._only(self.rule_international, use_exceptions=True)
        _o, lost = self._shipped_and_polled("JD0LOST0301")
        _o, moving = self._shipped_and_polled("JD0INTRANSIT0302")
        cases = self._detect()
        case = self._case_of(cases, lost)
        self.assertEqual(case.reason_ids.signal, "exception")
        self.assertIn("Lost", case.reason_ids.evidence)
        self.assertEqual(case.score, self.env.ref("lost_parcel_reship.exception_kind_lost").score)
        self.assertFalse(self._case_of(cases, moving))
        # A raw carrier code configured on the rule counts too (DHL's "transit").
        self.rule_international.exception_raw_codes = "transit"
        self.assertTrue(self._case_of(self._detect(), moving))

    def test_customer_inquiries_alone(self):
        self._only(self.rule_international, inquiry_count=2, inquiry_days=7)
        order, picking = self._shipped_and_polled("JD0INTRANSIT0401")
        order._report_parcel_not_received()
        self.assertFalse(self._case_of(self._detect(), picking), "one message is below the threshold")
        # An employee's note is not a customer inquiry.
        order.message_post(body="Checking with the warehouse", message_type="comment")
        self.assertFalse(self._case_of(self._detect(), picking))
        # A second message the same day is the same inquiry; one on another day counts.
        picking.message_post(body="Where is my parcel?", author_id=self.customer_nl.id, message_type="email")
        self.assertFalse(self._case_of(self._detect(), picking))
        mail = picking.message_post(body="Still nothing?", author_id=self.customer_nl.id, message_type="email")
        mail.date = self._days_ago(2)
        case = self._case_of(self._detect(), picking)
        self.assertEqual(case.reason_ids.signal, "inquiry")
        self.assertIn("2 days with customer messages", case.reason_ids.evidence)

    def test_old_inquiries_do_not_count(self):
        self._only(self.rule_international, inquiry_count=1, inquiry_days=7)
        order, picking = self._shipped_and_polled("JD0INTRANSIT0402")
        message = order._report_parcel_not_received()
        message.date = self._days_ago(10)
        self.assertFalse(self._case_of(self._detect(), picking))

    def test_signals_together_add_up_and_sort_the_queue(self):
        self.rule_international.write({"stalled_days": 20, "eta_overdue_days": 5, "inquiry_count": 1})
        order, many = self._shipped_and_polled("JD0STALLED0501")
        order._report_parcel_not_received()
        _o, one = self._shipped_and_polled("JD0STALLED0502")
        self.rule_international.eta_overdue_days = 5
        cases = self._detect()
        many_case, one_case = self._case_of(cases, many), self._case_of(cases, one)
        self.assertEqual(set(many_case.reason_ids.mapped("signal")), {"stalled", "eta_overdue", "inquiry"})
        self.assertEqual(many_case.score, sum(many_case.reason_ids.mapped("score")))
        self.assertGreater(many_case.score, one_case.score)
        queue = self.Case.search([("id", "in", cases.ids)])
        self.assertLess(list(queue).index(many_case), list(queue).index(one_case), "review queue: highest score first")

    def test_minimum_age_since_shipping(self):
        _o, picking = self._shipped_and_polled("JD0LOST0601", shipped_days_ago=1)
        self.assertFalse(self._case_of(self._detect(), picking))
        self.rule_international.min_age_days = 0
        self.assertTrue(self._case_of(self._detect(), picking))

    def test_one_open_case_per_parcel(self):
        _o, picking = self._shipped_and_polled("JD0STALLED0701")
        first = self._case_of(self._detect(), picking)
        self.assertTrue(first)
        self.assertFalse(self._case_of(self._detect(), picking), "no second case while one is open")
        first._dismiss("Customer confirmed receipt")
        self.assertFalse(self._case_of(self._detect(), picking), "a dismissed parcel is not flagged again")
        first.state = "false_alarm"
        again = self._case_of(self._detect(), picking)
        self.assertTrue(again and again != first, "after a false alarm the parcel is watched again")

    def test_rule_filters_carrier_and_country(self):
        other_carrier = self._create_carrier("Other carrier", self.account)
        self.rule_international.carrier_ids = other_carrier
        _o, picking = self._shipped_and_polled("JD0STALLED0801")
        self.assertFalse(self._case_of(self._detect(), picking))
        self.rule_international.carrier_ids = self.carrier
        self.rule_international.country_ids = self.env.ref("base.de")
        self.assertFalse(self._case_of(self._detect(), picking))
        self.rule_international.country_ids = self.env.ref("base.nl")
        self.assertTrue(self._case_of(self._detect(), picking))

    def test_delivered_and_unshipped_parcels_are_ignored(self):
        _o, delivered = self._shipped_and_polled("JD0DELIVERED0901")
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer_nl.id,
                "carrier_id": self.carrier.id,
                "order_line": [(0, 0, {"product_id": self.product.id, "product_uom_qty": 1})],
            }
        )
        order.action_confirm()
        cases = self._detect()
        self.assertFalse(self._case_of(cases, delivered))
        self.assertFalse(cases.filtered(lambda c: c.sale_id == order))

    def test_detection_queries_do_not_grow_with_parcels(self):
        self.rule_international.inquiry_count = 1

        def run_with(count, prefix):
            pickings = self._ship_pickings_in_batch(
                [f"JD0STALLED{prefix}{i:04d}" for i in range(count)], self.carrier, partner=self.customer_nl
            )
            pickings.date_done = self._days_ago(40)
            pickings._update_tracking()
            self.env.flush_all()
            before = self.env.cr.sql_log_count
            cases = self._detect()
            self.env.flush_all()
            queries = self.env.cr.sql_log_count - before
            self.assertEqual(len(cases.filtered(lambda c: c.picking_id in pickings)), count)
            cases.write({"state": "dismissed"})  # out of the next run
            return queries

        # Odoo itself splits INSERTs and UPDATEs into chunks of 100 rows: lift those limits so the count
        # shows what detection does per parcel, not Odoo's chunking.
        with patch.object(models, "INSERT_BATCH_SIZE", 1000), patch.object(models, "UPDATE_BATCH_SIZE", 1000):
            run_with(3, "W")  # warm Odoo's caches (model ids, activity type, parameters) first
            small, large = run_with(10, "A"), run_with(200, "B")
        self.assertEqual(small, large, f"detection ran {small} queries for 10 parcels and {large} for 200")

    def test_a_parcel_with_an_open_case_is_asked_about_first_and_more_often(self):
        # Quiet for 30 days, a stalled parcel is asked about every half interval (3 of the
        # account's 6 hours); once its case is open, every third (2 hours) and before the others.
        _order, with_case = self._shipped_and_polled("JD0STALLED9401")
        _order, without = self._shipped_and_polled("JD0STALLED9402")
        case = self.Case._cron_detect_lost_parcels().filtered(lambda c: c.picking_id == with_case)
        self.assertTrue(case.is_open)
        without.lost_parcel_case_ids.write({"state": "false_alarm"})  # closed: an ordinary quiet parcel

        now = fields.Datetime.now()
        (with_case | without)._update_tracking()

        def hours_to_next_check(picking):
            return round((picking.tracking_next_check - now).total_seconds() / 3600)

        self.assertEqual((hours_to_next_check(with_case), hours_to_next_check(without)), (2, 3))
        self.assertGreater(with_case.tracking_priority, without.tracking_priority)
