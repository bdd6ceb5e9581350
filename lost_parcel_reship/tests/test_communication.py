# The mails quote Chinese punctuation and a multiplication sign between quantity and product.
# ruff: noqa: RUF001
from datetime import timedelta
from unittest.mock import patch

from odoo import Command, fields
from odoo.tests import Form, tagged

from .communication_common import CommunicationCommon


@tagged("post_install", "-at_install")
class TestCustomerMails(CommunicationCommon):
    """Each template rendered from a case made by the real flow, in English and in Chinese."""

    def _expected_date(self, case, left_on):
        # The customer's calendar day the replacement left, plus the reship carrier's transit days.
        return left_on + timedelta(days=case.reship_picking_id.carrier_id.transit_days)

    def _pin_time_zones(self):
        """The replacement leaves at an hour whose day differs between UTC, the customer's time
        zone and the validating user's: 03:00 UTC is the day before in Los Angeles, 20:00 UTC the
        day after in Shanghai, the same day in Brussels (the expected date once followed the user).

        :return: today at midnight UTC (a naive UTC datetime, as Odoo stores them)
        """
        self.customer_us.tz, self.customer_cn.tz = "America/Los_Angeles", "Asia/Shanghai"
        self.env.user.tz = "Europe/Brussels"
        return fields.Datetime.now().replace(hour=0, minute=0, second=0, microsecond=0)

    def test_reship_notice_reads_like_the_product_brief_in_english(self):
        day = self._pin_time_zones()
        case = self._reshipped_case(
            "JD0STALLED8001",
            "JD0INTRANSIT8001",
            lines=[(self.product, 2), (self.product_b, 1)],
            validated_at=day.replace(hour=3),
        )

        message = self._customer_messages(case)
        self.assertEqual(len(message), 1, "one notice, when the replacement left")
        self.assertEqual(message.partner_ids, self.customer_us)
        body = message.body
        order = case.sale_id.name
        self.assertIn("Dear Brandon Freeman", body)
        self.assertIn("we are very sorry: your 2 × Ceramic Teapot, 1 × Tea Cups (set of 4)", body)
        self.assertNotIn("TEA-POT-01", body, "product names without the internal reference")
        self.assertNotIn("2.00", body, "whole Units as whole numbers")
        self.assertIn(f"(order <strong>{order}</strong>) met an unexpected delay in transit", body)
        self.assertIn("We have already shipped it again; the new tracking number is", body)
        self.assertIn("<strong>JD0INTRANSIT8001</strong> (PostNL (test))", body)
        self.assertEqual(case.reship_picking_id.date_done, day.replace(hour=3))
        expected = self._expected_date(case, day.date() - timedelta(days=1))
        self.assertEqual(case.reship_expected_date, expected, "the day before in Los Angeles, plus 3 days")
        self.assertIn(f"expected on\n        <strong>{expected.strftime('%m/%d/%Y')}</strong>", body)
        self.assertIn(f"https://track.example.com/{self.postnl.id}?number=JD0INTRANSIT8001", body)
        self.assertIn("Thank you for your understanding.", body)
        self.assertIn(f"/my/lost_parcels/{case.id}?access_token={case.access_token}", body)
        self.assertEqual(message.subject, f"{self.company.name}: a replacement for order {order} is on its way")
        mail = self.env["mail.mail"].sudo().search([("mail_message_id", "=", message.id)])
        self.assertEqual(mail.recipient_ids, self.customer_us, "the mail goes to the customer")
        self.assertTrue(case.customer_notified)
        self.assertTrue(case.customer_notified_date)

    def test_reship_notice_in_chinese_for_a_chinese_customer(self):
        day = self._pin_time_zones()
        case = self._reshipped_case(
            "JD0STALLED8002",
            "JD0INTRANSIT8002",
            partner=self.customer_cn,
            lines=[(self.product, 3)],
            validated_at=day.replace(hour=20),
        )

        message = self._customer_messages(case)
        self.assertEqual(message.partner_ids, self.customer_cn)
        body = message.body
        self.assertIn("尊敬的 王芳", body)
        self.assertIn("非常抱歉：您的 3 × Ceramic Teapot", body)
        self.assertIn(f"（订单 <strong>{case.sale_id.name}</strong>）在运输途中意外延误", body)
        self.assertIn("我们已为您重新发货，新的跟踪号为", body)
        self.assertIn("<strong>JD0INTRANSIT8002</strong>（PostNL (test)），预计于", body)
        expected = self._expected_date(case, day.date() + timedelta(days=1))
        self.assertEqual(case.reship_expected_date, expected, "the day after in Shanghai, plus 3 days")
        self.assertIn(expected.strftime("%Y年%m月%d日"), body, "the date in the customer's format")
        self.assertIn("number=JD0INTRANSIT8002", body)
        self.assertIn("感谢您的理解。", body)
        self.assertNotIn("Dear", body)
        self.assertIn("的补发包裹已在寄送途中", message.subject)

    def test_satisfaction_request_in_chinese_for_a_chinese_customer(self):
        case = self._reshipped_case("JD0STALLED8003", "JD0DELIVERED8003", partner=self.customer_cn)

        case.reship_picking_id._update_tracking()

        self.assertEqual(case.reship_picking_id.tracking_status, "delivered")
        rating = case.rating_ids
        self.assertEqual(len(rating), 1, "the replacement arrived: one rating request")
        request = case.message_ids.filtered(lambda m: f"/rate/{rating.access_token}/5" in (m.body or ""))
        self.assertEqual(request.partner_ids, self.customer_cn)
        order = case.sale_id.name
        self.assertEqual(request.subject, f"{self.company.name}：我们对订单 {order} 的处理您满意吗？")
        body = request.body
        self.assertIn("尊敬的 王芳", body)
        self.assertIn(f"您订单 <strong>{order}</strong>", body)
        self.assertIn("的补发包裹已送达。您对我们处理这次包裹丢失的方式满意吗？", body)
        for label, score in (("满意", 5), ("一般", 3), ("不满意", 1)):
            self.assertRegex(body, f'/rate/{rating.access_token}/{score}"><img alt="{label}"')
        self.assertIn("感谢您的反馈！", body)
        self.assertNotIn("Dear", body)
        self.assertNotIn("has been delivered", body)
        mail = self.env["mail.mail"].sudo().search([("mail_message_id", "=", request.id)])
        self.assertEqual(mail.recipient_ids, self.customer_cn)

    def test_delay_notice_when_a_case_opens_in_both_languages(self):
        self.company.lost_parcel_opened_mode = "auto"
        _order_us, picking_us = self._shipped_and_polled("JD0STALLED8011", partner=self.customer_us)
        _order_cn, picking_cn = self._shipped_and_polled("JD0STALLED8012", partner=self.customer_cn)
        # The shipping date is the customer's calendar day, whatever the hour in UTC and whatever
        # the time zone of the user who sends: 03:00 UTC is the day before in Los Angeles, 20:00
        # UTC the day after in Shanghai (the mail once quoted the sender's day).
        self.customer_us.tz, self.customer_cn.tz = "America/Los_Angeles", "Asia/Shanghai"
        self.env.user.tz = "Europe/Brussels"
        day = (fields.Datetime.now() - timedelta(days=40)).replace(minute=0, second=0, microsecond=0)
        picking_us.date_done = day.replace(hour=3)
        picking_cn.date_done = day.replace(hour=20)
        us_day, cn_day = day.date() - timedelta(days=1), day.date() + timedelta(days=1)

        cases = self.Case._cron_detect_lost_parcels()

        case_us = cases.filtered(lambda c: c.picking_id == picking_us)
        case_cn = cases.filtered(lambda c: c.picking_id == picking_cn)
        self.assertEqual((case_us.state, case_cn.state), ("to_review", "to_review"))
        body_us = self._customer_messages(case_us).body
        self.assertIn("Dear Brandon Freeman", body_us)
        self.assertIn("1 × Ceramic Teapot", body_us)
        self.assertIn(f"(order <strong>{case_us.sale_id.name}</strong>)", body_us)
        self.assertIn("(tracking number JD0STALLED8011)", body_us)
        self.assertIn("We are checking with the carrier", body_us)
        self.assertIn(f"shipped on\n        {us_day.strftime('%m/%d/%Y')} with", body_us)
        body_cn = self._customer_messages(case_cn).body
        self.assertIn("尊敬的 王芳", body_cn)
        self.assertIn("我们正在与承运商核实", body_cn)
        self.assertIn(cn_day.strftime("%Y年%m月%d日"), body_cn)
        self.assertTrue(case_us.customer_notified_date, "the customer was first told when the case opened")

    def test_refund_notice_with_the_credit_note_in_both_languages(self):
        for partner, ref, texts in (
            (
                self.customer_us,
                "JD0STALLED8021",
                ("Dear Brandon Freeman", "was lost in transit", "We have refunded you"),
            ),
            (self.customer_cn, "JD0STALLED8022", ("尊敬的 王芳", "在运输途中丢失", "我们已向您退款")),
        ):
            case = self._lost_case(ref, partner=partner, lines=[(self.product, 1)])
            invoice = case.sale_id._create_invoices()
            invoice.action_post()
            case._refund("Customer prefers the money")

            message = self._customer_messages(case)
            self.assertEqual(message.partner_ids, partner)
            credit_note = case.refund_move_ids
            for text in (*texts, credit_note.name, case.sale_id.name, "1 × Ceramic Teapot"):
                self.assertIn(text, message.body)

    def test_apology_offers_the_choice_and_the_compensation_text_in_both_languages(self):
        self.company.write({"lost_parcel_compensation_type": "fixed", "lost_parcel_compensation_fixed": 5.0})
        self.company.with_context(lang="en_US").lost_parcel_compensation_text = "a free tea sample"
        self.company.with_context(lang="zh_CN").lost_parcel_compensation_text = "一份免费茶叶试用装"
        Communication = type(self.env["lost.parcel.communication"])
        for partner, ref, texts in (
            (
                self.customer_us,
                "JD0STALLED8031",
                (
                    "Dear Brandon Freeman",
                    "Please accept a free tea sample for the trouble",
                    "we ship it again, or we refund you",
                ),
            ),
            (self.customer_cn, "JD0STALLED8032", ("尊敬的 王芳", "请接受一份免费茶叶试用装", "重新发货或退款")),
        ):
            case = self._lost_case(ref, partner=partner)
            with patch.object(Communication, "_loyalty_enabled", lambda self: False):
                action = case.action_offer_customer_choice()
                self._send_composer(action)
            message = self._customer_messages(case)
            self.assertEqual(message.partner_ids, partner)
            for text in (*texts, case.sale_id.name, f"access_token={case.access_token}"):
                self.assertIn(text, message.body)
            self.assertEqual(case.compensation_amount, 5.0, "the compensation goes to the case's costs")


