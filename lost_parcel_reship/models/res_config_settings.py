from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    lost_parcel_reviewer_id = fields.Many2one(
        "res.users",
        "Lost Parcel Reviewer",
        config_parameter="lost_parcel_reship.reviewer_id",
        domain="[('share', '=', False)]",
        help="Gets a review activity on every new lost-parcel case.",
    )
    lost_parcel_digest = fields.Boolean(
        "Daily Digest to Managers",
        config_parameter="lost_parcel_reship.digest_enabled",
        default=True,
    )
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
