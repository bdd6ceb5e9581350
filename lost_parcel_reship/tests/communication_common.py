"""Base for customer-communication tests: a responsible who follows the cases, a Chinese-speaking
customer, tracking links on the reship carriers, and helpers to read what the customer got."""

from freezegun import freeze_time

from odoo.tests import Form, new_test_user

from .common import import_chinese
from .reship_common import ReshipCommon


class CommunicationCommon(ReshipCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.responsible = new_test_user(
            cls.env,
            "lp_responsible",
            groups="lost_parcel_reship.group_lost_parcel_user,account.group_account_invoice",
            name="Rita Responsible",
            email="rita@example.com",
            notification_type="inbox",
        )
        cls.env["ir.config_parameter"].sudo().set_param("lost_parcel_reship.reviewer_id", cls.responsible.id)
        # The module's Chinese translation, imported as Settings > Translations > Import does it.
        import_chinese(cls.env, modules=("lost_parcel_reship",))
        cls.customer_cn = cls.env["res.partner"].create(
            {
                "name": "王芳",
                "email": "wang.fang@example.cn",
                "lang": "zh_CN",
                "country_id": cls.env.ref("base.cn").id,
                "city": "上海",
                "street": "南京东路 100 号",
                "zip": "200001",
            }
        )
        cls.customer_us.lang = "en_US"
        cls.product.default_code = "TEA-POT-01"
        for carrier in (cls.postnl, cls.ups):
            carrier.tracking_url = f"https://track.example.com/{carrier.id}?number=<shipmenttrackingnumber>"
        cls.company.write(
            {
                "email": "care@example.com",
                "lost_parcel_opened_mode": "none",
                "lost_parcel_reshipped_mode": "auto",
                "lost_parcel_refunded_mode": "auto",
                "lost_parcel_compensation_type": "none",
            }
        )

    def _customer_messages(self, case, partner=None):
        """Messages of the case's chatter that went to the customer, newest first."""
        partner = partner or case.partner_id
        return case.message_ids.filtered(lambda m: partner in m.partner_ids)

    def _reshipped_case(self, tracking_ref, reship_ref, partner=None, lines=None, validated_at=None):
        """Lost, reshipped in one click, and the replacement validated with ``reship_ref``
        (at ``validated_at``, a UTC datetime, when given: the day it left)."""
        case = self._lost_case(tracking_ref, partner=partner or self.customer_us, lines=lines)
        case.action_reship()
        if validated_at:
            with freeze_time(validated_at):
                self._validate(case.reship_picking_id, reship_ref)
        else:
            self._validate(case.reship_picking_id, reship_ref)
        return case

    def _send_composer(self, action):
        """Send what the composer an action opens holds, as a person clicking Send."""
        self.assertEqual(action["res_model"], "mail.compose.message")
        composer = Form(self.env["mail.compose.message"].with_context(**action["context"])).save()
        composer.action_send_mail()
        return composer
