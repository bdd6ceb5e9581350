import base64
import io
import shutil
import subprocess
from html import unescape

from odoo.tests import tagged
from odoo.tools.pdf import PdfFileReader

from .claim_common import ClaimCommon, make_pdf, make_png

WKHTMLTOPDF_MISSING = (
    "wkhtmltopdf is not installed, so Odoo cannot print the evidence pack. Debian: "
    "apt-get install -y wkhtmltopdf (.ci/run installs it), then restart Odoo."
)
PDFTOTEXT_MISSING = (
    "pdftotext is not installed, so the evidence pack's text cannot be read back. Debian: "
    "apt-get install -y poppler-utils (.ci/run installs it)."
)


@tagged("post_install", "-at_install")
class TestClaimEvidencePack(ClaimCommon):
    """The evidence pack is a real PDF printed by wkhtmltopdf (Debian's package), with the
    attached PDFs and images appended; its text is read back with pdftotext (poppler-utils,
    required: the test fails without it), and the report's HTML is checked as well."""

    def _lost_case_with_history(self):
        order, picking = self._shipped_and_polled("JD0STALLED8801", lines=[(self.product, 2), (self.product_b, 1)])
        order._report_parcel_not_received("Still nothing after five weeks, please help.")
        case = self._detect().filtered(lambda c: c.picking_id == picking)
        scan = self._attachment("purchase-invoice.pdf", make_pdf("PURCHASE INVOICE 4711"), "application/pdf")
        self._confirm(case, ref="DHL-LOSS-8801", attachments=scan)
        return case

    def _documents(self, claim):
        photo = self._attachment("parcel photo.png", make_png(), "image/png", claim)
        notes = self._attachment("call notes.txt", b"Called DHL on Monday.", "text/plain", claim)
        broken = self._attachment("scan broken.pdf", b"%PDF-1.4 this is not a PDF", "application/pdf", claim)
        line = claim.document_line_ids.filtered(lambda ln: ln.document_id == self.commercial_invoice)
        line.attachment_ids = photo | notes | broken
        return photo, notes, broken

    def test_evidence_pack_pdf_holds_every_section_and_the_attached_documents(self):
        self.assertEqual(self.env["ir.actions.report"].get_wkhtmltopdf_state(), "ok", WKHTMLTOPDF_MISSING)
        case = self._lost_case_with_history()
        claim = self._claim_for(case)
        self._documents(claim)

        html = unescape(
            self.env["ir.actions.report"]
            ._render_qweb_html("lost_parcel_reship.report_lost_parcel_claim_evidence", claim.ids)[0]
            .decode()
        )
        for expected in (
            "Evidence pack",
            claim.name,
            "Detection reasons",
            "No tracking event for",  # the stalled reason, in words
            "Tracking timeline",
            case.picking_id.tracking_event_ids[:1].description,
            "Customer messages",
            "Still nothing after five weeks, please help.",
            "Loss confirmation",
            "DHL-LOSS-8801",
            "Invoice lines and values",
            "Ceramic Teapot",
            "Tea Cups (set of 4)",
            "Documents",
            "purchase-invoice.pdf",
            "call notes.txt",
            "text/plain: attached separately",
            "damaged PDF: attached separately",
        ):
            self.assertIn(expected, html)

        action = claim.action_download_evidence_pack()
        self.assertEqual(action["type"], "ir.actions.act_url")
        pack = claim.evidence_pack_id
        self.assertIn(str(pack.id), action["url"])
        self.assertEqual((pack.mimetype, pack.res_model, pack.res_id), ("application/pdf", claim._name, claim.id))
        pdf = base64.b64decode(pack.datas)
        self.assertTrue(pdf.startswith(b"%PDF"))
        report_pdf, _kind = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf("lost_parcel_reship.action_report_lost_parcel_claim_evidence", claim.ids)
        )
        report_pages = len(PdfFileReader(io.BytesIO(report_pdf), strict=False).pages)
        self.assertEqual(
            len(PdfFileReader(io.BytesIO(pdf), strict=False).pages),
            report_pages + 2,
            "the report, then the scanned invoice and the photo; the text file and the damaged PDF are listed",
        )

        # The PDF's own text, as a claims agent copies it: CI installs poppler-utils, a machine
        # without it fails here rather than skipping the check.
        self.assertTrue(shutil.which("pdftotext"), PDFTOTEXT_MISSING)
        text = subprocess.run(
            ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True, timeout=60
        ).stdout.decode()
        text = " ".join(text.split())
        for expected in (
            f"Evidence pack {claim.name}",
            "Tracking timeline",
            "Detection reasons",
            "Customer messages",
            "Still nothing after five weeks",
            "DHL-LOSS-8801",
            "Invoice lines and values",
            "Ceramic Teapot",
            "PURCHASE INVOICE 4711",  # the scanned invoice's own page, merged in
        ):
            self.assertIn(expected, text)

        # Downloading again replaces the pack rather than piling up copies.
        claim.action_download_evidence_pack()
        self.assertEqual(claim.evidence_pack_id, pack)
        packs = self.env["ir.attachment"].search([("res_model", "=", claim._name), ("res_id", "=", claim.id)])
        self.assertEqual(len(packs.filtered(lambda a: "evidence pack" in a.name)), 1)

    def test_warehouse_user_downloads_the_pack(self):
        self.assertEqual(self.env["ir.actions.report"].get_wkhtmltopdf_state(), "ok", WKHTMLTOPDF_MISSING)
        case = self._lost_case_with_history()
        claim = self._claim_for(case).with_user(self.responsible)
        claim.action_download_evidence_pack()
        self.assertTrue(base64.b64decode(claim.evidence_pack_id.datas).startswith(b"%PDF"))
