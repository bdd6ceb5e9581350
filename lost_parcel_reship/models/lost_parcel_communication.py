import logging

import pytz
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_is_zero, float_round, formatLang

_logger = logging.getLogger(__name__)

# The steps of a case the customer hears about, and the template each uses by default.
STEP_TEMPLATES = {
    "opened": "lost_parcel_reship.mail_template_case_opened",
    "reshipped": "lost_parcel_reship.mail_template_reship_shipped",
    "refunded": "lost_parcel_reship.mail_template_refunded",
    "apology": "lost_parcel_reship.mail_template_apology",
}
# Steps with a sending policy in the settings; the apology is sent by a person.
POLICY_STEPS = ("opened", "reshipped", "refunded")
# Steps whose mail offers the compensation.
COMPENSATED_STEPS = ("reshipped", "apology")
SATISFACTION_TEMPLATE = "lost_parcel_reship.mail_template_satisfaction"
NOTICE_ACTIVITY = "lost_parcel_reship.mail_activity_type_customer_notice"


class LostParcelCommunication(models.AbstractModel):
    """What the customer is told about a case, and when: the company's sending policy per step
    (automatic, composer prefilled for a person, nothing), the compensation (an amount, and a real
    coupon when Odoo's ``loyalty`` is installed), the customer's own choice from the portal and
    the satisfaction request once the replacement is delivered.

    A helper of ``lost.parcel.case`` (which owns the fields): it takes cases as arguments and
    stores nothing of its own. Every message goes through the case's chatter.
    """

    _name = "lost.parcel.communication"
    _description = "Lost Parcel Customer Communication"

    # ------------------------------------------------------------------ policy
    @api.model
    def _step_mode(self, company, step):
        """'auto', 'prefilled' or 'none' for a policy step; the apology is always prefilled."""
        if step not in POLICY_STEPS:
            return "prefilled"
        return company[f"lost_parcel_{step}_mode"] or "none"

    @api.model
    def _step_template(self, company, step):
        template = company[f"lost_parcel_{step}_template_id"] if step in POLICY_STEPS else None
        return template or self.env.ref(STEP_TEMPLATES[step])

    @api.model
    def _notify(self, cases, step):
        """Tell these cases' customers about ``step`` as their company's policy says.

        :return: an action opening one composer for the cases the policy leaves to a person
                 (the caller returns it when a user is there to see it), or False
        """
        to_prefill = cases.browse()
        for company, company_cases in cases.grouped("company_id").items():
            company_cases = company_cases.filtered("partner_id")
            mode = self._step_mode(company, step)
            if mode == "auto":
                self._send(company_cases, step)
            elif mode == "prefilled":
                to_prefill |= company_cases
        if not to_prefill:
            return False
        to_prefill.write({"customer_notice_step": step})
        self._schedule_notice_activities(to_prefill, step)
        return self._composer_action(to_prefill, step)

    @api.model
    def _send(self, cases, step):
        """Post the step's template on each case: the customer gets it by mail, in their language."""
        if step in COMPENSATED_STEPS:
            self._grant_compensation(cases)
        for case in cases:
            vals = self._prepare_customer_mail_values(case, step)
            template = self.env["mail.template"].browse(vals.pop("template_id"))
            case.message_post_with_source(template, **vals)

    @api.model
    def _prepare_customer_mail_values(self, cases, step):
        """What a customer mail of ``step`` is made of: values of the ``mail.compose.message``
        that renders it (``template_id``, ``message_type``, ``subtype_id``, ``email_layout_xmlid``,
        and any other composer field). Used for a mail sent by the policy (one case) and for the
        composer a person sends (its cases, rendered case by case with the first one's values).

        :param cases: the cases the mail is about (one when sent by the policy)
        :param str step: 'opened', 'reshipped', 'refunded' or 'apology'
        :return: dict of composer values
        """
        return {
            "template_id": self._step_template(cases[:1].company_id, step).id,
            "message_type": "comment",
            "subtype_id": self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_comment"),
            "email_layout_xmlid": "mail.mail_notification_light",
        }

    @api.model
    def _composer_action(self, cases, step):
        """One composer for all the cases: a person reads and edits the step's mail, then sends
        it; in a batch each case gets its own rendering and chatter message."""
        if not cases:
            raise UserError(self.env._("Select the cases whose customers you want to write to."))
        if step in COMPENSATED_STEPS:
            self._grant_compensation(cases)
        defaults = {f"default_{name}": value for name, value in self._prepare_customer_mail_values(cases, step).items()}
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Write to the Customers") if len(cases) > 1 else self.env._("Write to the Customer"),
            "res_model": "mail.compose.message",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                **defaults,
                "default_model": "lost.parcel.case",
                "default_res_ids": cases.ids,
                "default_composition_mode": "comment",
                "force_email": True,
            },
        }

    @api.model
    def _schedule_notice_activities(self, cases, step):
        """A to-do for whoever must send the notice: the case's responsible."""
        label = dict(cases._fields["customer_notice_step"]._description_selection(self.env))[step]
        activity_type = self.env.ref(NOTICE_ACTIVITY)
        model_id = self.env["ir.model"]._get_id("lost.parcel.case")
        today = fields.Date.context_today(self)
        self.env["mail.activity"].with_context(mail_activity_quick_update=True).create(
            [
                {
                    "activity_type_id": activity_type.id,
                    "automated": True,
                    "res_model_id": model_id,
                    "res_id": case.id,
                    "user_id": case.user_id.id,
                    "summary": self.env._("Send the customer the notice: %s", label),
                    "date_deadline": today,
                }
                for case in cases.filtered("user_id")
            ]
        )

    @api.model
    def _step_of(self, case):
        """The step a message to the customer is about now: the one waiting for a person, else
        what the case's state says."""
        if case.customer_notice_step:
            return case.customer_notice_step
        return {
            "detected": "opened",
            "to_review": "opened",
            "reshipped": "reshipped",
            "refunded": "refunded",
        }.get(case.state, "apology")

    @api.model
    def _message_sent_to_customer(self, cases):
        """A message went to the customer: the case remembers when they were first told, and a
        notice waiting for a person is done."""
        now = fields.Datetime.now()
        first = cases.filtered(lambda c: not c.customer_notified_date)
        if first:
            first.write({"customer_notified": True, "customer_notified_date": now})
        waiting = cases.filtered("customer_notice_step")
        if waiting:
            waiting.write({"customer_notice_step": False})
            waiting.activity_unlink([NOTICE_ACTIVITY])

    # ------------------------------------------------------------------ mail content
    @api.model
    def _mail_lines(self, case):
        """What the mail lists: product names without internal reference, quantities as whole
        numbers when they are whole Units.

        :return: [{"product": str, "quantity": str, "uom": str (empty for Units)}]
        """
        moves = case.reship_picking_id.move_ids if case.state == "reshipped" else case._reship_moves()
        unit = self.env.ref("uom.product_uom_unit")
        lines = []
        for move in moves.filtered(lambda m: m.state != "cancel"):
            qty = move.product_uom_qty if case.state == "reshipped" else move.quantity
            whole = float_is_zero(qty - round(qty), precision_rounding=move.product_uom.rounding)
            if move.product_uom == unit and whole:
                quantity, uom = str(round(qty)), ""
            else:
                quantity = formatLang(self.env, qty, dp="Product Unit of Measure")
                uom = move.product_uom.name
            lines.append(
                {
                    "product": move.product_id.with_context(display_default_code=False).display_name,
                    "quantity": quantity,
                    "uom": uom,
                }
            )
        return lines

    @api.model
    def _local_date(self, case, value):
        """The calendar date of a UTC datetime where the customer is (their time zone, else the
        company's, else UTC): a parcel that left at 23:00 in San Francisco left on that day, not
        on the next one as UTC or the sending user's time zone would say."""
        if not value:
            return value
        tz = case.partner_id.tz or case.company_id.partner_id.tz or "UTC"
        return pytz.utc.localize(value).astimezone(pytz.timezone(tz)).date()

    # ------------------------------------------------------------------ compensation
    @api.model
    def _compensation_value(self, case):
        company = case.company_id
        kind = company.lost_parcel_compensation_type
        if kind == "fixed":
            return company.currency_id.round(company.lost_parcel_compensation_fixed)
        if kind == "percent":
            return company.currency_id.round(case.goods_value_sale * company.lost_parcel_compensation_percent / 100)
        return 0.0

    @api.model
    def _grant_compensation(self, cases):
        """Give each case's customer the company's compensation, once: the amount goes to the
        case's costs, with a single-use coupon when ``loyalty`` is installed and a program is
        chosen, else with the company's text. A case given something already keeps it."""
        for case in cases:
            if case.compensation_amount or case.compensation_coupon_code or case.compensation_note:
                continue
            amount = self._compensation_value(case)
            if float_is_zero(amount, precision_rounding=case.currency_id.rounding):
                continue
            vals = {"compensation_amount": amount}
            program = self._coupon_program(case.company_id)
            if program:
                coupon, amount = self._create_coupon(program, case, amount)
                vals.update(
                    compensation_amount=amount,
                    compensation_coupon_code=coupon.code,
                    compensation_coupon_ref=f"{coupon._name},{coupon.id}",
                )
                body = self.env._(
                    "Coupon %(code)s worth %(amount)s given to the customer.",
                    code=coupon.code,
                    amount=formatLang(self.env, amount, currency_obj=case.currency_id),
                )
            else:
                lang = case.partner_id.lang or self.env.lang
                text = case.company_id.with_context(lang=lang).lost_parcel_compensation_text
                vals["compensation_note"] = text or False
                body = self.env._(
                    "Compensation of %(amount)s offered to the customer: %(text)s",
                    amount=formatLang(self.env, amount, currency_obj=case.currency_id),
                    text=text or "-",
                )
            case.write(vals)
            case.message_post(body=body, subtype_xmlid="mail.mt_note")

    @api.model
    def _loyalty_enabled(self):
        """Whether coupons can be generated: needs Odoo's loyalty, which is not a dependency."""
        return "loyalty.card" in self.env

    @api.model
    def _coupon_programs(self):
        if not self._loyalty_enabled():
            return []
        return self.env["loyalty.program"].search(
            [("program_type", "in", ("coupons", "gift_card")), ("company_id", "in", (False, self.env.company.id))]
        )

    @api.model
    def _coupon_program(self, company):
        if not (self._loyalty_enabled() and company.lost_parcel_coupon_program_res_id):
            return None
        program = self.env["loyalty.program"].browse(company.lost_parcel_coupon_program_res_id).exists()
        return program if program and program.active else None

    @api.model
    def _create_coupon(self, program, case, amount):
        """One single-use coupon for the customer. A program whose reward is worth so much per
        point (gift-card style) gets the compensation's value in points; any other gets the
        points of one use of its cheapest reward (its reward says what it is worth).

        An order takes a per-point reward in whole multiples of its required points only
        (``sale_loyalty``): the points are rounded down to such a multiple (at least one), so
        that the amount the mail quotes is the amount the coupon takes off.

        :return: (loyalty.card, the amount the coupon is worth in the case's currency)
        """
        rewards = program.reward_ids.sorted("required_points")
        per_point = rewards.filtered(lambda r: r.reward_type == "discount" and r.discount_mode == "per_point")[:1]
        if per_point:
            step = per_point.required_points or 1.0
            points = max(1, float_round(amount / (per_point.discount or 1.0) / step, 0, rounding_method="DOWN")) * step
            amount = case.currency_id.round(points * (per_point.discount or 1.0))
        else:
            points = rewards[:1].required_points or 1.0
        # Our mail quotes the code: no second mail from the program's communication plan.
        Card = self.env["loyalty.card"].sudo().with_context(loyalty_no_mail=True)
        coupon = Card.create({"program_id": program.id, "partner_id": case.partner_id.id, "points": points})
        if "loyalty.history" in self.env:
            self.env["loyalty.history"].sudo().create(
                {
                    "card_id": coupon.id,
                    "description": self.env._("Compensation for lost parcel %s", case.name),
                    "issued": points,
                }
            )
        return coupon, amount

    # ------------------------------------------------------------------ customer choice
    @api.model
    def _apply_customer_choice(self, case, choice):
        """The customer picks 'ship it again' or 'refund me' on the portal: the case goes
        through the same code as the back-office buttons, once.

        :return: True when the choice was applied, False when it was made already (double
                 click) or another request is applying it right now
        :raise UserError: the choice is not offered or not possible in the case's state
        """
        case.ensure_one()
        if choice not in ("reship", "refund"):
            raise UserError(self.env._("Unknown choice: %s", choice))
        # Two clicks at once: the second request does not wait for the first, it does nothing.
        if not self.env["lost.parcel.reship"]._lock_cases(case):
            return False
        case.invalidate_recordset()
        if case.customer_choice:
            return False
        if not case.customer_choice_offered:
            raise UserError(self.env._("Case %s: the choice is not offered.", case.name))
        labels = dict(case._fields["customer_choice"]._description_selection(self.env))
        if choice == "reship":
            case._ensure_can_be_reshipped()
            case.action_reship()
        else:
            case._ensure_can_be_refunded()
            case._refund(self.env._("The customer chose a refund on the portal."))
        case.write({"customer_choice": choice, "customer_choice_date": fields.Datetime.now()})
        case.message_post(
            body=Markup("%s <b>%s</b>") % (self.env._("Chosen by the customer on the portal:"), labels[choice]),
            author_id=case.partner_id.id,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        return True

    # ------------------------------------------------------------------ satisfaction
    @api.model
    def _request_rating(self, cases):
        """The replacement arrived: ask each customer once how we handled it."""
        template = self.env.ref(SATISFACTION_TEMPLATE)
        for case in cases:
            if not case.company_id.lost_parcel_satisfaction_request or not case.partner_id or case.rating_ids:
                continue
            case.rating_send_request(template, lang=case.partner_id.lang, force_send=False)
