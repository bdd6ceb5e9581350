"""Base for claim tests: parcels lost through the real flow (sale order, delivery validated,
tracking polled from the sandbox, detection, confirmation), the installed claim windows, and
helpers to attach documents and to read a claim's checklist."""

import base64
import io
from datetime import timedelta

from PIL import Image
from reportlab.pdfgen import canvas

from odoo import fields
from odoo.tests import new_test_user
from odoo.tools import config

from .reship_common import ReshipCommon


def make_pdf(text):
    """A one-page PDF with ``text`` on it, as a scanned purchase invoice would be."""
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, text)
    page.showPage()
    page.save()
    return buffer.getvalue()


def make_png(color=(200, 30, 30), size=(120, 80)):
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


class ClaimCommon(ReshipCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # wkhtmltopdf fetches the report's styles from the Odoo server the tests run.
        cls.env["ir.config_parameter"].sudo().set_param("report.url", f"http://127.0.0.1:{config['http_port']}")
        cls.Claim = cls.env["lost.parcel.claim"]
        cls.Window = cls.env["lost.parcel.claim.window"]
        cls.usd = cls.env.ref("base.USD")
        cls.dhl_window = cls.env.ref("lost_parcel_reship.claim_window_dhl_express")
        cls.proof_of_value = cls.env.ref("lost_parcel_reship.claim_document_proof_of_value")
        cls.tracking_record = cls.env.ref("lost_parcel_reship.claim_document_tracking_record")
        cls.commercial_invoice = cls.env.ref("lost_parcel_reship.claim_document_commercial_invoice")
        cls.responsible = new_test_user(
            cls.env,
            "claire_claims",
            groups="lost_parcel_reship.group_lost_parcel_user",
            name="Claire Claims",
            email="claire@example.com",
        )

    @classmethod
    def _attachment(cls, name, raw, mimetype, record=None):
        vals = {"name": name, "datas": base64.b64encode(raw), "mimetype": mimetype}
        if record:
            vals.update(res_model=record._name, res_id=record.id)
        return cls.env["ir.attachment"].create(vals)

    def _claim_for(self, cases):
        action = cases.action_create_claim()
        claims = self.Claim.search([("case_ids", "in", cases.ids)])
        self.assertTrue(claims, action)
        return claims

    def _shipped_on(self, picking, days_ago):
        picking.date_done = fields.Datetime.now() - timedelta(days=days_ago)
        return picking.date_done.date()

    @staticmethod
    def _checklist(claim):
        return {line.document_id.code: line.is_provided for line in claim.document_line_ids}
