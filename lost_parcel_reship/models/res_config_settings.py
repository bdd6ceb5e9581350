from odoo import fields, models


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
