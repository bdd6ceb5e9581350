"""Detection never crosses companies: a company's rules flag only its own parcels, and its
reviewer (chosen in its own settings) owns only its own cases, whichever path runs detection."""

from odoo import Command
from odoo.tests import Form, new_test_user, tagged

from .common import LostParcelCommon


@tagged("post_install", "-at_install")
class TestDetectionCompanies(LostParcelCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.company
        cls.company_b = cls.env["res.company"].create(
            {"name": "Parcel Shop B", "country_id": cls.env.ref("base.de").id}
        )
        cls.env.user.company_ids |= cls.company_b
        cls.rules_a = cls.rule_domestic | cls.rule_international
        # Company B flags everything as early as it can, on every shipping method, ours included.
        cls.rule_b = cls.env["lost.parcel.rule"].create(
            {
                "name": "B: everything",
                "company_id": cls.company_b.id,
                "min_age_days": 0,
                "stalled_days": 1,
                "no_record_days": 1,
                "eta_overdue_days": 1,
                "carrier_ids": [Command.link(cls.carrier.id)],
            }
        )
        cls.account_b = cls.env["carrier.tracking.account"].create(
            {
                "name": "DHL of B",
                "provider": "dhl",
                "company_id": cls.company_b.id,
                "base_url": cls.sandbox.url,
                "api_key": "sandbox-key",
                "rate_limit": 500,
            }
        )
        cls.carrier_b = cls._create_carrier("DHL Express (B)", cls.account_b)
        cls.carrier_b.company_id = cls.company_b
        cls.rule_b.carrier_ids |= cls.carrier_b
        manager = "lost_parcel_reship.group_lost_parcel_manager"
        cls.reviewer_a = new_test_user(
            cls.env, "reviewer_a", groups=manager, company_id=cls.company_a.id, company_ids=cls.company_a.ids
        )
        cls.reviewer_b = new_test_user(
            cls.env, "reviewer_b", groups=manager, company_id=cls.company_b.id, company_ids=cls.company_b.ids
        )
        # Each company chooses its reviewer in its own settings.
        for company, reviewer in ((cls.company_a, cls.reviewer_a), (cls.company_b, cls.reviewer_b)):
            settings = Form(cls.env["res.config.settings"].with_company(company))
            settings.lost_parcel_reviewer_id = reviewer
            settings.save().execute()

    def _ship_from_b(self, tracking_ref, shipped_days_ago=40):
        """A parcel of company B, from B's warehouse, polled."""
        env_b = self.env(context=dict(self.env.context, allowed_company_ids=self.company_b.ids))
        warehouse = env_b["stock.warehouse"].search([("company_id", "=", self.company_b.id)], limit=1)
        source, destination = warehouse.lot_stock_id, self.customer_nl.property_stock_customer
        env_b["stock.quant"]._update_available_quantity(self.product, source, 1)
        picking = env_b["stock.picking"].create(
            {
                "picking_type_id": warehouse.out_type_id.id,
                "partner_id": self.customer_nl.id,
                "carrier_id": self.carrier_b.id,
                "carrier_tracking_ref": tracking_ref,
                "location_id": source.id,
                "location_dest_id": destination.id,
                "move_ids": [
                    Command.create(
                        {
                            "name": self.product.display_name,
                            "product_id": self.product.id,
                            "product_uom_qty": 1,
                            "product_uom": self.product.uom_id.id,
                            "location_id": source.id,
                            "location_dest_id": destination.id,
                        }
                    )
                ],
            }
        )
        self._validate(picking)
        picking.date_done = self._days_ago(shipped_days_ago)
        picking._update_tracking()
        self.assertEqual(picking.company_id, self.company_b)
        return picking.with_env(self.env)

    def _assert_own_company(self, picking_a, picking_b):
        case_a, case_b = picking_a.lost_parcel_case_ids, picking_b.lost_parcel_case_ids
        self.assertEqual(len(case_a), 1)
        self.assertEqual(len(case_b), 1)
        self.assertEqual(case_a.company_id, self.company_a)
        self.assertLessEqual(case_a.reason_ids.rule_id, self.rules_a, "only A's rules flag A's parcel")
        self.assertEqual(case_a.user_id, self.reviewer_a, "A's case goes to A's reviewer")
        self.assertEqual(case_a.activity_ids.user_id, self.reviewer_a)
        self.assertEqual(case_b.company_id, self.company_b)
        self.assertEqual(case_b.reason_ids.rule_id, self.rule_b)
        self.assertEqual(case_b.user_id, self.reviewer_b)
        self.assertEqual(case_b.activity_ids.user_id, self.reviewer_b)

    def test_the_full_run_keeps_each_company_to_its_own_parcels(self):
        _order, picking_a = self._shipped_and_polled("JD0STALLED8101")
        picking_b = self._ship_from_b("JD0STALLED8102")
        self._detect()
        self._assert_own_company(picking_a, picking_b)

    def test_carrier_news_keeps_each_company_to_its_own_parcels(self):
        _order, picking_a = self._shipped_and_polled("JD0LOST8103", shipped_days_ago=10)
        picking_b = self._ship_from_b("JD0LOST8104", shipped_days_ago=10)
        self.assertTrue(picking_a.lost_parcel_detect_requested and picking_b.lost_parcel_detect_requested)
        self.env["lost.parcel.case"]._cron_detect_changed_parcels()
        self._assert_own_company(picking_a, picking_b)

    def test_a_reviewer_chosen_before_it_was_per_company_stays_in_their_company(self):
        # The one reviewer of every company, as the setting used to be: kept for B, not given A's cases.
        self.company_a.lost_parcel_reviewer_id = self.company_b.lost_parcel_reviewer_id = False
        self.env["ir.config_parameter"].set_param("lost_parcel_reship.reviewer_id", self.reviewer_b.id)
        _order, picking_a = self._shipped_and_polled("JD0STALLED8105")
        picking_b = self._ship_from_b("JD0STALLED8106")
        self._detect()
        self.assertEqual(picking_b.lost_parcel_case_ids.user_id, self.reviewer_b)
        owner_a = picking_a.lost_parcel_case_ids.user_id
        self.assertTrue(owner_a, "A's case has an owner")
        self.assertNotEqual(owner_a, self.reviewer_b)
        self.assertIn(self.company_a, owner_a.company_ids)
