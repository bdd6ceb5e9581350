from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import LostParcelCommon


@tagged("post_install", "-at_install")
class TestAccess(LostParcelCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = new_test_user(cls.env, "lp_user", groups="lost_parcel_reship.group_lost_parcel_user")
        cls.manager = new_test_user(cls.env, "lp_manager", groups="lost_parcel_reship.group_lost_parcel_manager")
        cls.outsider = new_test_user(cls.env, "lp_outsider", groups="base.group_user")
        _o, picking = cls._shipped_and_polled("JD0STALLED2001")
        cls.case = cls.env["lost.parcel.rule"]._detect_lost_parcels().filtered(lambda c: c.picking_id == picking)

    def test_warehouse_user_reviews_and_confirms(self):
        case = self.case.with_user(self.user)
        self.assertEqual(case.state, "detected")
        case._reverify()
        self._confirm(case)
        self.assertEqual(self.case.state, "confirmed")
        case.action_reship()
        self.assertEqual(self.case.state, "reshipped")

    def test_only_managers_configure_rules(self):
        with self.assertRaises(AccessError):
            self.env["lost.parcel.rule"].with_user(self.user).create({"name": "mine"})
        with self.assertRaises(AccessError):
            self.rule_international.with_user(self.user).stalled_days = 3
        rule = self.env["lost.parcel.rule"].with_user(self.manager).create({"name": "Express", "stalled_days": 3})
        self.assertEqual(rule.company_id, self.manager.company_id)

    def test_others_see_nothing(self):
        with self.assertRaises(AccessError):
            self.env["lost.parcel.case"].with_user(self.outsider).search([])
        with self.assertRaises(AccessError):
            self.env["lost.parcel.rule"].with_user(self.outsider).search([])

    def test_cases_stay_in_their_company(self):
        other = self.env["res.company"].create({"name": "Other Shop"})
        foreign_user = new_test_user(
            self.env,
            "lp_other",
            groups="lost_parcel_reship.group_lost_parcel_manager",
            company_id=other.id,
            company_ids=[other.id],
        )
        self.assertFalse(self.env["lost.parcel.case"].with_user(foreign_user).search([]))
        self.assertFalse(self.env["lost.parcel.rule"].with_user(foreign_user).search([]))
        self.assertIn(self.case, self.env["lost.parcel.case"].with_user(self.user).search([]))
