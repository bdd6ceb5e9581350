"""Base for reship tests: confirmed lost parcels, a few more carriers, multi-step helpers."""

from odoo import Command

from .common import LostParcelCommon


class ReshipCommon(LostParcelCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Rule = cls.env["lost.parcel.carrier.rule"]
        cls.warehouse = cls.stock_location.warehouse_id
        # Only our carriers compete: no shipping method from other modules' data.
        cls.env["delivery.carrier"].search([("id", "!=", cls.carrier.id)]).active = False
        cls.carrier.write({"transit_days": 4, "sequence": 1})
        # Other carriers, tracked through aggregators: not DHL, whatever DHL loses.
        cls.postnl = cls._create_carrier(
            "PostNL (test)", cls._create_account("seventeen_track", "17TRACK test", api_key="sandbox-key")
        )
        cls.postnl.write({"fixed_price": 6.0, "transit_days": 3, "sequence": 5})
        cls.ups = cls._create_carrier(
            "UPS Express (test)", cls._create_account("aftership", "AfterShip test", api_key="sandbox-key")
        )
        cls.ups.write({"fixed_price": 12.0, "transit_days": 1, "sequence": 6})

    def _lost_case(self, tracking_ref, **ship_kwargs):
        """A parcel shipped through the sale flow, flagged as stalled and confirmed lost."""
        _order, picking = self._shipped_and_polled(tracking_ref, **ship_kwargs)
        case = self._detect().filtered(lambda c: c.picking_id == picking)
        self.assertEqual(len(case), 1, "a stalled parcel opens a case")
        return self._confirm(case)

    def _reship_moves_summary(self, picking):
        return sorted((m.product_id.display_name, m.product_uom_qty) for m in picking.move_ids)

    @classmethod
    def _create_kit(cls, name="Tea Set (kit)"):
        kit = cls.env["product.product"].create({"name": name, "is_storable": True, "list_price": 60.0})
        cls.env["mrp.bom"].create(
            {
                "product_tmpl_id": kit.product_tmpl_id.id,
                "type": "phantom",
                "bom_line_ids": [
                    Command.create({"product_id": cls.product.id, "product_qty": 1}),
                    Command.create({"product_id": cls.product_b.id, "product_qty": 2}),
                ],
            }
        )
        return kit

    def _process_chain(self, picking, tracking_ref=None):
        """Validate each step of a multi-step delivery; return the step that reached the customer."""
        while picking:
            self._validate(picking, tracking_ref if picking.location_dest_id.usage == "customer" else None)
            if picking.location_dest_id.usage == "customer":
                return picking
            picking = picking.move_ids.move_dest_ids.picking_id
        return picking
