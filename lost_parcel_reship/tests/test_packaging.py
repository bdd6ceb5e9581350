from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import LostParcelCommon


@tagged("post_install", "-at_install")
class TestPackaging(LostParcelCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fragile = cls.env["product.category"].create({"name": "Fragile"})
        cls.product.categ_id = cls.env["product.category"].create({"name": "Ceramics", "parent_id": cls.fragile.id})
        cls.box = cls.env["stock.package.type"].create({"name": "Double-wall box 40x30x30"})
        cls.PackagingRule = cls.env["lost.parcel.packaging.rule"]
        cls.ceramics_abroad = cls.PackagingRule.create(
            {
                "name": "Ceramics abroad",
                "sequence": 10,
                "category_ids": [Command.set(cls.fragile.ids)],
                "scope": "international",
                "advice": "Double box with 5 cm of padding on every side.",
                "package_type_id": cls.box.id,
            }
        )
        cls.to_nl = cls.PackagingRule.create(
            {
                "name": "Netherlands",
                "sequence": 20,
                "country_ids": [Command.set(cls.env.ref("base.nl").ids)],
                "advice": "Seal with paper tape.",
            }
        )

    def _delivery(self, partner, product):
        order = self.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "carrier_id": self.carrier.id,
                "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 1})],
            }
        )
        order.action_confirm()
        return order.picking_ids.filtered(lambda p: p.picking_type_code == "outgoing")

    def test_packer_reads_the_advice_for_matching_deliveries_only(self):
        fragile_abroad = self._delivery(self.customer_nl, self.product)
        self.assertEqual(
            fragile_abroad.lost_parcel_packaging_advice,
            "Ceramics abroad: Double box with 5 cm of padding on every side.\nNetherlands: Seal with paper tape.",
        )
        self.assertEqual(fragile_abroad.lost_parcel_package_type_id, self.box)

        cups_abroad = self._delivery(self.customer_nl, self.product_b)
        self.assertEqual(cups_abroad.lost_parcel_packaging_advice, "Netherlands: Seal with paper tape.")
        self.assertFalse(cups_abroad.lost_parcel_package_type_id)

        fragile_home = self._delivery(self.customer_us, self.product)
        self.assertFalse(fragile_home.lost_parcel_packaging_advice)
        self.assertFalse(fragile_home.lost_parcel_package_type_id)

        packer = new_test_user(self.env, "packer", groups="stock.group_stock_user")
        as_packer = fragile_abroad.with_user(packer)
        self.assertIn("Double box", as_packer.lost_parcel_packaging_advice)
        self.assertEqual(as_packer.lost_parcel_package_type_id, self.box)
        arch = as_packer.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="lost_parcel_packaging_advice"', arch)
        with self.assertRaises(AccessError):
            self.PackagingRule.with_user(packer).create({"name": "Mine", "advice": "Bubble wrap"})

    def test_archived_rules_and_other_companies_rules_stay_silent(self):
        other = self.env["res.company"].create({"name": "Other Shop"})
        self.PackagingRule.create({"name": "Other shop's rule", "company_id": other.id, "advice": "Foam."})
        self.to_nl.active = False
        delivery = self._delivery(self.customer_nl, self.product_b)
        self.assertFalse(delivery.lost_parcel_packaging_advice)
