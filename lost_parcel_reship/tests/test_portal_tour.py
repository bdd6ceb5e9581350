from odoo.tests import HttpCase, new_test_user, tagged

from .common import LostParcelCommon
from .communication_common import CommunicationCommon


@tagged("post_install", "-at_install")
class TestPortalRefundTour(CommunicationCommon, HttpCase):
    def test_portal_customer_chooses_a_refund_in_the_browser(self):
        user = new_test_user(
            self.env, "lp_portal_customer", groups="base.group_portal", name="Carla Customer", email="carla@example.com"
        )
        user.partner_id.write({"country_id": self.env.ref("base.us").id, "city": "Austin", "zip": "73301"})
        case = self._lost_case("JD0STALLED8701", partner=user.partner_id)
        case.customer_choice_offered = True

        self.start_tour("/my/orders", "lost_parcel_portal_refund_tour", login=user.login)

        self.assertEqual(case.state, "refunded")
        self.assertEqual(case.customer_choice, "refund")
        self.assertTrue(case.refund_amount)
        self.assertTrue(case.message_ids.filtered(lambda m: "Chosen by the customer" in (m.body or "")))


@tagged("post_install", "-at_install")
class TestPortalNotReceivedTour(LostParcelCommon, HttpCase):
    def test_portal_customer_reports_a_missing_parcel_in_the_browser(self):
        user = new_test_user(
            self.env, "lp_portal_waiting", groups="base.group_portal", name="Wim Waiting", email="wim@example.nl"
        )
        user.partner_id.write({"country_id": self.env.ref("base.nl").id, "city": "Utrecht", "zip": "3511 AA"})
        order, picking = self._shipped_and_polled("JD0INTRANSIT8702", partner=user.partner_id, shipped_days_ago=12)
        self.assertEqual(picking.tracking_status, "in_transit")

        self.start_tour("/my/orders", "lost_parcel_portal_not_received_tour", login=user.login)

        inquiries = order.message_ids.filtered(lambda m: "I have not received my parcel." in (m.body or ""))
        self.assertEqual(len(inquiries), 1, "one inquiry posted on the order")
        self.assertEqual(inquiries.author_id, user.partner_id)
        self.assertIn("Nothing in the mailbox since last week", inquiries.body)
