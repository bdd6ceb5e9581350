from odoo import http
from odoo.exceptions import AccessError, MissingError
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal


class LostParcelPortal(CustomerPortal):
    @http.route("/my/orders/<int:order_id>/parcel_not_received", type="http", auth="public", methods=["POST"])
    def portal_parcel_not_received(self, order_id, access_token=None, message=None, **kwargs):
        """The customer's "I have not received my parcel" button on the order page."""
        try:
            order_sudo = self._document_check_access("sale.order", order_id, access_token=access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        order_sudo._report_parcel_not_received(message)
        return request.redirect(order_sudo.get_portal_url(query_string="&message=parcel_not_received"))
