from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    carrier_tracking_batch_size = fields.Integer(
        "Tracking Poll Batch Size", config_parameter="carrier_connectors.poll_batch_size", default=200
    )
    carrier_tracking_store_workers = fields.Integer(
        "Tracking Store Transactions",
        config_parameter="carrier_connectors.poll_store_workers",
        default=2,
        help="Database transactions storing the carriers' answers at once during a poll (each on its "
        "own connection): 2 lets PostgreSQL write one set while the server reads the next.",
    )
