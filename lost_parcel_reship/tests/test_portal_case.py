import re

from odoo.tests import HttpCase, new_test_user, tagged

from .communication_common import CommunicationCommon


class PortalCaseCommon(CommunicationCommon, HttpCase):
    @staticmethod
    def _csrf_token(html):
        """The page's CSRF token: in its forms, else in the script every portal page has."""
        match = re.search(r'name="csrf_token" value="([^"]+)"', html) or re.search(r'csrf_token: "([^"]+)"', html)
        return match.group(1)

    def _choosing_case(self, tracking_ref, **kwargs):
        case = self._lost_case(tracking_ref, partner=self.customer_us, **kwargs)
        case.customer_choice_offered = True
        return case

    def _choose(self, case, choice):
        page = self.url_open(case.get_portal_url())
        return self.url_open(
            f"/my/lost_parcels/{case.id}/choose",
            data={"choice": choice, "access_token": case.access_token, "csrf_token": self._csrf_token(page.text)},
        )


@tagged("post_install", "-at_install")
class TestPortalCasePage(PortalCaseCommon):
    def test_customer_sees_the_case_on_the_order_and_on_its_page(self):
        case = self._reshipped_case("JD0STALLED8401", "JD0INTRANSIT8401")
        order = case.sale_id
        order._portal_ensure_token()

        order_page = self.url_open(f"/my/orders/{order.id}?access_token={order.access_token}")
        self.assertEqual(order_page.status_code, 200)
        self.assertIn("Delivery problems", order_page.text)
        self.assertIn("A replacement is on its way", order_page.text)
        self.assertIn(f"/my/lost_parcels/{case.id}?access_token={case.access_token}", order_page.text)

        page = self.url_open(case.get_portal_url())
        self.assertEqual(page.status_code, 200)
        self.assertIn("A replacement is on its way", page.text)
        self.assertIn("JD0INTRANSIT8401", page.text)
        self.assertIn(f"https://track.example.com/{self.postnl.id}?number=JD0INTRANSIT8401", page.text)
        self.assertIn("Ceramic Teapot", page.text)
        self.assertIn('data-res_model="lost.parcel.case"', page.text, "the messages of the case")
        self.assertIn(f'data-token="{case.access_token}"', page.text)

        chinese = self.url_open(f"/zh_CN{case.get_portal_url()}")
        self.assertIn("补发包裹正在寄送途中", chinese.text, "the page in the customer's language")
        self.assertIn("新跟踪号：", chinese.text)  # noqa: RUF001 (a Chinese colon)

    def test_other_customers_and_the_public_get_403_and_a_missing_case_404(self):
        case = self._lost_case("JD0STALLED8402", partner=self.customer_us)
        case._portal_ensure_token()
        url = f"/my/lost_parcels/{case.id}"

        self.assertEqual(self.url_open(url).status_code, 403, "the public without the token")
        self.assertEqual(self.url_open(f"{url}?access_token=forged").status_code, 403)
        other = new_test_user(self.env, "lp_other_customer", groups="base.group_portal", name="Other Customer")
        self.authenticate(other.login, other.login)
        self.assertEqual(self.url_open(url).status_code, 403, "another customer")
        self.assertEqual(self.url_open(f"{url}?access_token={case.access_token}").status_code, 200)
        self.assertEqual(self.url_open("/my/lost_parcels/999999").status_code, 404)

    def test_customer_reply_on_the_portal_lands_on_the_case_and_reaches_the_responsible(self):
        case = self._lost_case("JD0STALLED8403", partner=self.customer_us)
        case._portal_ensure_token()

        self.make_jsonrpc_request(
            "/mail/message/post",
            {
                "thread_model": "lost.parcel.case",
                "thread_id": case.id,
                "post_data": {
                    "body": "The neighbours have not seen it either.",
                    "message_type": "comment",
                    "subtype_xmlid": "mail.mt_comment",
                },
                "token": case.access_token,
            },
        )

        reply = case.message_ids.filtered(lambda m: "neighbours have not seen it" in (m.body or ""))
        self.assertEqual(reply.author_id, self.customer_us)
        self.assertIn(self.responsible.partner_id, reply.notification_ids.res_partner_id)


