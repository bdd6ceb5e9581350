"""Defects a code review found on the lost-parcel side, each with the behaviour a user expects."""

from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import UserError
from odoo.tests import HttpCase, new_test_user, tagged

from . import test_portal
from .common import LostParcelCommon
from .reship_common import ReshipCommon


@tagged("post_install", "-at_install")
class TestDeliveredParcels(LostParcelCommon):
    def _confirmed_case(self, tracking_ref):
        _order, picking = self._shipped_and_polled(tracking_ref)
        case = self._detect().filtered(lambda c: c.picking_id == picking)
        case._reverify()
        return self._confirm(case)

    def test_a_delivery_on_a_confirmed_case_sends_it_back_to_review(self):
        case = self._confirmed_case("JD0STALLED8101")
        self.sandbox.state.set_scenario("JD0STALLED8101", "delivered")
        case.picking_id._update_tracking()

        self.assertEqual(case.state, "to_review")
        self.assertIn("now reports the parcel delivered", case.message_ids[0].body)
        self.assertFalse(case.can_be_reshipped)
        with self.assertRaisesRegex(UserError, "only a parcel confirmed lost is reshipped"):
            case.action_reship()
        self.assertFalse(case.reship_picking_id)

    def test_reship_and_refund_refuse_a_delivered_parcel(self):
        case = self._confirmed_case("JD0STALLED8102")
        # The carrier's answer says delivered (stored without the case hearing of it).
        case.picking_id.write({"tracking_status": "delivered"})
        self.assertEqual(case.state, "confirmed")
        self.assertFalse(case.can_be_reshipped)
        self.assertFalse(case.can_be_refunded)
        with self.assertRaisesRegex(UserError, "reports the parcel delivered"):
            case.action_reship()
        with self.assertRaisesRegex(UserError, "reports the parcel delivered"):
            case.action_refund()
        self.assertFalse(case.reship_picking_id)


@tagged("post_install", "-at_install")
class TestDigestPerCompany(LostParcelCommon):
    def test_each_company_gets_its_own_cases_only(self):
        other = self.env["res.company"].create({"name": "Other Seller Ltd", "email": "ops@other.example"})
        manager_group = "lost_parcel_reship.group_lost_parcel_manager"
        ours = new_test_user(self.env, "digest_ours", email="ours@example.com", groups=manager_group)
        theirs = new_test_user(
            self.env,
            "digest_theirs",
            email="theirs@example.com",
            groups=manager_group,
            company_id=other.id,
            company_ids=[Command.set(other.ids)],
        )
        our_case = self._open_case("JD0STALLED8201")
        warehouse = self.env["stock.warehouse"].search([("company_id", "=", other.id)], limit=1)
        their_picking = (
            self.env["stock.picking"]
            .with_company(other)
            .create(
                {
                    "picking_type_id": warehouse.out_type_id.id,
                    "partner_id": self.customer_nl.id,
                    "location_id": warehouse.lot_stock_id.id,
                    "location_dest_id": self.customer_nl.property_stock_customer.id,
                    "carrier_tracking_ref": "JD0STALLED8202",
                }
            )
        )
        their_case = self.Case.create({"picking_id": their_picking.id, "company_id": other.id})

        mails = self.Case._cron_send_digest()
        our_mail = mails.filtered(lambda m: ours.partner_id in m.recipient_ids)
        their_mail = mails.filtered(lambda m: theirs.partner_id in m.recipient_ids)
        self.assertIn(our_case.name, our_mail.body_html)
        self.assertNotIn(their_case.name, our_mail.body_html)
        self.assertIn(their_case.name, their_mail.body_html)
        self.assertNotIn(our_case.name, their_mail.body_html)
        self.assertNotIn(ours.partner_id, their_mail.recipient_ids)

    def _open_case(self, tracking_ref):
        _order, picking = self._shipped_and_polled(tracking_ref)
        return self._detect().filtered(lambda c: c.picking_id == picking)


@tagged("post_install", "-at_install")
class TestStaffOutsideLostParcels(LostParcelCommon):
    def test_warehouse_user_reads_a_delivery_with_a_case(self):
        _order, picking = self._shipped_and_polled("JD0STALLED8301")
        self._detect()
        self.assertTrue(picking.lost_parcel_case_ids)
        user = new_test_user(self.env, "wh_only", groups="stock.group_stock_user")
        rows = picking.with_user(user).read()
        self.assertEqual(rows[0]["name"], picking.name)
        self.assertNotIn("lost_parcel_case_ids", rows[0])

    def test_salesman_reads_an_order_with_a_case(self):
        order, _picking = self._shipped_and_polled("JD0STALLED8302")
        self._detect()
        salesman = new_test_user(self.env, "sales_only", groups="sales_team.group_sale_salesman_all_leads")
        rows = order.with_user(salesman).read()
        self.assertEqual(rows[0]["name"], order.name)
        self.assertNotIn("lost_parcel_case_count", rows[0])


