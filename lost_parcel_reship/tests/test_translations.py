# The Chinese texts quote Chinese punctuation.
# ruff: noqa: RUF001
"""The Simplified Chinese translation is complete and reads as a warehouse user expects."""

import os
import re

from odoo.modules.module import get_module_path
from odoo.tests import TransactionCase, new_test_user, tagged

from .common import LostParcelCommon, import_chinese

MODULES = ("lost_parcel_reship", "carrier_connectors")


def _unquote(text):
    """A PO string literal's content, its escapes decoded."""
    body = text.strip()
    assert body.startswith('"') and body.endswith('"'), body
    body = body[1:-1]
    out, i = [], 0
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body):
            out.append(escapes.get(body[i + 1], body[i + 1]))
            i += 2
        else:
            out.append(char)
            i += 1
    return "".join(out)


def parse_po(path):
    """The (msgid, msgstr, location comments) entries of a PO file, header left out; fuzzy
    entries are kept with their flag so that a test can refuse them."""
    entries, current, field = [], None, None

    def flush():
        if current is not None and current["msgid"]:
            entries.append(current)

    with open(path, encoding="utf-8") as po:
        for raw in po:
            line = raw.rstrip("\n")
            if not line.strip():
                continue
            if line.startswith("#"):
                if field is not None:
                    flush()
                    current, field = None, None
                if current is None:
                    current = {"msgid": "", "msgstr": "", "refs": [], "fuzzy": False}
                if line.startswith("#:"):
                    current["refs"].append(line[2:].strip())
                elif line.startswith("#,") and "fuzzy" in line:
                    current["fuzzy"] = True
                continue
            if line.startswith("msgid "):
                if field == "msgstr":
                    flush()
                    current = None
                if current is None:
                    current = {"msgid": "", "msgstr": "", "refs": [], "fuzzy": False}
                field = "msgid"
                current["msgid"] = _unquote(line[6:])
            elif line.startswith("msgstr "):
                field = "msgstr"
                current["msgstr"] = _unquote(line[7:])
            elif line.startswith('"') and field:
                current[field] += _unquote(line)
    flush()
    return entries


