from odoo import fields, models

# How each step of a case reaches the customer.
NOTICE_MODES = [
    ("auto", "Send automatically"),
    ("prefilled", "Open the composer prefilled"),
    ("none", "Send nothing"),
]
TEMPLATE_DOMAIN = [("model", "=", "lost.parcel.case")]


class ResCompany(models.Model):
    _inherit = "res.company"

    # Alerts. On the company, not in ir.config_parameter: a boolean parameter defaulting to
    # True cannot be switched off there (unchecking deletes the parameter, which reads as True).
    lost_parcel_digest = fields.Boolean(
        "Daily Digest to Managers", default=True, help="Mail managers the new cases, the waiting ones, the exceptions."
    )
    lost_parcel_event_detection = fields.Boolean(
        "Check Parcels on Carrier News",
        default=True,
        help="Run the detection rules for a parcel as soon as its tracking changes (push or poll), "
        "instead of waiting for the scheduled full run.",
    )

    lost_parcel_reviewer_id = fields.Many2one(
        "res.users",
        "Lost Parcel Reviewer",
        domain="[('share', '=', False), ('company_ids', 'in', id)]",
        help="Owns every new lost-parcel case and gets its review activity. Empty: the company's first Lost "
        "Parcels manager.",
    )

    # Sending policy: per step, how the customer is told and with which template (empty: ours).
    lost_parcel_opened_mode = fields.Selection(
        NOTICE_MODES,
        "Case Opened: Notice",
        default="none",
        required=True,
        help="When a parcel is flagged and re-verified as probably lost: tell the customer we are checking.",
    )
    lost_parcel_opened_template_id = fields.Many2one("mail.template", "Case Opened: Template", domain=TEMPLATE_DOMAIN)
    lost_parcel_reshipped_mode = fields.Selection(
        NOTICE_MODES,
        "Reshipped: Notice",
        default="auto",
        required=True,
        help="When the replacement leaves with its new tracking number.",
    )
    lost_parcel_reshipped_template_id = fields.Many2one("mail.template", "Reshipped: Template", domain=TEMPLATE_DOMAIN)
    lost_parcel_refunded_mode = fields.Selection(
        NOTICE_MODES,
        "Refunded: Notice",
        default="auto",
        required=True,
        help="When the customer is refunded instead of reshipped.",
    )
    lost_parcel_refunded_template_id = fields.Many2one("mail.template", "Refunded: Template", domain=TEMPLATE_DOMAIN)

    # Compensation offered with the reship notice and the apology.
    lost_parcel_compensation_type = fields.Selection(
        [
            ("none", "No compensation"),
            ("fixed", "Fixed amount"),
            ("percent", "Percentage of the goods value"),
        ],
        "Compensation",
        default="none",
        required=True,
    )
    lost_parcel_compensation_fixed = fields.Monetary("Compensation Amount", currency_field="currency_id")
    lost_parcel_compensation_percent = fields.Float("Compensation (% of Goods Value)")
    lost_parcel_compensation_text = fields.Char(
        "Compensation Offered",
        translate=True,
        help="What the mail offers when no coupon is generated, e.g. 'a 10% discount on your next order'.",
    )
    # loyalty.program id: loyalty is optional, so no Many2one to it (see lost.parcel.communication).
    lost_parcel_coupon_program_res_id = fields.Integer("Coupon Program")

    # Satisfaction
    lost_parcel_satisfaction_request = fields.Boolean("Ask for a Rating When the Reship Is Delivered", default=True)
