"""Each role's tour in the browser, in English and in Simplified Chinese."""

from odoo.tests import HttpCase, new_test_user, tagged

from .common import LostParcelCommon

TRANSLATED_MODULES = ["web", "stock", "carrier_connectors", "lost_parcel_reship"]


@tagged("post_install", "-at_install")
class TestRoleTours(LostParcelCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("zh_CN")
        cls.env["ir.module.module"]._load_module_terms(TRANSLATED_MODULES, ["zh_CN"], overwrite=True)
        # As Odoo's own test runner does before browser tests: build the asset bundles now, not
        # in the first page the browser loads (it would wait for them past its timeout).
        cls.env["ir.qweb"]._pregenerate_assets_bundles()

    def _start_tour(self, tour, user):
        # The first page in a new language renders its templates and translations: load it
        # once before the browser does, so that the tour's own page load stays quick.
        self.authenticate(user.login, user.login)
        self.assertEqual(self.url_open("/odoo", timeout=120).status_code, 200)
        self.start_tour("/odoo", tour, login=user.login)

    def _warehouse_user(self, lang):
        return new_test_user(
            self.env,
            f"warehouse_{lang}",
            groups="stock.group_stock_user,lost_parcel_reship.group_lost_parcel_user",
            lang=lang,
        )

    def _manager_user(self, lang):
        # Settings are for system administrators: the manager who opens them is one.
        return new_test_user(
            self.env,
            f"lp_manager_{lang}",
            groups="stock.group_stock_user,lost_parcel_reship.group_lost_parcel_manager,base.group_system",
            lang=lang,
        )

    def _case_to_review(self, tracking_ref):
        _order, picking = self._shipped_and_polled(tracking_ref)
        case = self.Case._cron_detect_lost_parcels().filtered(lambda c: c.picking_id == picking)
        self.assertEqual(case.state, "to_review")
        return case

    def _run_warehouse_tour(self, lang):
        case = self._case_to_review("JD0STALLEDWH")
        user = self._warehouse_user(lang)

        self._start_tour(f"lost_parcel_warehouse_tour_{lang}", user)

        self.assertEqual(case.state, "reshipped")
        self.assertEqual(case.carrier_confirmation_ref, "DHL-WH-TOUR-7")
        self.assertEqual(case.confirmed_by_id, user)
        reship = case.reship_picking_id
        self.assertEqual(reship.state, "done")
        self.assertEqual(reship.carrier_tracking_ref, "JD0WHRESHIP")
        self.assertEqual(reship.move_ids.product_id, self.product)
        mail = case.message_ids.filtered(lambda m: "JD0WHRESHIP" in (m.body or ""))
        self.assertEqual(mail.partner_ids, self.customer_nl, "the customer got the new tracking number")

    def _run_manager_tour(self, lang):
        open_case = self._case_to_review("JD0STALLEDMGR")
        # A closed case as well: its column is folded.
        self._confirm(self._case_to_review("JD0STALLEDMGR2")).action_reship()
        user = self._manager_user(lang)

        self._start_tour(f"lost_parcel_manager_tour_{lang}", user)

        self.assertEqual(open_case.state, "to_review", "looking changes nothing")

    def test_warehouse_tour_english(self):
        self._run_warehouse_tour("en_US")

    def test_warehouse_tour_chinese(self):
        self._run_warehouse_tour("zh_CN")

    def test_manager_tour_english(self):
        self._run_manager_tour("en_US")

    def test_manager_tour_chinese(self):
        self._run_manager_tour("zh_CN")
