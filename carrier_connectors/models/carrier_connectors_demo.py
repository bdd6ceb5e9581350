import os

from odoo import api, models


class CarrierConnectorsDemo(models.AbstractModel):
    """Demo data only: settings the demo XML cannot know. Business code never calls it."""

    _name = "carrier.connectors.demo"
    _description = "Carrier Connectors Demo Data"

    @api.model
    def _point_at_sandbox(self, account_ids):
        """The carrier sandbox's URL comes from the environment when set (docker-compose)."""
        url = os.environ.get("CARRIER_SANDBOX_URL")
        if url:
            self.env["carrier.tracking.account"].browse(account_ids).write({"base_url": url})
