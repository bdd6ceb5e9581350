import base64
from datetime import date

from dateutil.relativedelta import relativedelta
from lxml import etree

from odoo.exceptions import UserError
from odoo.tests import Form, tagged
from odoo.tools.safe_eval import safe_eval

from .common import LostParcelCommon


@tagged("post_install", "-at_install")
class TestCaseFlow(LostParcelCommon):
    def _open_case(self, ref="JD0STALLED1001", **kwargs):
        _order, picking = self._shipped_and_polled(ref, **kwargs)
        case = self._detect().filtered(lambda c: c.picking_id == picking)
        self.assertEqual(case.state, "detected")
        return case

    def test_reverification_closes_a_parcel_that_moved_again(self):
        case = self._open_case("JD0STALLED1101")
        self.sandbox.state.set_scenario("JD0STALLED1101", "in_transit")
        case._reverify()
        self.assertEqual(case.state, "false_alarm")
        self.assertTrue(case.closed_date)
        self.assertIn("false alarm", case.message_ids[0].body)
        self.assertFalse(case.activity_ids, "nothing left to review")

    def test_reverification_closes_a_delivered_parcel(self):
        case = self._open_case("JD0STALLED1102")
        self.sandbox.state.set_scenario("JD0STALLED1102", "delivered")
        case.action_reverify()
        self.assertEqual(case.state, "false_alarm")
        self.assertEqual(case.picking_id.tracking_status, "delivered")

    def test_reverification_keeps_a_still_stalled_parcel_for_review(self):
        case = self._open_case("JD0STALLED1103")
        case._reverify()
        self.assertEqual(case.state, "to_review")

    def test_reverification_error_goes_to_review_with_a_note(self):
        case = self._open_case("JD0STALLED1104")
        self.sandbox.state.set_scenario("JD0STALLED1104", "server_error")
        case._reverify()
        self.assertEqual(case.state, "to_review")
        self.assertIn("could not reach the carrier", case.message_ids[0].body)

    def test_auto_confirm_cheap_long_stalled_parcels(self):
        self.rule_international.write(
            {"auto_confirm": True, "auto_confirm_max_value": 50, "auto_confirm_stalled_days": 14}
        )
        cheap = self._open_case("JD0STALLED1201")  # one teapot: 40.0
        expensive = self._open_case("JD0STALLED1202", lines=[(self.product, 3)])
        (cheap | expensive)._reverify()
        self.assertEqual(cheap.state, "confirmed")
        self.assertTrue(cheap.auto_confirmed)
        self.assertIn("automatically", cheap.message_ids[0].body)
        self.assertEqual(expensive.state, "to_review")

    def test_confirm_records_date_reference_documents_and_value(self):
        case = self._open_case("JD0STALLED1301", lines=[(self.product, 2)])
        case._reverify()
        document = self.env["ir.attachment"].create(
            {
                "name": "dhl-loss-confirmation.pdf",
                "datas": base64.b64encode(b"%PDF-1.4 loss"),
            }
        )
        self._confirm(case, ref="DHL-CLM-99", attachments=document)
        self.assertEqual(case.state, "confirmed")
        self.assertTrue(case.confirmed_date)
        self.assertEqual(case.confirmed_by_id, self.env.user)
        self.assertEqual(case.evidence_attachment_ids, document)
        self.assertEqual((document.res_model, document.res_id), ("lost.parcel.case", case.id))
        self.assertEqual(case.goods_value_sale, 80.0)
        self.assertEqual(case.goods_value_cost, 24.0)
        self.assertIn("DHL-CLM-99", case.message_ids[0].body)

    def test_dismiss_needs_a_reason_and_is_logged(self):
        case = self._open_case("JD0STALLED1401")
        action = case.action_dismiss()
        wizard = Form(self.env[action["res_model"]].with_context(**action["context"]))
        wizard.reason = "Customer found it at a neighbour"
        wizard.save().action_dismiss()
        self.assertEqual(case.state, "dismissed")
        self.assertIn("neighbour", case.message_ids[0].body)
        with self.assertRaises(UserError):
            self._open_case("JD0STALLED1402")._dismiss("  ")

    def test_guards(self):
        case = self._open_case("JD0STALLED1501")
        with self.assertRaisesRegex(UserError, "only a parcel confirmed lost is reshipped"):
            case.action_reship()
        case._dismiss("Found")
        with self.assertRaisesRegex(UserError, "only a case under review can be confirmed"):
            case.action_confirm_lost()
        with self.assertRaises(UserError):
            case.action_reship()
        delivered = self._open_case("JD0STALLED1502")
        delivered._reverify()
        self.sandbox.state.set_scenario("JD0STALLED1502", "delivered")
        delivered.picking_id._update_tracking()
        with self.assertRaisesRegex(UserError, "reports the parcel delivered"):
            delivered.action_confirm_lost()

    def test_ask_carrier_plans_an_activity_with_the_reference(self):
        case = self._open_case("JD0STALLED1601")
        case.action_ask_carrier()
        activity = case.activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref("lost_parcel_reship.mail_activity_type_ask_carrier")
        )
        self.assertEqual(len(activity), 1)
        self.assertIn("JD0STALLED1601", activity.note)
        self.assertIn(self.carrier.name, activity.summary)

    def test_new_case_gives_the_reviewer_an_activity(self):
        reviewer = self.env["res.users"].create(
            {
                "name": "Rita Reviewer",
                "login": "rita",
                "email": "rita@x.com",
                "groups_id": [(4, self.env.ref("stock.group_stock_user").id)],
            }
        )
        self.env["ir.config_parameter"].set_param("lost_parcel_reship.reviewer_id", reviewer.id)
        case = self._open_case("JD0STALLED1701")
        self.assertEqual(case.user_id, reviewer)
        self.assertEqual(case.activity_ids.user_id, reviewer)
        self.assertEqual(
            case.activity_ids.activity_type_id, self.env.ref("lost_parcel_reship.mail_activity_type_review_case")
        )
        self._confirm(case)
        case.invalidate_recordset(["activity_ids"])
        self.assertFalse(case.activity_ids, "confirming completes the review activity")

    def test_without_a_reviewer_setting_new_cases_go_to_a_manager(self):
        self.env["ir.config_parameter"].set_param("lost_parcel_reship.reviewer_id", "")
        case = self._open_case("JD0STALLED1702")
        managers = self.env.ref("lost_parcel_reship.group_lost_parcel_manager").users
        self.assertIn(case.user_id, managers, "the queue has an owner from install on")
        self.assertIn(self.company, case.user_id.company_ids)
        self.assertEqual(case.activity_ids.user_id, case.user_id)
        unassigned = self.Case.search([("id", "=", case.id), ("user_id", "=", False)])
        self.assertFalse(unassigned)

    def test_daily_digest_lists_new_waiting_and_exceptions(self):
        manager = self.env["res.users"].create(
            {
                "name": "Max Manager",
                "login": "max",
                "email": "max@example.com",
                "groups_id": [(4, self.env.ref("lost_parcel_reship.group_lost_parcel_manager").id)],
            }
        )
        new_case = self._open_case("JD0STALLED1801")
        waiting = self._open_case("JD0STALLED1802")
        waiting.detected_date = self._days_ago(3)
        self.rule_international.use_exceptions = False
        _o, in_exception = self._shipped_and_polled("JD0DAMAGED1803", shipped_days_ago=1)
        mails = self.Case._cron_send_digest()
        mail = mails.filtered(lambda m: manager.partner_id in m.recipient_ids)
        self.assertEqual(len(mail), 1)
        for text in (new_case.name, waiting.name, in_exception.name):
            self.assertIn(text, mail.body_html)

    def test_reship_that_is_lost_again_opens_a_linked_case(self):
        case = self._open_case("JD0STALLED1901")
        case._reverify()
        self._confirm(case)
        case.action_reship()
        reship = self._validate(case.reship_picking_id, tracking_ref="JD0LOST1902")
        reship.date_done = self._days_ago(5)
        reship._update_tracking()
        second = self._detect().filtered(lambda c: c.picking_id == reship)
        self.assertEqual(second.parent_case_id, case)

    def test_new_carrier_exception_alerts_the_reviewer(self):
        reviewer = self.env["res.users"].create({"name": "Rita", "login": "rita2", "email": "r2@x.com"})
        case = self._open_case("JD0STALLED2201")
        case.user_id = reviewer
        self.sandbox.state.set_scenario("JD0STALLED2201", "lost")
        case.picking_id._update_tracking()
        self.assertIn("now reports Exception", case.message_ids[0].body)
        todo = case.activity_ids.filtered(lambda a: a.summary == "New carrier exception")
        self.assertEqual(todo.user_id, reviewer)

    def test_case_opened_by_hand_gets_a_reference(self):
        _order, picking = self._shipped_and_polled("JD0INTRANSIT2301")
        form = Form(self.Case)
        form.picking_id = picking
        case = form.save()
        self.assertRegex(case.name, r"^LOST/\d{5}$")
        self.assertEqual(case.carrier_id, self.carrier)
        self.assertEqual(case.partner_id, self.customer_nl)

    def test_queue_filters_by_age_since_shipping(self):
        old = self._open_case("JD0STALLED2401", shipped_days_ago=40)
        recent = self._open_case("JD0LOST2402", shipped_days_ago=10)
        arch = etree.fromstring(self.env.ref("lost_parcel_reship.lost_parcel_case_view_search").arch)

        def filtered(name):
            text = arch.xpath(f"//filter[@name='{name}']")[0].get("domain")
            domain = safe_eval(text, {"context_today": date.today, "relativedelta": relativedelta})
            return self.Case.search(domain)

        self.assertIn(old, filtered("shipped_month"))
        self.assertNotIn(recent, filtered("shipped_month"))
        self.assertIn(recent, filtered("shipped_week"))
        self.assertNotIn(old, filtered("shipped_week"))
