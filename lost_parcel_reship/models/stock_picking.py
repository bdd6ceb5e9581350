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

    def _hook_tracking_status_changed(self):
        """A new carrier exception on a parcel under review is news for its reviewer."""
        res = super()._hook_tracking_status_changed()
        alarming = self.filtered(lambda p: p.tracking_status in ("exception", "returning", "returned"))
        cases = alarming.lost_parcel_case_ids.filtered(lambda c: c.state in ("detected", "to_review", "confirmed"))
        labels = dict(self._fields["tracking_status"]._description_selection(self.env))
        for case in cases:
            picking = case.picking_id
            text = self.env._(
                "The carrier now reports %(status)s (%(code)s) for %(ref)s.",
                status=labels[picking.tracking_status],
                code=picking.tracking_raw_status or "-",
                ref=picking.carrier_tracking_ref,
            )
            case.message_post(body=text, subtype_xmlid="mail.mt_note")
            if case.user_id:
                case.activity_schedule(
                    "mail.mail_activity_data_todo",
                    summary=self.env._("New carrier exception"),
                    note=text,
                    user_id=case.user_id.id,
                )
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
