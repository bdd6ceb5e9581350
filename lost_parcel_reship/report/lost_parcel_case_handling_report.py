from datetime import timedelta

from odoo import fields, models
from odoo.tools import SQL

from .lost_parcel_carrier_scorecard import report_window_days

# The product's promise: a parcel is a case within two hours of its first signal.
PROMISE_HOURS = 2.0
GROUPINGS = [("carrier", "Per Carrier"), ("user", "Per User"), ("month", "Per Month")]
# (column prefix, end of the interval, count of the cases measured) of the handling steps, all
# measured from the first signal. A step no case reached has no median: its count is 0 and the
# views hide its figures (a float column would read 0.00).
STEPS = (
    ("detect", "c.detected_date", "signal_count"),
    ("confirm", "c.confirmed_at", "confirmed_count"),
    ("reship", "c.reship_date", "reshipped_count"),
    ("notify", "c.customer_notified_date", "notified_count"),
)


class LostParcelCaseHandlingReport(models.Model):
    """How fast cases are handled: hours from a parcel's first signal (``first_signal_date``;
    the detection date for a case opened by hand) to the case, to its confirmation, to the
    reship and to the customer's first notice, as median and 90th percentile.

    Medians are no pivot aggregate, so the rows come already grouped: per carrier and per user
    over the dashboard's period (the last 90 days unless the settings say otherwise), per month
    over all time. The user is the case's responsible, else who confirmed it."""

    _name = "lost.parcel.case.handling.report"
    _description = "Case Handling Times"
    _auto = False
    _order = "dimension, month desc, case_count desc, id"
    _depends = {
        "lost.parcel.case": [
            "company_id",
            "carrier_id",
            "user_id",
            "confirmed_by_id",
            "first_signal_date",
            "detected_date",
            "confirmed_at",
            "reship_date",
            "customer_notified_date",
        ]
    }

    dimension = fields.Selection(GROUPINGS, "Per", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    carrier_id = fields.Many2one("delivery.carrier", "Carrier", readonly=True)
    user_id = fields.Many2one("res.users", "User", readonly=True)
    month = fields.Date(readonly=True)
    window_days = fields.Integer("Period (days)", readonly=True, aggregator=False)
    case_count = fields.Integer("Cases", readonly=True)
    signal_count = fields.Integer(
        "With a First Signal",
        readonly=True,
        help="Cases whose parcel's first signal is known (not opened by hand): the detection figures are over them.",
    )
    confirmed_count = fields.Integer("Confirmed", readonly=True)
    reshipped_count = fields.Integer("Reshipped", readonly=True)
    notified_count = fields.Integer("Customer Told", readonly=True)
    detect_within_promise = fields.Float(
        "Detected Within Promise (%)",
        readonly=True,
        digits=(16, 1),
        aggregator=False,
        help="Share of the cases opened within two hours of the parcel's first signal.",
    )
    detect_p50_hours = fields.Float("Signal to Case, Median (h)", readonly=True, digits=(16, 2), aggregator=False)
    detect_p90_hours = fields.Float("Signal to Case, P90 (h)", readonly=True, digits=(16, 2), aggregator=False)
    confirm_p50_hours = fields.Float("To Confirmation, Median (h)", readonly=True, digits=(16, 2), aggregator=False)
    confirm_p90_hours = fields.Float("To Confirmation, P90 (h)", readonly=True, digits=(16, 2), aggregator=False)
    reship_p50_hours = fields.Float("To Reship, Median (h)", readonly=True, digits=(16, 2), aggregator=False)
    reship_p90_hours = fields.Float("To Reship, P90 (h)", readonly=True, digits=(16, 2), aggregator=False)
    notify_p50_hours = fields.Float("To Customer Told, Median (h)", readonly=True, digits=(16, 2), aggregator=False)
    notify_p90_hours = fields.Float("To Customer Told, P90 (h)", readonly=True, digits=(16, 2), aggregator=False)

    def _handling_select(self, grouping, since, days):
        """One grouped SELECT of the report, for ``grouping`` (carrier, user or month)."""
        start = SQL("COALESCE(c.first_signal_date, c.detected_date)")
        hours = {
            prefix: SQL(
                "EXTRACT(EPOCH FROM %s - %s) / 3600.0",
                SQL(end),
                SQL("c.first_signal_date") if prefix == "detect" else start,
            )
            for prefix, end, _count in STEPS
        }
        percentiles = SQL(",\n").join(
            SQL(
                "PERCENTILE_CONT(%s) WITHIN GROUP (ORDER BY %s) AS %s",
                fraction,
                hours[prefix],
                SQL.identifier(f"{prefix}_{label}_hours"),
            )
            for prefix, _end, _count in STEPS
            for fraction, label in ((0.5, "p50"), (0.9, "p90"))
        )
        user = SQL("COALESCE(c.user_id, c.confirmed_by_id)")
        month = SQL("DATE_TRUNC('month', c.detected_date)::date")
        group = {"carrier": SQL("c.carrier_id"), "user": user, "month": month}[grouping]
        null = {"carrier": SQL("NULL::integer"), "user": SQL("NULL::integer"), "month": SQL("NULL::date")}
        columns = [group if name == grouping else null[name] for name in ("carrier", "user", "month")]
        return SQL(
            """
            SELECT %(grouping)s AS dimension, c.company_id,
                   %(carrier)s AS carrier_id, %(user)s AS user_id, %(month)s AS month,
                   %(days)s AS window_days,
                   COUNT(*) AS case_count,
                   COUNT(c.first_signal_date) AS signal_count,
                   COUNT(c.confirmed_at) AS confirmed_count,
                   COUNT(c.reship_date) AS reshipped_count,
                   COUNT(c.customer_notified_date) AS notified_count,
                   100.0 * COUNT(*) FILTER (WHERE %(detect)s <= %(promise)s)
                       / NULLIF(COUNT(%(detect)s), 0) AS detect_within_promise,
                   %(percentiles)s
              FROM lost_parcel_case c
             WHERE %(since)s
          GROUP BY c.company_id, %(group)s
            """,
            grouping=grouping,
            carrier=columns[0],
            user=columns[1],
            month=columns[2],
            days=days if grouping != "month" else None,
            detect=hours["detect"],
            promise=PROMISE_HOURS,
            percentiles=percentiles,
            since=SQL("c.detected_date >= %s", since) if grouping != "month" else SQL("TRUE"),
            group=group,
        )

    @property
    def _table_query(self):
        days = report_window_days(self.env)
        since = fields.Datetime.now() - timedelta(days=days)
        parts = SQL(" UNION ALL ").join(
            SQL("(%s)", self._handling_select(grouping, since, days)) for grouping, _label in GROUPINGS
        )
        return SQL(
            """
            SELECT ROW_NUMBER() OVER (ORDER BY handling.dimension, handling.company_id, handling.carrier_id,
                                      handling.user_id, handling.month) AS id,
                   handling.*
              FROM (%s) handling
            """,
            parts,
        )