@tagged("post_install", "-at_install")
class TestSendingPolicy(CommunicationCommon):
    def test_opened_step_sends_nothing_by_default(self):
        _order, picking = self._shipped_and_polled("JD0STALLED8101", partner=self.customer_us)
        case = self.Case._cron_detect_lost_parcels().filtered(lambda c: c.picking_id == picking)

        self.assertEqual(case.state, "to_review")
        self.assertFalse(self._customer_messages(case))
        self.assertFalse(case.customer_notified_date)
        self.assertFalse(case.customer_notice_step)

    def test_prefilled_step_waits_for_a_person_then_sends_what_they_edited(self):
        self.company.lost_parcel_opened_mode = "prefilled"
        _order, picking = self._shipped_and_polled("JD0STALLED8102", partner=self.customer_us)
        case = self.Case._cron_detect_lost_parcels().filtered(lambda c: c.picking_id == picking)

        self.assertFalse(self._customer_messages(case), "nothing goes out on its own")
        self.assertEqual(case.customer_notice_step, "opened")
        notice_type = self.env.ref("lost_parcel_reship.mail_activity_type_customer_notice")
        todo = case.activity_ids.filtered(lambda a: a.activity_type_id == notice_type)
        self.assertEqual(todo.user_id, self.responsible)
        # Another to-do on the case (e.g. a carrier exception) is not the notice's.
        other = case.activity_schedule("mail.mail_activity_data_todo", summary="Call DHL", user_id=self.responsible.id)

        action = case.with_user(self.responsible).action_send_customer_notice()
        self.assertEqual(
            action["context"]["default_template_id"], self.env.ref("lost_parcel_reship.mail_template_case_opened").id
        )
        composer_form = self._composer_form(action)
        self.assertIn("Dear Brandon Freeman", composer_form.body)
        composer_form.body = composer_form.body.replace("Dear Brandon Freeman", "Hello Brandon")
        composer_form.save().action_send_mail()

        message = self._customer_messages(case)
        self.assertIn("Hello Brandon", message.body)
        self.assertIn("We are checking with the carrier", message.body)
        self.assertFalse(case.customer_notice_step)
        self.assertFalse(case.activity_ids.filtered(lambda a: a.activity_type_id == notice_type), "the notice is done")
        self.assertIn(other, case.activity_ids, "another to-do stays")
        self.assertTrue(case.customer_notified_date)

    def _composer_form(self, action):
        return Form(self.env["mail.compose.message"].with_user(self.responsible).with_context(**action["context"]))

    def test_reshipped_step_none_sends_nothing(self):
        self.company.lost_parcel_reshipped_mode = "none"
        case = self._reshipped_case("JD0STALLED8103", "JD0INTRANSIT8103")

        self.assertEqual(case.reship_picking_id.state, "done")
        self.assertFalse(self._customer_messages(case))
        self.assertFalse(case.customer_notified)

    def _refund_through_the_wizard(self, case):
        """The user clicks Refund on the case and confirms the wizard: the action they land on."""
        case.sale_id._create_invoices().action_post()
        action = case.action_refund()
        wizard = Form(self.env[action["res_model"]].with_context(**action["context"]))
        wizard.reason = "The customer prefers the money"
        return wizard.save().action_refund()

    def test_refunded_step_none_sends_nothing_and_shows_the_credit_note(self):
        self.company.lost_parcel_refunded_mode = "none"
        case = self._lost_case("JD0STALLED8131", partner=self.customer_us, lines=[(self.product, 1)])

        action = self._refund_through_the_wizard(case)

        self.assertEqual(case.state, "refunded")
        self.assertEqual((action["res_model"], action["res_id"]), ("account.move", case.refund_move_ids.id))
        self.assertFalse(self._customer_messages(case))
        self.assertFalse(case.customer_notified)
        self.assertFalse(case.customer_notice_step)

    def test_refunded_step_prefilled_opens_the_composer_after_the_refund_wizard(self):
        self.company.lost_parcel_refunded_mode = "prefilled"
        case = self._lost_case("JD0STALLED8132", partner=self.customer_us, lines=[(self.product, 1)])

        action = self._refund_through_the_wizard(case)

        self.assertEqual(case.state, "refunded")
        self.assertEqual(action["res_model"], "mail.compose.message", "the person writes the refund mail now")
        self.assertEqual(action["context"]["default_res_ids"], case.ids)
        self.assertEqual(
            action["context"]["default_template_id"], self.env.ref("lost_parcel_reship.mail_template_refunded").id
        )
        self.assertFalse(self._customer_messages(case), "nothing goes out before the person sends")
        self.assertEqual(case.customer_notice_step, "refunded")
        composer_form = self._composer_form(action)
        self.assertIn(case.refund_move_ids.name, composer_form.body)
        composer_form.body = composer_form.body.replace("Dear Brandon Freeman", "Hello Brandon")
        composer_form.save().action_send_mail()

        message = self._customer_messages(case)
        self.assertEqual(len(message), 1)
        self.assertIn("Hello Brandon", message.body)
        self.assertIn("We have refunded you", message.body)
        self.assertFalse(case.customer_notice_step)
        self.assertTrue(case.customer_notified_date)

    def test_template_chosen_in_settings_is_used(self):
        template = self.env.ref("lost_parcel_reship.mail_template_reship_shipped").copy(
            {"name": "Short reship notice", "body_html": "<p>Short: <t t-out='object.reship_tracking_ref'/></p>"}
        )
        settings = self.env["res.config.settings"].create({"lost_parcel_reshipped_template_id": template.id})
        settings.execute()
        self.assertEqual(self.company.lost_parcel_reshipped_template_id, template)

        case = self._reshipped_case("JD0STALLED8104", "JD0INTRANSIT8104")

        self.assertIn("Short: JD0INTRANSIT8104", self._customer_messages(case).body)

    def test_an_extension_changes_the_mail_in_one_place_for_sent_and_composed_mails(self):
        """``_prepare_customer_mail_values`` feeds the mail the policy sends and the composer alike."""
        custom = self.env.ref("lost_parcel_reship.mail_template_reship_shipped").copy(
            {"name": "Marketplace reship notice", "subject": "Extended: {{ object.name }}"}
        )
        Communication = type(self.env["lost.parcel.communication"])
        original = Communication._prepare_customer_mail_values

        def extended(communication, cases, step):
            vals = original(communication, cases, step)
            if step == "reshipped":
                vals["template_id"] = custom.id
            return vals

        with patch.object(Communication, "_prepare_customer_mail_values", extended):
            sent = self._reshipped_case("JD0STALLED8105", "JD0INTRANSIT8105")
            self.assertEqual(self._customer_messages(sent).subject, f"Extended: {sent.name}")

            self.company.lost_parcel_reshipped_mode = "prefilled"
            composed = self._reshipped_case("JD0STALLED8106", "JD0INTRANSIT8106")
            action = composed.action_send_customer_notice()
            self.assertEqual(action["context"]["default_template_id"], custom.id)
            self._send_composer(action)
            self.assertEqual(self._customer_messages(composed).subject, f"Extended: {composed.name}")

    def test_batch_reship_prefilled_opens_one_composer_for_all_the_cases(self):
        self.company.lost_parcel_reshipped_mode = "prefilled"
        cases = self.Case
        for number in range(3):
            cases |= self._lost_case(f"JD0STALLED811{number}", partner=self.customer_us)
        cases.action_reship_batch()
        reships = cases.reship_picking_id
        self.assertEqual(len(reships), 3)
        for number, reship in enumerate(reships.sorted("id")):
            reship.carrier_tracking_ref = f"JD0INTRANSIT811{number}"
            reship.move_ids.quantity = 1
            reship.move_ids.picked = True

        action = reships.button_validate()

        self.assertEqual(action["res_model"], "mail.compose.message", "one composer, not one window per case")
        self.assertEqual(sorted(action["context"]["default_res_ids"]), sorted(cases.ids))
        self.assertEqual(set(cases.mapped("customer_notice_step")), {"reshipped"})
        self.assertFalse(cases.message_ids.filtered(lambda m: self.customer_us in m.partner_ids))
        composer = self._send_composer(action)
        self.assertTrue(composer.composition_batch)
        for case in cases:
            message = self._customer_messages(case)
            self.assertEqual(len(message), 1)
            self.assertIn(case.reship_tracking_ref, message.body, "each case's own tracking number")
            self.assertIn(case.sale_id.name, message.body)
        self.assertFalse(any(cases.mapped("customer_notice_step")))

    def test_list_action_opens_one_composer_and_refuses_mixed_steps(self):
        cases = self._lost_case("JD0STALLED8121") | self._lost_case("JD0STALLED8122")
        action = cases.action_send_customer_notice()
        self.assertEqual(sorted(action["context"]["default_res_ids"]), sorted(cases.ids))
        self.assertEqual(
            action["context"]["default_template_id"], self.env.ref("lost_parcel_reship.mail_template_apology").id
        )
        cases[0].action_reship()
        with self.assertRaisesRegex(Exception, "call for different mails"):
            cases.action_send_customer_notice()


