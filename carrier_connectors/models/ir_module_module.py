from odoo import api, models

from .res_config_settings import POLL_CRON


class IrModuleModule(models.Model):
    _inherit = "ir.module.module"

    @api.model
    def _load_module_terms(self, modules, langs, overwrite=False, imported_module=False):
        """A language installed after the polling action was copied (*Poll Processes*): the copies
        are named after the original in it too, once its terms are loaded, instead of showing the
        English name."""
        res = super()._load_module_terms(modules, langs, overwrite=overwrite, imported_module=imported_module)
        if "carrier_connectors" in modules and self.env.ref(POLL_CRON, False):
            settings = self.env["res.config.settings"]
            copies = {index: cron for index, cron in settings._tracking_poll_crons_by_index().items() if index > 1}
            if copies:
                settings._name_tracking_poll_copies(copies, langs, overwrite=overwrite)
        return res
