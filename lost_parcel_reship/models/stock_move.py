from odoo import fields, models


class StockMove(models.Model):
    _inherit = "stock.move"

    lost_parcel_case_id = fields.Many2one("lost.parcel.case", "Reship of Case", index="btree_not_null", copy=False)

    def _prepare_procurement_values(self):
        # Multi-step routes: the pick and pack moves of a reship belong to the case too.
        values = super()._prepare_procurement_values()
        if self.lost_parcel_case_id:
            values["lost_parcel_case_id"] = self.lost_parcel_case_id.id
        return values

    def _search_picking_for_assignation_domain(self):
        # A reship gets its own delivery: never merged into another open delivery of the order.
        domain = super()._search_picking_for_assignation_domain()
        return [*domain, ("lost_parcel_case_id", "=", self.lost_parcel_case_id.id)]

    def _get_new_picking_values(self):
        values = super()._get_new_picking_values()
        if self.lost_parcel_case_id:
            values["lost_parcel_case_id"] = self.lost_parcel_case_id.id
        return values

    def _prepare_move_split_vals(self, qty):
        # A backorder of a reship is still the reship of the same case.
        vals = super()._prepare_move_split_vals(qty)
        if self.lost_parcel_case_id:
            vals["lost_parcel_case_id"] = self.lost_parcel_case_id.id
        return vals

    def _action_assign(self, force_qty=False):
        res = super()._action_assign(force_qty=force_qty)
        # Stock arrived for a reship that waited: the purchaser's activity is done.
        self.lost_parcel_case_id.filtered(lambda c: c.state == "reshipped")._close_reship_shortage()
        return res
