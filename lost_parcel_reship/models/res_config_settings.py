from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    # Per company: one company's reviewer never owns another company's cases.
    lost_parcel_reviewer_id = fields.Many2one(
        related="company_id.lost_parcel_reviewer_id",
        readonly=False,
        string="Lost Parcel Reviewer",
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]",
        help="Owns every new lost-parcel case and gets its review activity. Empty: the company's first Lost "
        "Parcels manager.",
    )
    lost_parcel_digest = fields.Boolean(related="company_id.lost_parcel_digest", readonly=False)
    lost_parcel_event_detection = fields.Boolean(related="company_id.lost_parcel_event_detection", readonly=False)

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
        # Listed for whoever opens the settings: an administrator without Sales rights cannot
        # read loyalty programs, and the whole settings page would fail on the list.
        programs = self.env["lost.parcel.communication"].sudo()._coupon_programs()
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

    lost_parcel_risk_window_days = fields.Integer(
        "High-Risk Window (days)",
        config_parameter="lost_parcel_reship.risk_window_days",
        default=90,
        help="High-risk regions: losses are counted over the parcels shipped in this many past days.",
    )
    lost_parcel_risk_threshold = fields.Float(
        "High-Risk Loss Rate (%)",
        config_parameter="lost_parcel_reship.risk_threshold",
        default=5.0,
        help="A destination or route losing more than this share of its parcels is high-risk.",
    )
    lost_parcel_risk_min_parcels = fields.Integer(
        "High-Risk Minimum Parcels",
        config_parameter="lost_parcel_reship.risk_min_parcels",
        default=30,
        help="Destinations, routes and carriers with fewer parcels in the window are not measured.",
    )
    lost_parcel_report_window_days = fields.Integer(
        "Dashboard Period (days)",
        config_parameter="lost_parcel_reship.report_window_days",
        default=90,
        help="Carrier scorecards and case handling per carrier and user cover this many past days.",
    )

    @api.constrains(
        "lost_parcel_risk_window_days",
        "lost_parcel_risk_threshold",
        "lost_parcel_risk_min_parcels",
        "lost_parcel_report_window_days",
    )
    def _check_lost_parcel_report_settings(self):
        for settings in self:
            if (
                settings.lost_parcel_risk_window_days < 1
                or settings.lost_parcel_report_window_days < 1
                or settings.lost_parcel_risk_min_parcels < 1
                or not 0 <= settings.lost_parcel_risk_threshold < 100
            ):
                raise ValidationError(
                    self.env._(
                        "Lost parcel reports: periods and minimum parcels must be at least 1, the loss rate threshold "
                        "between 0 and 100 %."
                    )
                )