@tagged("post_install", "-at_install")
class TestInquiryCounting(LostParcelCommon):
    def _customer_says(self, order, when, text="Where is my parcel?"):
        message = order.message_post(
            body=text, author_id=order.partner_id.id, message_type="comment", subtype_xmlid="mail.mt_comment"
        )
        message.date = when
        return message

    def test_messages_count_once_per_day(self):
        self.rule_international.write({"stalled_days": 0, "eta_overdue_days": 0, "use_exceptions": False})
        order, picking = self._shipped_and_polled("JD0INTRANSIT8401", shipped_days_ago=10)
        now = fields.Datetime.now()
        # Yesterday at 9, 10 and 11 UTC (days are counted on UTC dates): "the last three hours"
        # spanned two dates when the tests ran between midnight and 3 in the morning.
        noon = (now - timedelta(days=1)).replace(hour=12, minute=0, second=0, microsecond=0)
        for hours in (1, 2, 3):
            self._customer_says(order, noon - timedelta(hours=hours))
        self.assertFalse(self._detect().filtered(lambda c: c.picking_id == picking), "three messages on one day")
        self._customer_says(order, now - timedelta(days=2))
        case = self._detect().filtered(lambda c: c.picking_id == picking)
        self.assertIn("2 days with customer messages", case.reason_ids.evidence)


@tagged("post_install", "-at_install")
class TestPortalButtonLimits(LostParcelCommon, HttpCase):
    _csrf_token = staticmethod(test_portal.TestPortalNotReceived._csrf_token)

    def _click(self, order, message="", token=None):
        page = self.url_open(f"/my/orders/{order.id}?access_token={order.access_token}")
        return self.url_open(
            f"/my/orders/{order.id}/parcel_not_received",
            data={
                "access_token": token or order.access_token,
                "message": message,
                "csrf_token": self._csrf_token(page.text),
            },
        )

    def _inquiries(self, order):
        return order.message_ids.filtered(lambda m: "have not received my parcel" in (m.body or ""))

    def test_two_clicks_post_one_inquiry(self):
        order, _picking = self._shipped_and_polled("JD0INTRANSIT8501")
        order._portal_ensure_token()
        self._click(order)
        self._click(order)
        self.assertEqual(len(self._inquiries(order)), 1)

    def test_delivered_order_gets_no_inquiry_button_nor_inquiry(self):
        order, _picking = self._shipped_and_polled("JD0DELIVERED8502")
        order._portal_ensure_token()
        page = self.url_open(f"/my/orders/{order.id}?access_token={order.access_token}")
        self.assertNotIn("I have not received my parcel", page.text)
        response = self.url_open(
            f"/my/orders/{order.id}/parcel_not_received",
            data={"access_token": order.access_token, "csrf_token": self._csrf_token(page.text)},
        )
        self.assertEqual(response.status_code, 200)
        self.assertFalse(self._inquiries(order))

    def test_long_message_is_cut(self):
        order, _picking = self._shipped_and_polled("JD0INTRANSIT8503")
        order._portal_ensure_token()
        self._click(order, message="x" * 20000)
        body = self._inquiries(order).body
        self.assertLess(len(body), 2500)
        self.assertIn("x" * 100, body)


@tagged("post_install", "-at_install")
class TestOneSourceOfTruth(ReshipCommon):
    """The buttons, the fields' readonly and the actions read the same ``_transition_blockers``."""

    def test_customer_choice_is_offered_only_while_both_ways_are_open(self):
        case = self._lost_case("JD0STALLED8301")
        self.assertTrue(case.can_offer_customer_choice)
        case.action_reship()
        self.assertTrue(case.can_be_refunded, "the reship has not left: a refund is still possible")
        self.assertFalse(case.can_offer_customer_choice, "but there is nothing left to choose")
        with self.assertRaisesRegex(UserError, "only a parcel confirmed lost is reshipped"):
            case.action_offer_customer_choice()
        self.assertFalse(case.customer_choice_offered)
        form = self.Case.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('invisible="customer_choice_offered or not can_offer_customer_choice"', form)
        self.assertIn('name="customer_choice_offered" readonly="not can_offer_customer_choice"', form)

    def test_reship_carrier_by_hand_follows_the_rule(self):
        _order, picking = self._shipped_and_polled("JD0STALLED8302")
        case = self._detect().filtered(lambda c: c.picking_id == picking)
        self.assertFalse(case.can_change_reship_carrier)
        with self.assertRaisesRegex(UserError, "only a confirmed case gets a reship carrier"):
            case.reship_carrier_id = self.ups
        self._confirm(case)
        case.reship_carrier_id = self.ups
        self.assertTrue(case.reship_carrier_manual)

    def test_refund_button_wording_follows_the_refund_rule(self):
        case = self._lost_case("JD0STALLED8303")
        case.sale_id._create_invoices().action_post()
        case.action_reship()
        self.assertFalse(case.reship_left)
        self._validate(case.reship_picking_id, "JD0INTRANSIT8303")
        self.assertTrue(case.reship_left)
        self.assertTrue(case.can_be_refunded, "invoiced: a credit note, the replacement stays")
        form = self.Case.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('invisible="not can_be_refunded or not reship_left"', form)
