from odoo import models


class StockRule(models.Model):
    _inherit = "stock.rule"

    def _get_custom_move_fields(self):
        return [*super()._get_custom_move_fields(), "lost_parcel_case_id"]

    def _get_stock_move_values(
        self, product_id, product_qty, product_uom, location_dest_id, name, origin, company_id, values
    ):
        move_values = super()._get_stock_move_values(
            product_id, product_qty, product_uom, location_dest_id, name, origin, company_id, values
        )
        if values.get("lost_parcel_case_id"):
            # sale_mrp counts the moves of a kit's order line that carry a BoM line as deliveries
            # of the kit: a reshipped component replaces one and must not count twice.
            move_values.pop("bom_line_id", None)
        return move_values

    def _push_prepare_move_copy_values(self, move_to_copy, new_date):
        # Multi-step delivery: pack and ship moves are pushed from the pick move; they belong to
        # the same reship (own transfers, the reship carrier).
        values = super()._push_prepare_move_copy_values(move_to_copy, new_date)
        if move_to_copy.lost_parcel_case_id:
            values["lost_parcel_case_id"] = move_to_copy.lost_parcel_case_id.id
        return values