@tagged("post_install", "-at_install")
class TestPortalChoice(PortalCaseCommon):
    def test_ship_it_again_reships_through_the_back_office_path_once(self):
        case = self._choosing_case("JD0STALLED8501")
        page = self.url_open(case.get_portal_url())
        self.assertIn("Ship it again", page.text)
        self.assertIn("Refund me", page.text)

        response = self._choose(case, "reship")
        self.assertEqual(response.status_code, 200)
        self.assertIn("we ship your order again", response.text)
        self.assertEqual(case.state, "reshipped")
        self.assertEqual(case.customer_choice, "reship")
        reship = case.reship_picking_id
        self.assertEqual(reship.state, "assigned", "reserved from stock, as the Reship button does")
        self.assertEqual(reship.carrier_id, self.postnl)
        chosen = case.message_ids.filtered(lambda m: "Chosen by the customer" in (m.body or ""))
        self.assertEqual(chosen.author_id, self.customer_us)

        again = self._choose(case, "reship")
        self.assertIn("Your choice was already recorded", again.text)
        self.assertEqual(case.reship_picking_ids, reship, "a double click reships once")
        self._choose(case, "refund")
        self.assertEqual(case.state, "reshipped", "the first choice stands")

    def test_refund_me_refunds_once_and_tells_the_customer(self):
        case = self._choosing_case("JD0STALLED8502", lines=[(self.product, 2)])
        invoice = case.sale_id._create_invoices()
        invoice.action_post()

        response = self._choose(case, "refund")
        self.assertIn("we have refunded you", response.text)
        self.assertEqual(case.state, "refunded")
        self.assertEqual(case.customer_choice, "refund")
        self.assertEqual(case.refund_move_ids.reversed_entry_id, invoice, "the same credit note as the Refund wizard")
        self.assertEqual(case.refund_amount, 80.0)
        self.assertIn("refund on the portal", case.refund_reason)
        notice = self._customer_messages(case).filtered(lambda m: "We have refunded you" in m.body)
        self.assertEqual(len(notice), 1, "the refund notice goes out as the policy says")

        self._choose(case, "refund")
        self.assertEqual(len(case.refund_move_ids), 1, "a double click refunds once")
        self.assertEqual(case.refund_amount, 80.0)

    def test_no_choice_when_the_seller_does_not_offer_it(self):
        case = self._lost_case("JD0STALLED8503", partner=self.customer_us)
        page = self.url_open(case.get_portal_url())
        self.assertNotIn("Refund me", page.text)

        response = self._choose(case, "refund")
        self.assertIn("This choice is no longer possible", response.text)
        self.assertEqual(case.state, "confirmed")
        self.assertFalse(case.customer_choice)


@tagged("post_install", "-at_install")
class TestPortalSatisfaction(PortalCaseCommon):
    def test_delivered_reship_asks_for_a_rating_that_shows_on_the_case(self):
        case = self._reshipped_case("JD0STALLED8601", "JD0DELIVERED8601")

        case.reship_picking_id._update_tracking()

        self.assertEqual(case.reship_picking_id.tracking_status, "delivered")
        rating = case.rating_ids
        self.assertEqual(len(rating), 1)
        self.assertEqual(rating.partner_id, self.customer_us)
        self.assertEqual(rating.rated_partner_id, self.responsible.partner_id)
        request = case.message_ids.filtered(lambda m: f"/rate/{rating.access_token}/5" in (m.body or ""))
        self.assertEqual(request.partner_ids, self.customer_us)
        self.assertIn("has been delivered", request.body)

        page = self.url_open(f"/rate/{rating.access_token}/5")
        self.assertEqual(page.status_code, 200)
        self.url_open(
            f"/rate/{rating.access_token}/submit_feedback",
            data={"rate": 5, "feedback": "Quick replacement, thank you", "csrf_token": self._csrf_token(page.text)},
        )

        self.assertEqual(case.rating_last_value, 5.0)
        self.assertEqual(case.rating_last_feedback, "Quick replacement, thank you")
        self.assertTrue(case.message_ids.filtered(lambda m: m.rating_id == rating))
        [(average,)] = self.Case._read_group([("id", "=", case.id)], [], ["rating_last_value:avg"])
        self.assertEqual(average, 5.0, "the pivot's rating measure")

        # A second poll of a delivered parcel asks nothing more.
        case.reship_picking_id._hook_tracking_status_changed()
        self.assertEqual(len(case.rating_ids), 1)
