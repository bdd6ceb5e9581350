from odoo import api, fields, models

CASE_GROUP = "lost_parcel_reship.group_lost_parcel_user"


class StockPicking(models.Model):
    _inherit = "stock.picking"

    # Cases are for the Lost Parcels groups: warehouse users outside them still open their deliveries.
    lost_parcel_case_ids = fields.One2many(
        "lost.parcel.case", "picking_id", string="Lost Parcel Cases", groups=CASE_GROUP
    )
    lost_parcel_case_count = fields.Integer(compute="_compute_lost_parcel_case_count", groups=CASE_GROUP)
    lost_parcel_case_id = fields.Many2one(
        "lost.parcel.case",
        "Reship of Case",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="This delivery replaces a parcel that was lost.",
    )
    lost_parcel_sales_channel = fields.Selection(
        related="lost_parcel_case_id.sales_channel", string="Sales Channel", groups=CASE_GROUP
    )
    lost_parcel_marketplace_ref = fields.Char(
        related="lost_parcel_case_id.marketplace_order_ref", string="Marketplace Order Ref.", groups=CASE_GROUP
    )

    # Shown on deliveries not yet shipped to a destination where parcels get lost.
    lost_parcel_risk_warning = fields.Text("Lost Parcel Risk", compute="_compute_lost_parcel_risk_warning")

    @api.depends(
        "state",
        "picking_type_code",
        "company_id",
        "partner_id.country_id",
        "partner_id.state_id",
        "partner_id.zip",
        "carrier_id",
    )
    @api.depends_context("lang")
    def _compute_lost_parcel_risk_warning(self):
        Region = self.env["lost.parcel.risk.region"]
        for picking in self:
            pending = picking.picking_type_code == "outgoing" and picking.state not in ("done", "cancel")
            picking.lost_parcel_risk_warning = pending and Region._warning_for(
                picking.company_id, picking.partner_id, picking.carrier_id
            )

    @api.depends("lost_parcel_case_ids")
    def _compute_lost_parcel_case_count(self):
        counts = dict(
            self.env["lost.parcel.case"]._read_group([("picking_id", "in", self.ids)], ["picking_id"], ["__count"])
        )
        for picking in self:
            picking.lost_parcel_case_count = counts.get(picking, 0)

    # ------------------------------------------------------------------ CRUD
    @api.model_create_multi
    def create(self, vals_list):
        Case = self.env["lost.parcel.case"]
        for vals in vals_list:
            case_id = vals.get("lost_parcel_case_id")
            if not case_id and vals.get("backorder_id"):
                case_id = self.browse(vals["backorder_id"]).lost_parcel_case_id.id
            if case_id:
                vals.update(Case.browse(case_id)._prepare_reship_picking_vals(vals))
        pickings = super().create(vals_list)
        pickings.filtered("lost_parcel_case_id")._follow_reship_to_customer()
        return pickings

    # ------------------------------------------------------------------ actions
    def action_view_lost_parcel_cases(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("lost_parcel_reship.action_lost_parcel_case")
        action["domain"] = [("picking_id", "=", self.id)]
        action["context"] = {"default_picking_id": self.id}
        return action

    def action_reship_lost_parcel(self):
        """Server action on the delivery list: reship the confirmed lost-parcel cases of the
        selected deliveries."""
        cases = self.lost_parcel_case_ids.filtered("can_be_reshipped")
        skipped = self.filtered(lambda p: not p.lost_parcel_case_ids & cases)
        errors = self.env["lost.parcel.reship"]._reship_many(cases)
        for picking in skipped:
            errors[picking] = self.env._("%s: no case confirmed lost", picking.name)
        return cases._reship_notification(errors)

    def button_validate(self):
        """A reship the policy leaves to a person opens the customer's mail, prefilled: one
        composer for every reship validated at once."""
        res = super().button_validate()
        if res is True and self.env.user.has_group(CASE_GROUP):
            cases = self.filtered(lambda p: p.state == "done").lost_parcel_case_id.filtered(
                lambda c: c.customer_notice_step == "reshipped"
            )
            if cases:
                return self.env["lost.parcel.communication"]._composer_action(cases, "reshipped")
        return res

    def action_cancel(self):
        res = super().action_cancel()
        self.lost_parcel_case_id._reopen_cancelled_reship()
        return res

    # ------------------------------------------------------------------ business methods
    def _action_done(self):
        res = super()._action_done()
        reships = self.filtered(
            lambda p: p.lost_parcel_case_id and p.state == "done" and p.location_dest_id.usage == "customer"
        )
        reships.lost_parcel_case_id._notify_customer_reshipped()
        return res

    def _hook_tracking_status_changed(self):
        """News from the carrier for lost-parcel cases: a lost parcel delivered after all goes back to
        review, a new carrier exception is news for the case's responsible, and a replacement
        delivered asks its customer for a rating."""
        res = super()._hook_tracking_status_changed()
        delivered = self.filtered(lambda p: p.tracking_status == "delivered").sudo()
        delivered.lost_parcel_case_ids._review_delivered_parcel()
        delivered.lost_parcel_case_id.filtered(
            lambda c: c.state == "reshipped" and c.reship_picking_id in delivered
        )._request_satisfaction()
        alarming = self.filtered(lambda p: p.tracking_status in ("exception", "returning", "returned"))
        cases = alarming.sudo().lost_parcel_case_ids.filtered("is_open")
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

    def _follow_reship_to_customer(self):
        """The last step of a multi-step reship is created when the previous one is done: from
        then on the case shows the transfer that reaches the customer."""
        for picking in self.filtered(lambda p: p.location_dest_id.usage == "customer"):
            case = picking.lost_parcel_case_id
            current = case.reship_picking_id
            if case.state == "reshipped" and (
                current.location_dest_id.usage != "customer" or current.state == "cancel"
            ):
                case.reship_picking_id = picking

    def _add_delivery_cost_to_so(self):
        # The seller pays for the reship: its shipping never goes on the customer's order.
        if self.lost_parcel_case_id:
            return None
        return super()._add_delivery_cost_to_so()
