"""Base for lost-parcel tests: our own detection rules on top of the tracking test base."""

import base64
from datetime import timedelta

from odoo import fields
from odoo.tests import Form
from odoo.tools import file_open

from odoo.addons.carrier_connectors.tests.common import TrackingCommon


def import_chinese(env, modules=("lost_parcel_reship", "carrier_connectors")):
    """The addons' Chinese translations, imported as Settings > Translations > Import does it: the
    .po alone (loading it as a module's terms would merge it with the .pot first)."""
    for module in modules:
        with file_open(f"{module}/i18n/zh_CN.po", "rb") as po_file:
            env["base.language.import"].create(
                {
                    "name": "Chinese (Simplified)",
                    "code": "zh_CN",
                    "filename": "zh_CN.po",
                    "data": base64.b64encode(po_file.read()),
                    "overwrite": True,
                }
            ).import_lang()


class LostParcelCommon(TrackingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["lost.parcel.rule"].search([]).active = False
        cls.rule_domestic = cls._create_rule("Domestic", scope="domestic", stalled_days=7, eta_overdue_days=2)
        cls.rule_international = cls._create_rule(
            "International", scope="international", stalled_days=20, eta_overdue_days=5
        )
        cls.Case = cls.env["lost.parcel.case"]

    @classmethod
    def _create_rule(cls, name, **vals):
        return cls.env["lost.parcel.rule"].create({"name": name, "company_id": cls.company.id, **vals})

    @classmethod
    def _shipped_and_polled(cls, tracking_ref, shipped_days_ago=40, **kwargs):
        order, picking = cls._ship_order(tracking_ref, shipped_days_ago=shipped_days_ago, **kwargs)
        picking._update_tracking()
        return order, picking

    def _detect(self, now=None):
        return self.env["lost.parcel.rule"]._detect_lost_parcels(now=now)

    def _confirm(self, case, ref="DHL-LOSS-0001", attachments=None):
        action = case.action_confirm_lost()
        wizard = Form(self.env[action["res_model"]].with_context(**action["context"]))
        wizard.carrier_confirmation_ref = ref
        record = wizard.save()
        if attachments:
            record.attachment_ids = attachments
        record.action_confirm()
        return case

    @staticmethod
    def _days_ago(days):
        return fields.Datetime.now() - timedelta(days=days)
