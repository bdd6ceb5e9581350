from odoo import fields, models


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
