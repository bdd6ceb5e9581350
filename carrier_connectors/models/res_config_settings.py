from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    carrier_tracking_batch_size = fields.Integer(
        "Tracking Poll Batch Size", config_parameter="carrier_connectors.poll_batch_size", default=200
    )
