from werkzeug.exceptions import Forbidden, NotFound

from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError
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

    def _lost_parcel_case_check_access(self, case_id, access_token):
        """The case, sudo-ed, for its customer (the access token of its mails and order page):
        404 for a case that does not exist, 403 for anyone else."""
        try:
            return self._document_check_access("lost.parcel.case", case_id, access_token=access_token)
        except MissingError:
            raise NotFound() from None
        except AccessError:
            raise Forbidden() from None

    @http.route("/my/lost_parcels/<int:case_id>", type="http", auth="public", website=True)
    def portal_lost_parcel_case(self, case_id, access_token=None, message=None, **kwargs):
        """The customer's case page: where the parcel is, what we do, the messages, the choice."""
        case_sudo = self._lost_parcel_case_check_access(case_id, access_token)
        values = {
            "case": case_sudo,
            "lost_parcel_order": case_sudo.sale_id,
            "page_name": "lost_parcel_case",
            "message": message,
        }
        values = self._get_page_view_values(
            case_sudo, case_sudo.access_token, values, "my_lost_parcels_history", False, **kwargs
        )
        return request.render("lost_parcel_reship.portal_lost_parcel_case", values)

    @http.route("/my/lost_parcels/<int:case_id>/choose", type="http", auth="public", methods=["POST"], website=True)
    def portal_lost_parcel_choose(self, case_id, choice=None, access_token=None, **kwargs):
        """The customer's one-button choice: ship it again or refund; a second click does nothing."""
        case_sudo = self._lost_parcel_case_check_access(case_id, access_token)
        case_sudo = case_sudo.with_company(case_sudo.company_id)
        try:
            with request.env.cr.savepoint():
                applied = case_sudo._apply_customer_choice(choice)
        except UserError:
            message = "choice_unavailable"
        else:
            message = f"choice_{choice}" if applied else "choice_already"
        return request.redirect(case_sudo.get_portal_url(query_string=f"&message={message}"))
