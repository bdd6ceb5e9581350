from freezegun import freeze_time

from odoo import fields
from odoo.tests import new_test_user, tagged

from .report_common import ReportCommon


@tagged("post_install", "-at_install")
class TestReportHandling(ReportCommon):
    """Case handling times, from a parcel's first signal (here: the carrier's "lost" event).

    Day D (200 days ago, noon), hours relative to D:

    ====  =======  =====  ===========  =========  =======  ========  ===============
    case  carrier  user   lost event   detected   confirm  reship    customer told
    ====  =======  =====  ===========  =========  =======  ========  ===============
    A     DHL      Ann    -3           -1         +1       +3        +5 (reship out)
    B     DHL      Bob    -4           0          +2       +6        -
    C     PostNL   Ann    -1           -0.5       +3       -         -
    D     PostNL   Bob    -2           0          -        -         -
    ====  =======  =====  ===========  =========  =======  ========  ===============
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].set_param("lost_parcel_reship.report_window_days", 365)
        cls.ann = new_test_user(cls.env, "rpt_ann", groups="lost_parcel_reship.group_lost_parcel_user")
        cls.bob = new_test_user(cls.env, "rpt_bob", groups="lost_parcel_reship.group_lost_parcel_user")
        cls.manager = new_test_user(cls.env, "rpt_boss", groups="lost_parcel_reship.group_lost_parcel_manager")
        cls.day = D = cls._at(cls.now, -200).replace(hour=12, minute=0, second=0)
        plan = {
            "A": (cls.carrier, cls.ann, -3, -1, 1, 3, 5),
            "B": (cls.carrier, cls.bob, -4, 0, 2, 6, None),
            "C": (cls.postnl, cls.ann, -1, -0.5, 3, None, None),
            "D": (cls.postnl, cls.bob, -2, 0, None, None, None),
        }
        cls.cases = {}
        for name, (carrier, user, event, detected, confirm, reship, told) in plan.items():
            _order, picking = cls._sell_and_ship(f"RPTLOSTH{name}", carrier=carrier, shipped=cls._at(D, -6))
            cls._store_tracking(
                picking,
                "exception",
                [(cls._at(D, -5), "in_transit"), (cls._at(D, hours=event), "exception")],
                exception_kind="lost",
            )
            found = cls.env["lost.parcel.rule"]._detect_lost_parcels(now=cls._at(D, hours=detected))
            case = found.filtered(lambda c, p=picking: c.picking_id == p)
            case.user_id = user
            cls.cases[name] = case
            if confirm is not None:
                with freeze_time(cls._at(D, hours=confirm)):
                    case.with_user(user)._confirm_lost(fields.Date.to_date(cls._at(D, hours=confirm)), "LOSS")
            if reship is not None:
                with freeze_time(cls._at(D, hours=reship)):
                    case.with_user(user).action_reship()
            if told is not None:
                with freeze_time(cls._at(D, hours=told)):
                    cls._validate(case.reship_picking_id, f"RPTINTRANSITH{name}")

    def _rows(self, dimension, **where):
        domain = [("dimension", "=", dimension), ("company_id", "=", self.company.id)]
        domain += [(name, "=", value.id if hasattr(value, "id") else value) for name, value in where.items()]
        return self.env["lost.parcel.case.handling.report"].with_user(self.manager).search(domain)

    def _figures(self, row):
        """The figures as the views show them: a step no case reached has none (its count of
        measured cases is 0 and the views hide its median and P90), never 0.00 hours."""

        def step(count, p50, p90):
            return (p50, p90) if count else None

        return {
            "cases": row.case_count,
            "signals": row.signal_count,
            "confirmed": row.confirmed_count,
            "reshipped": row.reshipped_count,
            "notified": row.notified_count,
            "within_promise": row.detect_within_promise if row.signal_count else None,
            "detect": step(row.signal_count, row.detect_p50_hours, row.detect_p90_hours),
            "confirm": step(row.confirmed_count, row.confirm_p50_hours, row.confirm_p90_hours),
            "reship": step(row.reshipped_count, row.reship_p50_hours, row.reship_p90_hours),
            "notify": step(row.notified_count, row.notify_p50_hours, row.notify_p90_hours),
        }

    def assertFigures(self, row, expected):
        self.assertEqual(len(row), 1)
        figures = self._figures(row)
        for key, value in expected.items():
            if value is None:
                self.assertIsNone(figures[key], msg=f"{key}: no value, not {figures[key]}")
            elif isinstance(value, tuple):
                for got, want in zip(figures[key], value, strict=True):
                    self.assertAlmostEqual(got, want, places=6, msg=key)
            else:
                self.assertAlmostEqual(figures[key], value, places=6, msg=key)

    def test_cases_were_handled_through_the_flow(self):
        a, b, c, d = (self.cases[name] for name in "ABCD")
        self.assertEqual([case.state for case in (a, b, c, d)], ["reshipped", "reshipped", "confirmed", "detected"])
        self.assertEqual(a.first_signal_date, self._at(self.day, hours=-3))
        self.assertEqual(a.detected_date, self._at(self.day, hours=-1))
        self.assertEqual(a.confirmed_at, self._at(self.day, hours=1))
        self.assertEqual(a.confirmed_by_id, self.ann)
        self.assertEqual(a.reship_date, self._at(self.day, hours=3))
        self.assertEqual(a.customer_notified_date, self._at(self.day, hours=5))
        self.assertFalse(b.customer_notified_date, "B's reship has not left")

    def test_per_carrier(self):
        # DHL: detection 2 h and 4 h, confirmation 4 h and 6 h, reship 6 h and 10 h, customer told 8 h.
        self.assertFigures(
            self._rows("carrier", carrier_id=self.carrier),
            {
                "cases": 2,
                "confirmed": 2,
                "reshipped": 2,
                "notified": 1,
                "within_promise": 50.0,
                "detect": (3.0, 3.8),
                "confirm": (5.0, 5.8),
                "reship": (8.0, 9.6),
                "notify": (8.0, 8.0),
            },
        )
        # PostNL: detection 0.5 h and 2 h (the promise, kept), C confirmed after 4 h, nothing
        # reshipped: no reship time at all, rather than 0 hours.
        self.assertFigures(
            self._rows("carrier", carrier_id=self.postnl),
            {
                "cases": 2,
                "signals": 2,
                "confirmed": 1,
                "reshipped": 0,
                "notified": 0,
                "within_promise": 100.0,
                "detect": (1.25, 1.85),
                "confirm": (4.0, 4.0),
                "reship": None,
                "notify": None,
            },
        )

    def test_unmeasured_steps_are_hidden_not_zero(self):
        """Each step's median and P90 are hidden where no case reached the step."""
        Report = self.env["lost.parcel.case.handling.report"]
        views = Report.get_views([(False, "list"), (False, "form")])["views"]
        for view_type in ("list", "form"):
            arch = views[view_type]["arch"]
            for prefix, count in (
                ("detect", "signal_count"),
                ("confirm", "confirmed_count"),
                ("reship", "reshipped_count"),
                ("notify", "notified_count"),
            ):
                for figure in ("p50", "p90"):
                    with self.subTest(view=view_type, field=f"{prefix}_{figure}_hours"):
                        self.assertRegex(arch, rf'<field name="{prefix}_{figure}_hours"[^>]*invisible="not {count}"')
            self.assertRegex(arch, r'<field name="detect_within_promise"[^>]*invisible="not signal_count"')
        # A case opened by hand has no first signal: it counts as a case, not in the detection figures.
        ups = self._create_carrier("UPS (test)", self.account)
        _order, picking = self._sell_and_ship("RPTMANUALH", carrier=ups, shipped=self._at(self.day, -6))
        self.Case.create({"picking_id": picking.id})
        manual = self._rows("carrier", carrier_id=ups)
        self.assertFigures(manual, {"cases": 1, "signals": 0, "within_promise": None, "detect": None})

    def test_per_user_and_month(self):
        self.assertFigures(
            self._rows("user", user_id=self.ann),
            {"cases": 2, "detect": (1.25, 1.85), "confirm": (4.0, 4.0), "reship": (6.0, 6.0), "notify": (8.0, 8.0)},
        )
        self.assertFigures(
            self._rows("user", user_id=self.bob),
            {"cases": 2, "within_promise": 50.0, "detect": (3.0, 3.8), "confirm": (6.0, 6.0), "reship": (10.0, 10.0)},
        )
        month = self._rows("month", month=fields.Date.to_date(self.day).replace(day=1))
        # Detection 0.5, 2, 2, 4 h: median 2 h, p90 3.4 h; confirmation 4, 4, 6 h.
        self.assertFigures(
            month,
            {
                "cases": 4,
                "confirmed": 3,
                "within_promise": 75.0,
                "detect": (2.0, 3.4),
                "confirm": (4.0, 5.6),
                "reship": (8.0, 9.6),
            },
        )

    def test_period_of_the_dashboard(self):
        self.env["ir.config_parameter"].set_param("lost_parcel_reship.report_window_days", 90)
        self.assertFalse(self._rows("carrier", carrier_id=self.carrier), "cases of 200 days ago: out of 90 days")
        self.assertTrue(self._rows("month", month=fields.Date.to_date(self.day).replace(day=1)), "months: all time")
