from odoo import api, fields, models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    lost_parcel_case_ids = fields.One2many("lost.parcel.case", "picking_id", string="Lost Parcel Cases")
    lost_parcel_case_count = fields.Integer(compute="_compute_lost_parcel_case_count")
    lost_parcel_case_id = fields.Many2one(
        "lost.parcel.case",
        "Reship of Case",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="This delivery replaces a parcel that was lost.",
    )

    @api.depends("lost_parcel_case_ids")
    def _compute_lost_parcel_case_count(self):
        counts = dict(
            self.env["lost.parcel.case"]._read_group([("picking_id", "in", self.ids)], ["picking_id"], ["__count"])
        )
        for picking in self:
            picking.lost_parcel_case_count = counts.get(picking, 0)

    def _action_done(self):
        res = super()._action_done()
        reships = self.filtered(
            lambda p: p.lost_parcel_case_id and p.state == "done" and p.location_dest_id.usage == "customer"
        )
        reships.lost_parcel_case_id._notify_customer_reshipped()
        return res

    def _reship_availability(self):
        self.ensure_one()
        if self.state == "assigned":
            return self.env._("reserved from stock")
        missing = self.move_ids.filtered(lambda m: m.state not in ("assigned", "done", "cancel"))
        return self.env._("waiting for %s", ", ".join(missing.product_id.mapped("display_name")))

    def action_view_lost_parcel_cases(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("lost_parcel_reship.action_lost_parcel_case")
        action["domain"] = [("picking_id", "=", self.id)]
        action["context"] = {"default_picking_id": self.id}
        return action
