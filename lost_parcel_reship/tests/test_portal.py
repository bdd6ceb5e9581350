from odoo.tests import HttpCase, tagged

from .common import LostParcelCommon


@tagged("post_install", "-at_install")
class TestPortalNotReceived(LostParcelCommon, HttpCase):
    def test_customer_button_posts_an_inquiry_on_the_order(self):
        order, _picking = self._shipped_and_polled("JD0INTRANSIT2101")
        order._portal_ensure_token()
        page = self.url_open(f"/my/orders/{order.id}?access_token={order.access_token}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("I have not received my parcel", page.text)

        response = self.url_open(
            f"/my/orders/{order.id}/parcel_not_received",
            data={"access_token": order.access_token, "csrf_token": self._csrf_token(page.text)},
        )
        self.assertEqual(response.status_code, 200)
        message = order.message_ids.filtered(lambda m: "have not received my parcel" in (m.body or ""))
        self.assertEqual(message.author_id, self.customer_nl)

    def test_wrong_token_posts_nothing(self):
        order, _picking = self._shipped_and_polled("JD0INTRANSIT2102")
        order._portal_ensure_token()
        page = self.url_open(f"/my/orders/{order.id}?access_token={order.access_token}")
        self.url_open(
            f"/my/orders/{order.id}/parcel_not_received",
            data={"access_token": "forged", "csrf_token": self._csrf_token(page.text)},
        )
        self.assertFalse(order.message_ids.filtered(lambda m: "have not received" in (m.body or "")))

    @staticmethod
    def _csrf_token(html):
        marker = 'name="csrf_token" value="'
        start = html.index(marker) + len(marker)
        return html[start : html.index('"', start)]
