from odoo import fields, models

# How a claims API files a document (carrier_connectors.claims.base ATTACHMENT_KINDS).
API_KINDS = [
    ("invoice", "Proof of value"),
    ("email_evidence", "Correspondence"),
    ("supporting_documentation", "Supporting document"),
]


class LostParcelClaimDocument(models.Model):
    """A kind of document a carrier or insurer wants with a claim (commercial invoice, proof of
    value, tracking record, packaging photos, customer statement). Claim windows list the kinds
    they require; each claim gets a checklist line per kind, ticked once a file is attached or,
    for what Odoo holds itself (the tracking record, the invoice), once Odoo has it."""

    _name = "lost.parcel.claim.document"
    _description = "Claim Document Kind"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True, help="Technical name, unique per company.")
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", index=True, help="Empty: every company.")
    description = fields.Text(translate=True, help="What the carrier accepts as this document.")
    source = fields.Selection(
        [
            ("upload", "Attached by hand"),
            ("tracking", "Tracking record kept by Odoo"),
            ("invoice", "Customer invoice of the order"),
        ],
        default="upload",
        required=True,
        help="Tracking record: ticked when the parcel has tracking events (they are in the evidence pack). "
        "Customer invoice: the posted invoices' PDFs are attached when Odoo has them. Anything else is "
        "ticked when a file is attached to the line or its name contains one of the keywords.",
    )
    keywords = fields.Char(
        help="Comma-separated words: a file attached to the claim or to the case whose name contains one "
        "of them is taken as this document (e.g. invoice, facture, rechnung).",
    )
    damage_only = fields.Boolean(
        "Only for Damage", help="Required only when the claim is for damage (e.g. photos of the packaging)."
    )
    api_kind = fields.Selection(
        API_KINDS,
        "Filed As",
        default="supporting_documentation",
        required=True,
        help="How a claims API (EasyPost) files this document.",
    )

    _sql_constraints = [
        ("code_company_uniq", "unique(code, company_id)", "A document kind's code is unique per company."),
    ]

    def _keyword_list(self):
        self.ensure_one()
        return [word.strip().lower() for word in (self.keywords or "").split(",") if word.strip()]

    def _matches_filename(self, filename):
        self.ensure_one()
        name = (filename or "").lower()
        return any(word in name for word in self._keyword_list())