@tagged("post_install", "-at_install")
class TestMailThread(CommunicationCommon):
    def test_customer_reply_by_mail_lands_on_the_case_and_reaches_the_responsible(self):
        case = self._reshipped_case("JD0STALLED8201", "JD0INTRANSIT8201")
        notice = self._customer_messages(case)
        self.assertIn(self.responsible.partner_id, case.message_partner_ids, "the responsible follows the case")

        raw = (
            "Return-Path: <brandon@example.com>\r\n"
            "From: Brandon Freeman <brandon@example.com>\r\n"
            "To: care@example.com\r\n"
            f"Subject: Re: {notice.subject}\r\n"
            "Message-ID: <reply-8201@mail.example.com>\r\n"
            f"In-Reply-To: {notice.message_id}\r\n"
            f"References: {notice.message_id}\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "\r\n"
            "Thank you! Can you leave it with my neighbour at number 3?\r\n"
        )
        thread_id = self.env["mail.thread"].message_process(False, raw)

        self.assertEqual(thread_id, case.id)
        reply = case.message_ids.filtered(lambda m: m.message_id == "<reply-8201@mail.example.com>")
        self.assertEqual(reply.author_id, self.customer_us)
        self.assertIn("leave it with my neighbour", reply.body)
        self.assertIn(self.responsible.partner_id, reply.notification_ids.res_partner_id, "the responsible is notified")

    def test_customer_first_told_is_set_by_the_first_message_of_any_step(self):
        case = self._lost_case("JD0STALLED8202", partner=self.customer_us)
        self.assertFalse(case.customer_notified_date)
        case.message_post(body="Internal: waiting for DHL", subtype_xmlid="mail.mt_note")
        self.assertFalse(case.customer_notified_date, "a note is not a message to the customer")

        self._send_composer(case.action_send_customer_notice())
        first = case.customer_notified_date
        self.assertTrue(first)

        case.action_reship()
        self._validate(case.reship_picking_id, "JD0INTRANSIT8202")
        self.assertEqual(len(self._customer_messages(case)), 2)
        self.assertEqual(case.customer_notified_date, first, "the first time stays")


