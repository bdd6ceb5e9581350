from odoo import api, fields, models


class LostParcelClaimDocumentLine(models.Model):
    """One line of a claim's document checklist: a document kind the carrier wants, the files
    that provide it, and whether it is there."""

    _name = "lost.parcel.claim.document.line"
    _description = "Claim Document Checklist Line"
    _order = "claim_id, required desc, sequence, id"

    claim_id = fields.Many2one("lost.parcel.claim", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="claim_id.company_id", store=True, index=True)
    document_id = fields.Many2one("lost.parcel.claim.document", "Document", required=True, ondelete="restrict")
    sequence = fields.Integer(related="document_id.sequence", store=True)
    source = fields.Selection(related="document_id.source")
    description = fields.Text(related="document_id.description")
    required = fields.Boolean(default=True, help="The claim's window requires this document.")
    attachment_ids = fields.Many2many(
        "ir.attachment",
        "lost_parcel_claim_document_line_attachment_rel",
        "line_id",
        "attachment_id",
        string="Files",
    )
    note = fields.Char(
        help="Where the document is, when it is not a file here (sent by post, on the carrier's portal)."
    )
    is_provided = fields.Boolean("Provided", compute="_compute_is_provided", store=True)

    _sql_constraints = [
        ("document_claim_uniq", "unique(claim_id, document_id)", "A document is listed once per claim."),
    ]

    @api.depends("attachment_ids", "note", "document_id.source", "claim_id.line_ids.picking_id.tracking_event_ids")
    def _compute_is_provided(self):
        for line in self:
            if line.attachment_ids or (line.note or "").strip():
                line.is_provided = True
            elif line.document_id.source == "tracking":
                # Odoo's own tracking record is in the evidence pack: every parcel needs events.
                pickings = line.claim_id.line_ids.picking_id
                line.is_provided = bool(pickings) and all(p.tracking_event_ids for p in pickings)
            else:
                line.is_provided = False
