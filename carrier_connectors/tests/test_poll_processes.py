"""*Poll Processes* in the settings: that many polling scheduled actions active, so that as many
cron workers poll at once (the accounts' rate limits are shared, ``test_api_throttle.py``)."""

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from ..models.res_config_settings import POLL_CRON
from .common import TrackingCommon


@tagged("post_install", "-at_install")
class TestPollProcesses(TrackingCommon):
    def _set(self, count, env=None):
        (env or self.env)["res.config.settings"].create({"carrier_tracking_poll_processes": count}).execute()

    def _polling_crons(self):
        return (
            self.env["ir.cron"]
            .with_context(active_test=False)
            .search([("code", "=", "model._cron_update_tracking()")], order="id")
        )

    def test_the_setting_keeps_that_many_polling_actions_active(self):
        self.assertEqual(self.env["res.config.settings"].create({}).carrier_tracking_poll_processes, 1)

        self._set(3)
        crons = self._polling_crons()
        self.assertEqual(len(crons.filtered("active")), 3)
        self.assertEqual(crons[0], self.env.ref(POLL_CRON))
        copy = self.env.ref(f"{POLL_CRON}_3")
        self.assertEqual((copy.model_id, copy.interval_number, copy.interval_type), (crons[0].model_id, 30, "minutes"))
        self.assertTrue(copy.name.endswith("(3)"))
        self.assertTrue(
            self.env["ir.model.data"].search([("module", "=", "carrier_connectors"), ("res_id", "=", copy.id)]).noupdate
        )
        self.assertEqual(self.env["res.config.settings"].create({}).carrier_tracking_poll_processes, 3)

        self._set(1)
        self.assertEqual(self._polling_crons().filtered("active"), self.env.ref(POLL_CRON))
        self.assertEqual(self._polling_crons(), crons, "the copies are archived, not deleted")

        self._set(2)
        self.assertEqual(self._polling_crons(), crons, "and taken again, not made twice")
        self.assertEqual(len(crons.filtered("active")), 2)

        self._set(0)
        self.assertFalse(self._polling_crons().filtered("active"), "no polling: webhooks and the button only")
        self.assertEqual(self.env["res.config.settings"].create({}).carrier_tracking_poll_processes, 0)

    def test_a_copy_polls_as_the_original_does(self):
        self.env["carrier.tracking.account"].search([("id", "!=", self.account.id)]).active = False
        self._set(2)
        pickings = self._ship_pickings_in_batch(["JD0INTRANSIT8801", "JD0INTRANSIT8802"], self.carrier)

        self.env.ref(f"{POLL_CRON}_2").method_direct_trigger()

        self.assertEqual(pickings.mapped("tracking_status"), ["in_transit", "in_transit"])

    def test_a_number_out_of_range_is_refused_and_changes_nothing(self):
        self._set(2)
        for count in (-1, 9):
            with self.subTest(count=count), self.assertRaisesRegex(ValidationError, "between 0 and 8"):
                self._set(count)
            self.assertEqual(len(self._polling_crons().filtered("active")), 2)

    def test_a_copy_is_named_after_the_original_in_every_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        main = self.env.ref(POLL_CRON)
        main.ir_actions_server_id.update_field_translations("name", {"fr_FR": "Suivi des colis"})

        self._set(2, self.env(context=dict(self.env.context, lang="fr_FR")))

        copy = self.env.ref(f"{POLL_CRON}_2")
        self.assertEqual(copy.with_context(lang="fr_FR").name, "Suivi des colis (2)")
        self.assertEqual(copy.with_context(lang="en_US").name, f"{main.with_context(lang='en_US').name} (2)")

    def test_a_language_installed_after_the_copy_names_it_too(self):
        """The copy made in English, then Chinese installed (its terms loaded, as the language
        wizard does): the copy shows the original's Chinese name, not the English one; a name given
        by hand in a language stays when that language's terms are loaded again."""
        self.assertNotIn("zh_CN", [code for code, _name in self.env["res.lang"].get_installed()])
        self._set(2)
        copy = self.env.ref(f"{POLL_CRON}_2")

        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"].search([("name", "=", "carrier_connectors")])._update_translations("zh_CN")

        main = self.env.ref(POLL_CRON)
        chinese, english = main.with_context(lang="zh_CN").name, main.with_context(lang="en_US").name
        self.assertNotEqual(chinese, english, "the addon's Chinese terms are loaded")
        self.assertEqual(copy.with_context(lang="zh_CN").name, f"{chinese} (2)")
        self.assertEqual(copy.with_context(lang="en_US").name, f"{english} (2)")
        copy.ir_actions_server_id.update_field_translations("name", {"zh_CN": "轮询 2"})
        self.env["ir.module.module"].search([("name", "=", "carrier_connectors")])._update_translations("zh_CN")
        self.assertEqual(copy.with_context(lang="zh_CN").name, "轮询 2")
