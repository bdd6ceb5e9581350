from odoo import api, fields, models
from odoo.exceptions import ValidationError

POLL_CRON = "carrier_connectors.ir_cron_update_tracking"
MAX_POLL_PROCESSES = 8


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
    carrier_tracking_poll_processes = fields.Integer(
        "Poll Processes",
        help="Copies of the polling scheduled action, run at once by as many cron workers: they never "
        "take the same parcel and share each account's rate limit. More than one helps only where cron "
        "workers are processes of their own (--workers above 0, --max-cron-threads above this number). "
        "0: no polling (webhooks and the Update Tracking button only).",
    )

    def get_values(self):
        # What the scheduled actions say, not a parameter of its own: an action archived by hand counts.
        values = super().get_values()
        values["carrier_tracking_poll_processes"] = len(self._tracking_poll_crons().filtered("active"))
        return values

    @api.model
    def _tracking_poll_crons(self):
        """The polling scheduled action and its copies (``set_values``), archived ones included,
        in their order."""
        crons = self._tracking_poll_crons_by_index()
        return self.env["ir.cron"].sudo().with_context(active_test=False).concat(*(crons[i] for i in sorted(crons)))

    @api.model
    def _tracking_poll_crons_by_index(self):
        """{1: the polling scheduled action, 2..: its copies}, read with one query."""
        module, name = POLL_CRON.split(".")
        names = {name: 1, **{f"{name}_{index}": index for index in range(2, MAX_POLL_PROCESSES + 1)}}
        domain = [("module", "=", module), ("model", "=", "ir.cron"), ("name", "in", list(names))]
        xmlids = self.env["ir.model.data"].sudo().search_fetch(domain, ["name", "res_id"])
        index_of = {xmlid.res_id: names[xmlid.name] for xmlid in xmlids}
        crons = self.env["ir.cron"].sudo().with_context(active_test=False).browse(list(index_of)).exists()
        return {index_of[cron.id]: cron for cron in crons}

    def set_values(self):
        res = super().set_values()
        for settings in self:
            settings._set_tracking_poll_processes(settings.carrier_tracking_poll_processes)
        return res

    def _set_tracking_poll_processes(self, count):
        """Keep ``count`` of the polling scheduled actions active: the module's own, then copies of
        it (made once, with an XML id of this module so that uninstalling it removes them;
        archived when not needed). 0 archives them all: parcels are then updated by webhooks and
        by hand only."""
        if not 0 <= count <= MAX_POLL_PROCESSES:
            raise ValidationError(self.env._("Poll Processes must be between 0 and %(max)s.", max=MAX_POLL_PROCESSES))
        main = self.env.ref(POLL_CRON).sudo()
        module, name = POLL_CRON.split(".")
        crons = self._tracking_poll_crons_by_index()
        for index in range(1, MAX_POLL_PROCESSES + 1):
            cron = crons.get(index)
            if index <= count and not cron:
                cron = main.copy({"active": True})
                xmlid = {"module": module, "name": f"{name}_{index}", "model": "ir.cron", "res_id": cron.id}
                self.env["ir.model.data"].sudo().create({**xmlid, "noupdate": True})
                self._name_tracking_poll_copies({index: cron}, self._tracking_poll_langs(), overwrite=True)
            if cron and cron.active != (index <= count):
                cron.sudo().active = index <= count

    @api.model
    def _tracking_poll_langs(self):
        return ["en_US", *(code for code, _name in self.env["res.lang"].get_installed() if code != "en_US")]

    @api.model
    def _name_tracking_poll_copies(self, copies, langs, overwrite=False):
        """Name the copies of the polling action ({index: cron}) after the original in ``langs``,
        "<original's name in that language> (index)": a name given to ``copy()`` would be the
        current language's, the others copied unchanged. Called when a copy is made and when a
        language's terms are loaded later (``ir.module.module._load_module_terms``), where a copy's
        name that language already has (renamed by hand) stays unless ``overwrite``."""
        main = self.env.ref(POLL_CRON).sudo()
        for index, cron in copies.items():
            action = cron.sudo().ir_actions_server_id
            known = {} if overwrite else action._fields["name"]._get_stored_translations(action) or {}
            names = {lang: f"{main.with_context(lang=lang).name} ({index})" for lang in langs if lang not in known}
            if names:
                action.update_field_translations("name", names)