@tagged("post_install", "-at_install")
class TestChineseTranslation(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("zh_CN")
        cls.env["ir.module.module"]._load_module_terms(list(MODULES), ["zh_CN"], overwrite=True)

    def _po(self, module, name="zh_CN.po"):
        return parse_po(os.path.join(get_module_path(module), "i18n", name))

    def test_every_string_is_translated(self):
        for module in MODULES:
            with self.subTest(module=module):
                entries = self._po(module)
                self.assertGreater(len(entries), 100)
                empty = [e["msgid"][:60] for e in entries if not e["msgstr"].strip()]
                self.assertFalse(empty, f"{module}: {len(empty)} strings without a Chinese translation")
                fuzzy = [e["msgid"][:60] for e in entries if e["fuzzy"]]
                self.assertFalse(fuzzy, f"{module}: fuzzy translations left to review")

    def test_translation_follows_the_template(self):
        """Every string of the template (regenerated from the code) has its translation."""
        for module in MODULES:
            with self.subTest(module=module):
                template = {e["msgid"] for e in self._po(module, f"{module}.pot")}
                translated = {e["msgid"] for e in self._po(module)}
                self.assertFalse(sorted(template - translated)[:10], f"{module}: strings missing from zh_CN.po")

    def test_placeholders_are_kept(self):
        """A translation keeps every %(name)s / %s of its source, or the message breaks at runtime."""
        pattern = re.compile(r"%\([a-z_]+\)[sd]|%[sd]")
        for module in MODULES:
            for entry in self._po(module):
                if not any("code:" in ref for ref in entry["refs"]):
                    continue
                with self.subTest(module=module, msgid=entry["msgid"][:60]):
                    self.assertEqual(sorted(pattern.findall(entry["msgid"])), sorted(pattern.findall(entry["msgstr"])))

    def test_key_labels_read_in_chinese(self):
        Case = self.env["lost.parcel.case"].with_context(lang="zh_CN")
        states = dict(Case._fields["state"]._description_selection(Case.env))
        self.assertEqual(states["to_review"], "待审核")
        self.assertEqual(states["confirmed"], "已确认丢失")
        self.assertEqual(states["reshipped"], "已补发")
        self.assertEqual(states["dismissed"], "非丢失·已关闭")
        self.assertNotIn("驳回", "".join(states.values()), "a dismissed parcel was not lost: never 'rejected'")

        fields_zh = Case.fields_get(["state", "carrier_tracking_ref"], ["string", "selection"])
        self.assertEqual(dict(fields_zh["state"]["selection"])["detected"], "已检测到")

        arch = Case.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('string="确认丢失"', arch)
        self.assertIn('string="非丢失·关闭"', arch)
        self.assertNotIn("驳回", arch)

        wizard = self.env["lost.parcel.confirm.wizard"].with_context(lang="zh_CN")
        wizard_arch = wizard.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('string="确认并补发"', wizard_arch)

        Picking = self.env["stock.picking"].with_context(lang="zh_CN")
        tracking = dict(Picking._fields["tracking_status"]._description_selection(Picking.env))
        self.assertEqual(tracking["in_transit"], "运输中")
        self.assertEqual(tracking["delivered"], "已送达")


@tagged("post_install", "-at_install")
class TestDetectionTextsInChinese(LostParcelCommon):
    """What detection saw is stored as data and read in the reader's language; the chatter keeps
    the company's language whoever runs the code that writes it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        import_chinese(cls.env)
        # Stalled only: the domestic rule flags a parcel without events for 7 days.
        (cls.rule_domestic | cls.rule_international).eta_overdue_days = 0
        cls.rule_domestic.stalled_days = 7
        cls.english = cls.env["lost.parcel.case"].with_context(lang="en_US").env

    def _open_case(self, tracking_ref):
        _order, picking = self._shipped_and_polled(tracking_ref, partner=self.customer_us)
        case = self._detect().filtered(lambda c: c.picking_id == picking)
        self.assertEqual(len(case), 1)
        return case.with_env(self.english)

    def _notes(self, case):
        return " ".join(case.message_ids.mapped("body"))

    def test_a_chinese_user_reads_the_reasons_and_signals_in_chinese(self):
        case = self._open_case("JD0STALLED9901")
        self.assertEqual(case.reason_ids.signal, "stalled")
        self.assertRegex(case.reason_ids.evidence, r"^No tracking event for \d+ days \(threshold 7 days\)$")
        self.assertEqual(case.signals, "Tracking stalled")

        chinese = case.with_context(lang="zh_CN")
        self.assertRegex(chinese.reason_ids.evidence, r"^\d+ 天无轨迹更新（阈值 7 天）$")
        self.assertEqual(chinese.reason_ids.suggested_action, "请承运商追查包裹。")
        self.assertEqual(chinese.signals, "跟踪停滞")
        self.assertEqual(case.reason_ids.evidence[:3], "No ", "the English reader still reads English")

    def test_chatter_notes_are_written_in_the_companys_language(self):
        self.company.partner_id.lang = "zh_CN"
        responsible = new_test_user(
            self.env, "lp_english_reviewer", groups="lost_parcel_reship.group_lost_parcel_user", lang="en_US"
        )
        # An English user's run: re-verified, then a carrier exception, then delivered after all.
        case = self._open_case("JD0STALLED9902")
        case.user_id = responsible
        self.assertIn("包裹被标记为可能丢失", self._notes(case))
        case._reverify()
        self.assertEqual(case.state, "to_review")
        self.assertIn("已向承运商重新核实：无新动态（运输中", self._notes(case))
        self.assertNotIn("Re-verified", self._notes(case))

        self.sandbox.state.set_scenario("JD0STALLED9902", "lost")
        case.picking_id._update_tracking()
        self.assertEqual(case.tracking_status, "exception")
        self.assertIn("承运商现报告 JD0STALLED9902 的状态为", self._notes(case))
        self.assertNotIn("The carrier now reports", self._notes(case))

        self.sandbox.state.set_scenario("JD0STALLED9902", "delivered")
        case.picking_id._update_tracking()
        self.assertIn("承运商现显示包裹已送达", self._notes(case))
        self.assertNotIn("now reports the parcel delivered", self._notes(case))
        # The responsible's to-do is in their own language.
        todo = case.activity_ids.filtered(lambda a: a.activity_type_id == self.env.ref("mail.mail_activity_data_todo"))
        self.assertIn("Lost parcel delivered after all", todo.mapped("summary"))

        # A parcel moving again closes its case as a false alarm, noted in Chinese.
        other = self._open_case("JD0STALLED9903")
        self.sandbox.state.set_scenario("JD0STALLED9903", "in_transit")
        other._reverify()
        self.assertEqual(other.state, "false_alarm")
        self.assertIn("已作为误报关闭", self._notes(other))
        self.assertNotIn("Closed as a false alarm", self._notes(other))
