from odoo.tests import HttpCase, tagged

from .common import LostParcelCommon


@tagged("post_install", "-at_install")
class TestReviewTour(LostParcelCommon, HttpCase):
    def test_review_confirm_and_reship_in_the_browser(self):
        _order, picking = self._shipped_and_polled("JD0STALLEDTOUR")
        case = self.env["lost.parcel.case"]._cron_detect_lost_parcels().filtered(lambda c: c.picking_id == picking)
        self.assertEqual(case.state, "to_review")

        self.start_tour(
            "/odoo/action-lost_parcel_reship.action_lost_parcel_case", "lost_parcel_review_tour", login="admin"
        )

        self.assertEqual(case.state, "reshipped")
        self.assertEqual(case.carrier_confirmation_ref, "DHL-TOUR-42")
        self.assertEqual(case.reship_picking_id.state, "assigned")
