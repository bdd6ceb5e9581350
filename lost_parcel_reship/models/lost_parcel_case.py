import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, format_date

_logger = logging.getLogger(__name__)

OPEN_STATES = ("detected", "to_review", "confirmed")
SIGNAL_BASE_SCORE = {"stalled": 20, "eta_overdue": 15, "inquiry": 0}


class LostParcelCase(models.Model):
    _name = "lost.parcel.case"
    _description = "Lost Parcel Case"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "score desc, detected_date, id"
    _check_company_auto = True

    # Set from the id right after creation (LOST/00042), in one query for a whole detection batch.
    name = fields.Char(readonly=True, copy=False, index="trigram")
    state = fields.Selection(
        [
            ("detected", "Detected"),
            ("to_review", "To Review"),
            ("confirmed", "Confirmed Lost"),
            ("reshipped", "Reshipped"),
            ("dismissed", "Dismissed"),
            ("false_alarm", "False Alarm"),
        ],
        default="detected",
        required=True,
        tracking=True,
        index=True,
        group_expand="_expand_states",
    )
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    picking_id = fields.Many2one(
        "stock.picking", "Lost Delivery", required=True, index=True, check_company=True, ondelete="restrict"
    )
    sale_id = fields.Many2one(related="picking_id.sale_id", store=True, index=True)
    partner_id = fields.Many2one("res.partner", "Customer", compute="_compute_partner_id", store=True, index=True)
    delivery_partner_id = fields.Many2one(related="picking_id.partner_id", string="Delivery Address")
    country_id = fields.Many2one(related="picking_id.partner_id.country_id", store=True, string="Destination Country")
    carrier_id = fields.Many2one(
        "delivery.carrier",
        "Carrier",
        compute="_compute_carrier_id",
        store=True,
        index=True,
        help="The shipping method that lost the parcel.",
    )
    carrier_tracking_ref = fields.Char(related="picking_id.carrier_tracking_ref")
    carrier_tracking_url = fields.Char(related="picking_id.carrier_tracking_url")
    tracking_status = fields.Selection(related="picking_id.tracking_status")
    tracking_exception_kind = fields.Selection(related="picking_id.tracking_exception_kind")
    tracking_last_event_date = fields.Datetime(related="picking_id.tracking_last_event_date")
    tracking_eta = fields.Datetime(related="picking_id.tracking_eta")
    tracking_event_ids = fields.One2many(related="picking_id.tracking_event_ids")
    shipped_date = fields.Datetime(related="picking_id.date_done", string="Shipped On")
    user_id = fields.Many2one("res.users", "Responsible", tracking=True, index=True, domain="[('share', '=', False)]")
    detected_date = fields.Datetime(default=fields.Datetime.now, readonly=True, required=True)
    reason_ids = fields.One2many("lost.parcel.case.reason", "case_id", string="Reasons", readonly=True)
    score = fields.Integer(compute="_compute_score", store=True, index=True, help="Higher: more likely lost.")
    signals = fields.Char(compute="_compute_score", store=True)
    age_days = fields.Integer("Days Since Shipping", compute="_compute_age_days")
    parent_case_id = fields.Many2one(
        "lost.parcel.case",
        "Original Case",
        readonly=True,
        index=True,
        help="Set when a reshipped parcel is lost again.",
    )
    # Confirmation
    confirmed_date = fields.Date("Confirmed On", readonly=True, tracking=True)
    confirmed_by_id = fields.Many2one("res.users", readonly=True)
    carrier_confirmation_ref = fields.Char("Carrier Confirmation Ref.", tracking=True)
    auto_confirmed = fields.Boolean(readonly=True)
    evidence_attachment_ids = fields.Many2many("ir.attachment", string="Carrier Documents", copy=False)
    dismiss_reason = fields.Text(readonly=True)
    closed_date = fields.Datetime(readonly=True)
    # Value of what was lost, in company currency
    goods_value_cost = fields.Monetary("Goods Value at Cost", compute="_compute_goods_value", store=True)
    goods_value_sale = fields.Monetary("Goods Value at Sale Price", compute="_compute_goods_value", store=True)
    # Reship
    reship_carrier_id = fields.Many2one(
        "delivery.carrier",
        "Reship With",
        compute="_compute_reship_carrier_id",
        store=True,
        readonly=False,
        check_company=True,
    )
    reship_picking_id = fields.Many2one("stock.picking", "Reship Delivery", readonly=True, copy=False, index=True)
    reship_state = fields.Selection(related="reship_picking_id.state", string="Reship Status")
    reship_tracking_ref = fields.Char(related="reship_picking_id.carrier_tracking_ref", string="New Tracking Number")
    customer_notified = fields.Boolean(readonly=True, copy=False)

    @api.model
    def _expand_states(self, states, domain):
        return [key for key, _label in self._fields["state"].selection]

    # ------------------------------------------------------------------ computes
    @api.depends("picking_id.sale_id.partner_id", "picking_id.partner_id")
    def _compute_partner_id(self):
        for case in self:
            case.partner_id = case.picking_id.sale_id.partner_id or case.picking_id.partner_id.commercial_partner_id

    @api.depends("picking_id")
    def _compute_carrier_id(self):
        for case in self:
            case.carrier_id = case.picking_id.carrier_id

    @api.depends("reason_ids.score", "reason_ids.signal")
    def _compute_score(self):
        labels = dict(self.env["lost.parcel.case.reason"]._fields["signal"]._description_selection(self.env))
        for case in self:
            case.score = sum(case.reason_ids.mapped("score"))
            case.signals = ", ".join(sorted({labels[signal] for signal in case.reason_ids.mapped("signal")}))

    @api.depends("shipped_date")
    def _compute_age_days(self):
        now = fields.Datetime.now()
        for case in self:
            case.age_days = (now - case.shipped_date).days if case.shipped_date else 0

    @api.depends("picking_id.move_ids.quantity", "picking_id.move_ids.sale_line_id")
    def _compute_goods_value(self):
        for case in self:
            cost = sale = 0.0
            company = case.company_id
            for move in case.picking_id.move_ids.filtered(lambda m: m.state == "done"):
                qty = move.product_uom._compute_quantity(move.quantity, move.product_id.uom_id)
                cost += qty * move.product_id.with_company(company).standard_price
                line = move.sale_line_id
                if line:
                    unit = line.price_reduce_taxexcl
                    sale_qty = move.product_uom._compute_quantity(move.quantity, line.product_uom)
                    sale += line.currency_id._convert(
                        unit * sale_qty, company.currency_id, company, line.order_id.date_order or fields.Date.today()
                    )
                else:
                    sale += qty * move.product_id.lst_price
            case.goods_value_cost = company.currency_id.round(cost)
            case.goods_value_sale = company.currency_id.round(sale)

    @api.depends("carrier_id")
    def _compute_reship_carrier_id(self):
        for case in self:
            if not case.reship_carrier_id:
                case.reship_carrier_id = case.carrier_id

    # ------------------------------------------------------------------ CRUD
    @api.model_create_multi
    def create(self, vals_list):
        cases = super().create(vals_list)
        unnamed = cases.filtered(lambda c: not c.name)
        if unnamed:
            # Reference from the id (LOST/00042): one query for a whole detection batch.
            self.env.cr.execute(
                SQL(
                    "UPDATE lost_parcel_case SET name = 'LOST/' || LPAD(id::text, 5, '0') WHERE id IN %s",
                    tuple(unnamed.ids),
                )
            )
            unnamed.invalidate_recordset(["name"])
        return cases

    # ------------------------------------------------------------------ creation by detection
    @api.model
    def _prepare_reason_vals(self, rule, signal, extra, data, now):
        """Reason line for one signal, with the evidence a reviewer reads and its score."""
        last_event = data["tracking_last_event_date"] or data["date_done"]
        if signal == "stalled":
            days = (now - last_event).days
            evidence = self.env._(
                "No tracking event for %(days)s days (rule: more than %(limit)s)", days=days, limit=rule.stalled_days
            )
            score = SIGNAL_BASE_SCORE[signal] + min(days - rule.stalled_days, 40)
        elif signal == "eta_overdue":
            days = (now - data["tracking_eta"]).days
            evidence = self.env._(
                "Carrier's expected delivery %(eta)s passed %(days)s days ago (rule: %(limit)s)",
                eta=format_date(self.env, data["tracking_eta"]),
                days=days,
                limit=rule.eta_overdue_days,
            )
            score = SIGNAL_BASE_SCORE[signal] + min(days, 30)
        elif signal == "exception":
            kinds = rule.exception_kind_ids
            matched = kinds.filtered(
                lambda k: (
                    (k.match_on == "status" and k.status == data["tracking_status"])
                    or (k.match_on == "kind" and k.exception_kind == data["tracking_exception_kind"])
                )
            )
            evidence = self.env._(
                "Carrier reports %(what)s (code %(code)s)",
                what=", ".join(matched.mapped("name")) or data["tracking_status"],
                code=data["tracking_raw_status"] or "-",
            )
            score = max(matched.mapped("score") or [40])
        else:
            evidence = self.env._(
                "%(count)s customer messages in the last %(days)s days", count=extra, days=rule.inquiry_days
            )
            score = 10 * extra
        return {"rule_id": rule.id, "signal": signal, "evidence": evidence, "score": max(score, 1)}

    @api.model
    def _create_from_detection(self, found, now):
        """Open one case per flagged picking, in batch: the number of queries does not grow
        with the number of parcels."""
        Picking = self.env["stock.picking"]
        rows = Picking.browse(list(found)).read(
            [
                "company_id",
                "carrier_id",
                "tracking_last_event_date",
                "date_done",
                "tracking_eta",
                "tracking_status",
                "tracking_exception_kind",
                "tracking_raw_status",
                "lost_parcel_case_id",
            ],
            load=None,
        )
        reviewer = self._default_reviewer()
        vals_list = []
        for data in rows:
            reasons = [
                self._prepare_reason_vals(rule, signal, extra, data, now) for rule, signal, extra in found[data["id"]]
            ]
            vals_list.append(
                {
                    "picking_id": data["id"],
                    "company_id": data["company_id"],
                    "carrier_id": data["carrier_id"],
                    "user_id": reviewer.id,
                    "detected_date": now,
                    "parent_case_id": data["lost_parcel_case_id"] or False,
                    "reason_ids": [fields.Command.create(vals) for vals in reasons],
                }
            )
        cases = self.with_context(tracking_disable=True, mail_create_nolog=True).create(vals_list)
        cases._message_log_batch(
            bodies={case.id: self.env._("Parcel flagged as probably lost: %s", case.signals) for case in cases}
        )
        cases._schedule_review_activities()
        return cases

    def _default_reviewer(self):
        param = self.env["ir.config_parameter"].sudo().get_param("lost_parcel_reship.reviewer_id")
        return self.env["res.users"].browse(int(param)).exists() if param else self.env["res.users"]

    def _schedule_review_activities(self):
        """One 'review' activity per case with a responsible, created in one batch."""
        activity_type = self.env.ref("lost_parcel_reship.mail_activity_type_review_case")
        model_id = self.env["ir.model"]._get_id(self._name)
        # quick_update: no mail per activity; a detection run may open hundreds of cases and the
        # reviewer gets them in the activity menu and in the daily digest.
        self.env["mail.activity"].with_context(mail_activity_quick_update=True).create(
            [
                {
                    "activity_type_id": activity_type.id,
                    "automated": True,
                    "res_model_id": model_id,
                    "res_id": case.id,
                    "user_id": case.user_id.id,
                    "summary": self.env._("Review lost parcel %s", case.carrier_tracking_ref),
                    "date_deadline": fields.Date.context_today(self) + timedelta(days=activity_type.delay_count),
                }
                for case in self.filtered("user_id")
            ]
        )

    # ------------------------------------------------------------------ guards
    def _ensure_can_be_confirmed(self):
        for case in self:
            if case.state not in ("detected", "to_review"):
                raise UserError(
                    self.env._(
                        "Case %(case)s is %(state)s: only a case under review can be confirmed.",
                        case=case.name,
                        state=case._state_label(),
                    )
                )
            if case.tracking_status == "delivered":
                raise UserError(
                    self.env._(
                        "Case %s: the carrier reports the parcel delivered; it cannot be confirmed lost.", case.name
                    )
                )

    def _ensure_can_be_dismissed(self):
        for case in self:
            if case.state not in OPEN_STATES:
                raise UserError(
                    self.env._(
                        "Case %(case)s is %(state)s and cannot be dismissed.", case=case.name, state=case._state_label()
                    )
                )

    def _ensure_can_be_reshipped(self):
        for case in self:
            if case.state != "confirmed":
                raise UserError(
                    self.env._(
                        "Case %(case)s is %(state)s: only a parcel confirmed lost is reshipped.",
                        case=case.name,
                        state=case._state_label(),
                    )
                )
            if case.reship_picking_id and case.reship_picking_id.state != "cancel":
                raise UserError(self.env._("Case %s already has a reship delivery.", case.name))

    def _state_label(self):
        return dict(self._fields["state"]._description_selection(self.env))[self.state]

    # ------------------------------------------------------------------ actions
    def action_confirm_lost(self):
        self.ensure_one()
        self._ensure_can_be_confirmed()
        action = self.env["ir.actions.act_window"]._for_xml_id("lost_parcel_reship.action_lost_parcel_confirm_wizard")
        action["context"] = {"default_case_ids": self.ids}
        return action

    def action_dismiss(self):
        self._ensure_can_be_dismissed()
        action = self.env["ir.actions.act_window"]._for_xml_id("lost_parcel_reship.action_lost_parcel_dismiss_wizard")
        action["context"] = {"default_case_ids": self.ids}
        return action

    def action_ask_carrier(self):
        """Plan a call/mail to the carrier with what they need to trace the parcel."""
        self.ensure_one()
        carrier = self.carrier_id
        contact = carrier.tracking_account_id.name or carrier.name or self.env._("the carrier")
        note = self.env._(
            "Ask %(contact)s to trace parcel %(ref)s (shipped %(date)s to %(country)s). Quote the tracking "
            "reference %(ref)s and ask for a written loss confirmation and its reference.",
            contact=contact,
            ref=self.carrier_tracking_ref or "-",
            date=format_date(self.env, self.shipped_date),
            country=self.country_id.name or "-",
        )
        self.activity_schedule(
            "lost_parcel_reship.mail_activity_type_ask_carrier",
            summary=self.env._("Ask %(carrier)s about %(ref)s", carrier=carrier.name, ref=self.carrier_tracking_ref),
            note=note,
            user_id=self.env.user.id,
        )
        return True

    def action_reverify(self):
        self._reverify()
        return True

    def action_view_picking(self):
        self.ensure_one()
        return self._action_open_picking(self.picking_id)

    def action_view_reship(self):
        self.ensure_one()
        return self._action_open_picking(self.reship_picking_id)

    def _action_open_picking(self, picking):
        return {
            "type": "ir.actions.act_window",
            "res_model": "stock.picking",
            "res_id": picking.id,
            "view_mode": "form",
        }

    # ------------------------------------------------------------------ business methods
    def _reverify(self):
        """Poll the carrier again before anyone spends time on the case: movement since
        detection closes the case as a false alarm."""
        cases = self.filtered(lambda c: c.state == "detected")
        if not cases:
            return cases
        before = {case.id: (case.tracking_last_event_date, case.tracking_status) for case in cases}
        cases.picking_id._update_tracking()
        moved = self.browse()
        for case in cases:
            last_event, _status = before[case.id]
            picking = case.picking_id
            if picking.tracking_status == "delivered" or (
                picking.tracking_last_event_date
                and (not last_event or picking.tracking_last_event_date > last_event)
                and picking.tracking_status not in ("exception", "returning", "returned", "expired")
            ):
                moved |= case
        moved._close_false_alarm()
        to_review = cases - moved
        for case in to_review.filtered(lambda c: c.picking_id.tracking_error):
            case.message_post(
                body=self.env._("Re-verification could not reach the carrier: %s", case.picking_id.tracking_error)
            )
        to_review.write({"state": "to_review"})
        to_review._auto_confirm()
        return to_review

    def _close_false_alarm(self):
        for case in self:
            picking = case.picking_id
            case.message_post(
                body=self.env._(
                    "Closed as a false alarm: the carrier reports %(status)s, last event on %(date)s.",
                    status=dict(picking._fields["tracking_status"]._description_selection(self.env)).get(
                        picking.tracking_status, "-"
                    ),
                    date=fields.Datetime.to_string(picking.tracking_last_event_date) or "-",
                )
            )
        self.write({"state": "false_alarm", "closed_date": fields.Datetime.now()})
        self.activity_unlink(["lost_parcel_reship.mail_activity_type_review_case"])

    def _auto_confirm(self):
        """Confirm without review what a rule's policy allows: cheap and stalled long enough."""
        now = fields.Datetime.now()
        for case in self:
            last_event = case.tracking_last_event_date or case.shipped_date
            stalled_days = (now - last_event).days if last_event else 0
            rule = next(
                (
                    r
                    for r in case.reason_ids.rule_id
                    if r.auto_confirm
                    and case.goods_value_sale <= r.auto_confirm_max_value
                    and stalled_days >= r.auto_confirm_stalled_days
                ),
                None,
            )
            if rule:
                case._confirm_lost(fields.Date.context_today(self), False, auto_rule=rule)

    def _confirm_lost(self, confirmed_date, carrier_ref, attachments=None, auto_rule=None):
        self._ensure_can_be_confirmed()
        vals = {
            "state": "confirmed",
            "confirmed_date": confirmed_date,
            "confirmed_by_id": self.env.user.id,
            "carrier_confirmation_ref": carrier_ref,
            "auto_confirmed": bool(auto_rule),
        }
        if attachments:
            vals["evidence_attachment_ids"] = [fields.Command.link(a.id) for a in attachments]
            attachments.write({"res_model": self._name, "res_id": self[:1].id})
        self.write(vals)
        self._compute_goods_value()
        for case in self:
            if auto_rule:
                body = self.env._(
                    "Confirmed lost automatically by rule %(rule)s (goods value %(value)s).",
                    rule=auto_rule.name,
                    value=case.goods_value_sale,
                )
            else:
                body = self.env._(
                    "Confirmed lost on %(date)s. Carrier reference: %(ref)s.",
                    date=format_date(self.env, confirmed_date),
                    ref=carrier_ref or "-",
                )
            case.message_post(body=body, attachment_ids=attachments.ids if attachments else [])
        self.activity_feedback(["lost_parcel_reship.mail_activity_type_review_case"])

    def _dismiss(self, reason):
        self._ensure_can_be_dismissed()
        if not (reason or "").strip():
            raise UserError(self.env._("Say why the case is dismissed."))
        self.write({"state": "dismissed", "dismiss_reason": reason, "closed_date": fields.Datetime.now()})
        for case in self:
            case.message_post(body=self.env._("Dismissed: %s", reason))
        self.activity_unlink(["lost_parcel_reship.mail_activity_type_review_case"])

    # ------------------------------------------------------------------ crons
    @api.model
    def _cron_detect_lost_parcels(self):
        cases = self.env["lost.parcel.rule"]._detect_lost_parcels()
        cases._reverify()
        return cases

    @api.model
    def _digest_values(self, now=None):
        now = now or fields.Datetime.now()
        day_ago = now - timedelta(days=1)
        return {
            "new_cases": self.search([("detected_date", ">=", day_ago)]),
            "waiting_cases": self.search([("state", "in", ("detected", "to_review")), ("detected_date", "<", day_ago)]),
            "exceptions": self.env["stock.picking"].search(
                [
                    ("state", "=", "done"),
                    ("picking_type_code", "=", "outgoing"),
                    ("tracking_status", "in", ("exception", "returning", "failed_attempt")),
                    ("lost_parcel_case_ids", "=", False),
                ],
                limit=200,
            ),
        }

    @api.model
    def _cron_send_digest(self):
        """Mail each lost-parcel manager what needs attention, once a day."""
        if self.env["ir.config_parameter"].sudo().get_param("lost_parcel_reship.digest_enabled") == "False":
            return False
        managers = self.env.ref("lost_parcel_reship.group_lost_parcel_manager").users.filtered(
            lambda u: u.email and not u.share and u.active
        )
        mails = self.env["mail.mail"]
        for company in managers.company_ids:
            values = self.with_company(company).with_context(allowed_company_ids=company.ids)._digest_values()
            if not any(values.values()):
                continue
            body = self.env["ir.qweb"]._render(
                "lost_parcel_reship.lost_parcel_digest_body", dict(values, company=company)
            )
            recipients = managers.filtered(lambda u, c=company: c in u.company_ids)
            mails |= mails.create(
                {
                    "subject": self.env._(
                        "%(company)s: %(new)s new lost-parcel cases, %(waiting)s waiting for review",
                        company=company.name,
                        new=len(values["new_cases"]),
                        waiting=len(values["waiting_cases"]),
                    ),
                    "body_html": body,
                    "email_from": company.email_formatted or self.env.user.email_formatted,
                    "recipient_ids": [fields.Command.set(recipients.partner_id.ids)],
                    "auto_delete": True,
                }
            )
        return mails