@tagged("post_install", "-at_install")
class TestCompensation(CommunicationCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.program = cls.env["loyalty.program"].create(
            {
                "name": "Lost parcel goodwill",
                "program_type": "coupons",
                "trigger": "with_code",
                "applies_on": "current",
                "reward_ids": [
                    Command.create(
                        {
                            "reward_type": "discount",
                            "discount_mode": "per_point",
                            "discount": 1,
                            "discount_applicability": "order",
                            "required_points": 1,
                        }
                    )
                ],
            }
        )

    def _set_policy(self, **vals):
        settings = self.env["res.config.settings"].create(vals)
        settings.execute()

    def test_loyalty_coupon_is_generated_and_quoted_in_the_reship_notice(self):
        self._set_policy(
            lost_parcel_compensation_type="percent",
            lost_parcel_compensation_percent=10.0,
            lost_parcel_coupon_program=str(self.program.id),
        )
        self.assertEqual(self.company.lost_parcel_coupon_program_res_id, self.program.id)

        case = self._reshipped_case(
            "JD0STALLED8301", "JD0INTRANSIT8301", lines=[(self.product, 2), (self.product_b, 1)]
        )

        coupon = self.env["loyalty.card"].search([("program_id", "=", self.program.id)])
        self.assertEqual(len(coupon), 1, "one single-use coupon")
        self.assertEqual(coupon.partner_id, self.customer_us)
        # 10 % of 105.00 of goods is 10.50, but an order takes this program's reward in whole
        # points only (one point, one currency unit): the coupon, the cost and the mail say 10.00,
        # what the coupon really takes off (the mail once promised 10.50 and the order gave 10).
        self.assertEqual(coupon.points, 10.0)
        self.assertEqual(case.compensation_amount, 10.0)
        self.assertEqual(case.compensation_coupon_code, coupon.code)
        self.assertEqual(case.compensation_coupon_ref, coupon)
        self.assertEqual(case.total_cost, case.reship_goods_cost + case.reship_shipping_cost + 10.0)
        body = self._customer_messages(case).body
        self.assertIn(f"(code <strong>{coupon.code}</strong>) for the trouble", body)
        self.assertIn("Please accept a voucher worth <strong>$&nbsp;10.00</strong>", body)
        order = self._new_order()
        order._apply_program_reward(order._try_apply_code(coupon.code)[coupon], coupon)
        self.assertEqual(order.order_line.filtered("is_reward_line").price_total, -case.compensation_amount)
        self.assertFalse(
            self.env["mail.mail"].sudo().search([("model", "=", "loyalty.card"), ("res_id", "=", coupon.id)]),
            "our notice quotes the code: no second mail from the program",
        )

        # The same case never gets a second coupon.
        self.env["lost.parcel.communication"]._grant_compensation(case)
        self.assertEqual(self.env["loyalty.card"].search_count([("program_id", "=", self.program.id)]), 1)

    def _new_order(self):
        """The customer's next order: one teapot (untaxed, so the discount reads as it is)."""
        line = {"product_id": self.product.id, "product_uom_qty": 1, "tax_id": [Command.clear()]}
        return self.env["sale.order"].create({"partner_id": self.customer_us.id, "order_line": [Command.create(line)]})

    def test_chinese_reship_notice_quotes_the_coupon_code(self):
        self._set_policy(
            lost_parcel_compensation_type="percent",
            lost_parcel_compensation_percent=10.0,
            lost_parcel_coupon_program=str(self.program.id),
        )

        case = self._reshipped_case(
            "JD0STALLED8303",
            "JD0INTRANSIT8303",
            partner=self.customer_cn,
            lines=[(self.product, 2), (self.product_b, 1)],
        )

        coupon = self.env["loyalty.card"].search([("program_id", "=", self.program.id)])
        self.assertEqual(coupon.partner_id, self.customer_cn)
        message = self._customer_messages(case)
        self.assertEqual(message.partner_ids, self.customer_cn)
        body = message.body
        self.assertIn("尊敬的 王芳", body)
        self.assertIn("我们已为您重新发货，新的跟踪号为", body)
        self.assertIn("请接受价值 <strong>$&nbsp;10.00</strong> 的优惠券", body)
        self.assertIn(f"（券码 <strong>{coupon.code}</strong>），聊表歉意。", body)
        self.assertNotIn("Please accept", body)

    def test_the_coupon_pays_one_order_once(self):
        """Single use as Odoo's loyalty defines it: the code takes the compensation off one
        order, which spends the coupon's points; the code then no longer applies."""
        self._set_policy(
            lost_parcel_compensation_type="fixed",
            lost_parcel_compensation_fixed=10.0,
            lost_parcel_coupon_program=str(self.program.id),
        )
        self._reshipped_case("JD0STALLED8304", "JD0INTRANSIT8304")
        coupon = self.env["loyalty.card"].search([("program_id", "=", self.program.id)])
        self.assertEqual(coupon.points, 10.0)

        order = self._new_order()
        status = order._try_apply_code(coupon.code)
        self.assertNotIn("error", status)
        self.assertEqual(list(status), [coupon])
        order._apply_program_reward(status[coupon], coupon)
        discount = order.order_line.filtered("is_reward_line")
        self.assertEqual(discount.price_total, -10.0, "the compensation comes off the order")
        self.assertEqual(order.amount_total, 40.0 - 10.0)
        order.action_confirm()

        self.assertEqual(coupon.points, 0.0, "the order spent the coupon")
        again = self._new_order()
        self.assertEqual(again._try_apply_code(coupon.code), {"error": "This coupon has already been used."})
        self.assertFalse(again.order_line.filtered("is_reward_line"))

    def test_without_loyalty_the_text_is_offered_and_the_amount_recorded(self):
        self._set_policy(lost_parcel_compensation_type="fixed", lost_parcel_compensation_fixed=7.0)
        self.company.lost_parcel_coupon_program_res_id = self.program.id
        self.company.lost_parcel_compensation_text = "a free tea sample with your next order"
        Communication = type(self.env["lost.parcel.communication"])
        with patch.object(Communication, "_loyalty_enabled", lambda self: False):
            case = self._reshipped_case("JD0STALLED8302", "JD0INTRANSIT8302")

        self.assertFalse(self.env["loyalty.card"].search([("program_id", "=", self.program.id)]))
        self.assertEqual(case.compensation_amount, 7.0)
        self.assertFalse(case.compensation_coupon_code)
        self.assertIn(
            "Please accept a free tea sample with your next order for the trouble", self._customer_messages(case).body
        )
