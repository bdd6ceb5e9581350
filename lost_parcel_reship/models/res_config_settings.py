from odoo import api, fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    lost_parcel_reviewer_id = fields.Many2one(
        "res.users",
        "Lost Parcel Reviewer",
        config_parameter="lost_parcel_reship.reviewer_id",
        domain="[('share', '=', False)]",
        help="Owns every new lost-parcel case and gets its review activity. Empty: the company's first Lost "
        "Parcels manager.",
    )
    lost_parcel_digest = fields.Boolean(
        "Daily Digest to Managers",
        config_parameter="lost_parcel_reship.digest_enabled",
        default=True,
    )

    # Customer communication: the company's sending policy
    lost_parcel_opened_mode = fields.Selection(related="company_id.lost_parcel_opened_mode", readonly=False)
    lost_parcel_opened_template_id = fields.Many2one(
        related="company_id.lost_parcel_opened_template_id", readonly=False
    )
    lost_parcel_reshipped_mode = fields.Selection(related="company_id.lost_parcel_reshipped_mode", readonly=False)
    lost_parcel_reshipped_template_id = fields.Many2one(
        related="company_id.lost_parcel_reshipped_template_id", readonly=False
    )
    lost_parcel_refunded_mode = fields.Selection(related="company_id.lost_parcel_refunded_mode", readonly=False)
    lost_parcel_refunded_template_id = fields.Many2one(
        related="company_id.lost_parcel_refunded_template_id", readonly=False
    )
    lost_parcel_compensation_type = fields.Selection(related="company_id.lost_parcel_compensation_type", readonly=False)
    lost_parcel_compensation_fixed = fields.Monetary(
        related="company_id.lost_parcel_compensation_fixed", readonly=False
    )
    lost_parcel_compensation_percent = fields.Float(
        related="company_id.lost_parcel_compensation_percent", readonly=False
    )
    lost_parcel_compensation_text = fields.Char(related="company_id.lost_parcel_compensation_text", readonly=False)
    lost_parcel_coupon_program = fields.Selection(
        selection="_selection_lost_parcel_coupon_program",
        string="Coupon Program",
        compute="_compute_lost_parcel_coupon_program",
        inverse="_inverse_lost_parcel_coupon_program",
        help="With the Coupons & Loyalty app: a single-use coupon of this program is generated for the customer "
        "and its code quoted in the mail.",
    )
    lost_parcel_loyalty_installed = fields.Boolean(compute="_compute_lost_parcel_coupon_program")
    lost_parcel_satisfaction_request = fields.Boolean(
        related="company_id.lost_parcel_satisfaction_request", readonly=False
    )

    @api.model
    def _selection_lost_parcel_coupon_program(self):
        programs = self.env["lost.parcel.communication"]._coupon_programs()
        return [(str(program.id), program.display_name) for program in programs]

    @api.depends("company_id")
    def _compute_lost_parcel_coupon_program(self):
        enabled = self.env["lost.parcel.communication"]._loyalty_enabled()
        for settings in self:
            program_id = settings.company_id.lost_parcel_coupon_program_res_id
            settings.lost_parcel_coupon_program = str(program_id) if enabled and program_id else False
            settings.lost_parcel_loyalty_installed = enabled

    def _inverse_lost_parcel_coupon_program(self):
        for settings in self:
            program = settings.lost_parcel_coupon_program
            settings.company_id.lost_parcel_coupon_program_res_id = int(program) if program else 0
