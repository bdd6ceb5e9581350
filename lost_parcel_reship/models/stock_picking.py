from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_amount

CASE_GROUP = "lost_parcel_reship.group_lost_parcel_user"
INSURANCE_PROVIDERS = [("carrier", "The carrier (declared value)"), ("insurer", "A shipping insurer")]


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
    lost_parcel_buyer_claim_ids = fields.One2many(
        "lost.parcel.buyer.claim", "picking_id", string="Buyer Claims", groups=CASE_GROUP
    )
    lost_parcel_marketplace_ref = fields.Char(
        related="lost_parcel_case_id.marketplace_order_ref", string="Marketplace Order Ref.", groups=CASE_GROUP
    )

    lost_parcel_detect_requested = fields.Datetime(
        "Lost Parcel Check Queued",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="News from the carrier waits for the detection rules (set by a tracking update, "
        "cleared within a minute by the scheduled action that checks it).",
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

    # Insurance (prevention and claims): what was bought for this parcel caps what is claimed on it.
    lost_parcel_currency_id = fields.Many2one(related="company_id.currency_id", string="Company Currency")
    lost_parcel_insured = fields.Boolean("Insured", copy=False, tracking=True)
    lost_parcel_insurance_provider = fields.Selection(INSURANCE_PROVIDERS, "Insured With", copy=False)
    lost_parcel_insurer_id = fields.Many2one("res.partner", "Insurer", copy=False, tracking=True)
    lost_parcel_insured_value = fields.Monetary(
        "Insured Value", currency_field="lost_parcel_currency_id", copy=False, tracking=True
    )
    lost_parcel_insurance_premium = fields.Monetary(
        "Insurance Premium", currency_field="lost_parcel_currency_id", copy=False
    )
    lost_parcel_insured_date = fields.Date("Insured On", copy=False)
    # Advice from the insurance and packaging rules, for the salesperson and the packer.
    lost_parcel_insurance_rule_id = fields.Many2one(
        "lost.parcel.insurance.rule", "Insurance Rule", compute="_compute_lost_parcel_advice"
    )
    lost_parcel_insurance_advice = fields.Text("Insurance Advice", compute="_compute_lost_parcel_advice")
    lost_parcel_insurance_suggested = fields.Boolean(compute="_compute_lost_parcel_advice")
    lost_parcel_packaging_advice = fields.Text("Packaging Advice", compute="_compute_lost_parcel_advice")
    lost_parcel_package_type_id = fields.Many2one(
        "stock.package.type", "Suggested Package", compute="_compute_lost_parcel_advice"
    )

    @api.depends("lost_parcel_case_ids")
    def _compute_lost_parcel_case_count(self):
        counts = dict(
            self.env["lost.parcel.case"]._read_group([("picking_id", "in", self.ids)], ["picking_id"], ["__count"])
        )
        for picking in self:
            picking.lost_parcel_case_count = counts.get(picking, 0)

    @api.depends(
        "picking_type_code",
        "state",
        "partner_id.country_id",
        "carrier_id",
        "move_ids.product_id",
        "move_ids.product_uom_qty",
        "move_ids.quantity",
        "move_ids.sale_line_id.price_reduce_taxexcl",
        "lost_parcel_insured",
    )
    def _compute_lost_parcel_advice(self):
        InsuranceRule = self.env["lost.parcel.insurance.rule"]
        PackagingRule = self.env["lost.parcel.packaging.rule"]
        for picking in self:
            insurance, packaging = None, None
            if picking.picking_type_code == "outgoing" and picking.state != "cancel" and picking.partner_id:
                products = picking.move_ids.product_id
                insurance = picking._lost_parcel_insurance_advice_values()
                packaging = PackagingRule._advice(picking.company_id, picking.partner_id, picking.carrier_id, products)
            picking.lost_parcel_insurance_rule_id = insurance["rule"] if insurance else InsuranceRule
            picking.lost_parcel_insurance_advice = insurance["text"] if insurance else False
            picking.lost_parcel_insurance_suggested = bool(insurance) and not picking.lost_parcel_insured
            picking.lost_parcel_packaging_advice = "\n".join(packaging["lines"]) if packaging else False
            picking.lost_parcel_package_type_id = packaging["package_type"] if packaging else False

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

    def action_lost_parcel_take_insurance(self):
        """Insure the deliveries as the insurance rules advise."""
        self._lost_parcel_take_insurance()
        return True

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
        # Queued, not sent: the store is told by the write-back cron, after this transaction.
        self.env["lost.parcel.store.update"]._queue_for_reships(reships)
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
        for case in cases:
            # The note in the company's language, the responsible's to-do in theirs.
            in_company_lang = case._in_company_lang()
            in_company_lang.message_post(
                body=in_company_lang.picking_id._lost_parcel_exception_text(), subtype_xmlid="mail.mt_note"
            )
            if case.user_id:
                for_user = case.with_context(lang=case.user_id.lang or self.env.lang)
                case.activity_schedule(
                    "mail.mail_activity_data_todo",
                    summary=for_user.env._("New carrier exception"),
                    note=for_user.picking_id._lost_parcel_exception_text(),
                    user_id=case.user_id.id,
                )
        return res

    def _lost_parcel_exception_text(self):
        """The carrier's new alarming status, in the context's language."""
        self.ensure_one()
        return self.env._(
            "The carrier now reports %(status)s (%(code)s) for %(ref)s.",
            status=self._lost_parcel_tracking_status_label(),
            code=self.tracking_raw_status or "-",
            ref=self.carrier_tracking_ref,
        )

    def _lost_parcel_tracking_status_label(self):
        """The tracking status as the user reads it, in the context's language."""
        self.ensure_one()
        labels = dict(self._fields["tracking_status"]._description_selection(self.env))
        return labels.get(self.tracking_status, "-")

    def _hook_tracking_updated(self):
        """Carrier news (a push, a poll, Update Tracking) queues these shipped parcels for the
        detection rules, run by a scheduled action triggered now: it starts once this
        transaction is committed and never slows the webhook's answer."""
        res = super()._hook_tracking_updated()
        # The three columns the filter reads, not every column of each delivery (a poll calls
        # this for every set of answers with news).
        self.fetch(["state", "picking_type_id", "company_id"])
        shipped = self.filtered(
            lambda p: (
                # The type's code, not the related ``picking_type_code``: computed for each delivery.
                p.state == "done" and p.picking_type_id.code == "outgoing" and p.company_id.lost_parcel_event_detection
            )
        )
        if shipped:
            # Written through the ORM, so that it goes out in the same UPDATE as the tracking
            # summary: a delivery's row updated a second time in one transaction has each of its
            # foreign keys checked again by PostgreSQL (twice the cost of the first update).
            shipped.sudo().with_context(mail_notrack=True).write(
                {"lost_parcel_detect_requested": fields.Datetime.now()}
            )
            self.env.ref("lost_parcel_reship.ir_cron_detect_changed_parcels").sudo()._trigger()
        return res

    def _tracking_poll_plan(self, result, last_event, now):
        """A parcel with an open lost-parcel case is asked about first and three times as often:
        its answer decides a customer's replacement or a false alarm."""
        factor, priority = super()._tracking_poll_plan(result, last_event, now)
        cases = self.sudo().lost_parcel_case_ids  # read for the whole batch at once (prefetch)
        if cases and cases.filtered("is_open"):
            return min(factor, 1 / 3), max(priority, 40)
        return factor, priority

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

    def _lost_parcel_promised_date(self):
        """The delivery date the carrier promised, which claim windows count from. The one place
        that reads it: the carrier's first promise (``tracking_promised_date``), else its latest
        estimate (``tracking_eta``), as ``COALESCE`` in the reports."""
        self.ensure_one()
        return self.tracking_promised_date or self.tracking_eta

    def _lost_parcel_goods_value(self):
        """Value of the goods of the delivery at the price the customer pays, in the company's
        currency (what was shipped once done, else what is to ship)."""
        self.ensure_one()
        company = self.company_id
        value = 0.0
        for move in self.move_ids.filtered(lambda m: m.state != "cancel"):
            qty = move.quantity if move.state == "done" else move.product_uom_qty
            line = move.sale_line_id
            if line:
                sale_qty = move.product_uom._compute_quantity(qty, line.product_uom)
                value += line.currency_id._convert(
                    line.price_reduce_taxexcl * sale_qty,
                    company.currency_id,
                    company,
                    line.order_id.date_order or fields.Date.today(),
                )
            else:
                value += move.product_uom._compute_quantity(qty, move.product_id.uom_id) * move.product_id.lst_price
        return company.currency_id.round(value)

    def _lost_parcel_insurance_advice_values(self):
        """The insurance rules' advice for this delivery (see ``lost.parcel.insurance.rule._advice``)."""
        self.ensure_one()
        return self.env["lost.parcel.insurance.rule"]._advice(
            self.company_id, self.partner_id, self.carrier_id, self.move_ids.product_id, self._lost_parcel_goods_value()
        )

    def _lost_parcel_take_insurance(self, rule=None, fallback=False):
        """Record the insurance the rules advise (else ``rule``'s) on deliveries that have not left.

        :param bool fallback: without any advice, insure the goods value with the carrier (the
            salesperson asked for insurance on the order) instead of refusing
        """
        for picking in self:
            if picking.state in ("done", "cancel"):
                raise UserError(
                    self.env._("%s has left or is cancelled: insurance is bought before shipping.", picking.name)
                )
            advice = picking._lost_parcel_insurance_advice_values()
            if advice is None and rule:
                advice = rule._prepare_advice([], picking.company_id, picking._lost_parcel_goods_value())
            if advice is None and fallback:
                advice = {
                    "provider": "carrier",
                    "insurer": self.env["res.partner"],
                    "value": picking._lost_parcel_goods_value(),
                    "premium": 0.0,
                }
            if advice is None:
                raise UserError(self.env._("No insurance rule advises insuring %s.", picking.name))
            picking.write(picking._prepare_lost_parcel_insurance_vals(advice))
            picking.message_post(
                body=self.env._(
                    "Insured for %(value)s with %(insurer)s, premium %(premium)s.",
                    value=format_amount(self.env, advice["value"], picking.company_id.currency_id),
                    insurer=advice["insurer"].name or self.env._("the carrier"),
                    premium=format_amount(self.env, advice["premium"], picking.company_id.currency_id),
                )
            )

    def _prepare_lost_parcel_insurance_vals(self, advice):
        self.ensure_one()
        return {
            "lost_parcel_insured": True,
            "lost_parcel_insurance_provider": advice["provider"],
            "lost_parcel_insurer_id": advice["insurer"].id,
            "lost_parcel_insured_value": advice["value"],
            "lost_parcel_insurance_premium": advice["premium"],
            "lost_parcel_insured_date": fields.Date.context_today(self),
        }

    def _add_delivery_cost_to_so(self):
        # The seller pays for the reship: its shipping never goes on the customer's order.
        if self.lost_parcel_case_id:
            return None
        return super()._add_delivery_cost_to_so()
