import re

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL
from odoo.tools.sql import create_index

from ..models.lost_parcel_case import LOST_STATES
from ..models.sale_order import SALES_CHANNELS

# Destination zones below the state: the first characters of the zip code, letters and digits
# only (US 3-digit sectional centres, UK outward-code areas, NL/DE postal districts).
ZIP_PREFIX_LENGTH = 3
# Returned to the sender, or on its way back: it will not reach the customer either way.
RETURNED_STATUSES = ("returning", "returned")
# Columns of the report that lane statistics may be grouped by.
LANE_GROUP_FIELDS = ("company_id", "carrier_id", "country_id", "state_id", "zip_prefix", "sales_channel")
# Per-parcel columns the lane statistics aggregate.
LANE_PARCEL_FIGURES = (
    "delivered_count",
    "lost_count",
    "returned_count",
    "delayed_count",
    "delay_rate",
    "transit_days",
    "case_count",
    "false_alarm_count",
    "money_lost",
    "money_recovered",
)


def zip_prefix(zip_code):
    """The zip prefix the report groups by, for a zip code typed on an address (Python twin of
    the ``zip_prefix`` column's SQL)."""
    return re.sub(r"[^0-9A-Za-z]", "", zip_code or "")[:ZIP_PREFIX_LENGTH].upper() or False


class LostParcelShipmentReport(models.Model):
    """One row per parcel shipped to a customer: where it went, with whom, through which sales
    channel, whether it arrived, late, lost or back, and what its loss cost. The one place loss
    statistics come from (reship carrier choice, carrier scorecards, high-risk regions, learned
    lane thresholds through ``_lane_statistics``).

    Counts are 0/1 per parcel, so a pivot sums them. Rates are per-parcel 0/100 values averaged
    by the pivot (``aggregator="avg"``): since every row is one parcel, the average of a cell is
    exactly lost / shipped (or delayed / delivered) for whatever grouping the user picks, which a
    ratio stored per row could not give once rows are summed. A parcel that says nothing about a
    rate (not delivered, for the delay rate) has NULL there, which the average skips.

    An SQL view on the pattern of ``sale/report/sale_report.py``: extend ``_select``,
    ``_from`` and ``_where`` to add columns; ``_delay_reference_sql`` is the promised date a
    delivery is late against; ``_select_money_recovered`` is where claims add what carriers and
    insurers paid back.
    """

    _name = "lost.parcel.shipment.report"
    _description = "Carrier Performance Analysis"
    _auto = False
    _rec_name = "picking_id"
    _order = "date_shipped desc"
    _depends = {
        "stock.picking": [
            "state",
            "picking_type_id",
            "partner_id",
            "company_id",
            "carrier_id",
            "date_done",
            "sale_id",
            "tracking_status",
            "tracking_eta",
            "tracking_promised_date",
            "tracking_delivered_date",
        ],
        "res.partner": ["country_id", "state_id", "zip"],
        "sale.order": ["lost_parcel_sales_channel"],
        "lost.parcel.case": ["picking_id", "state", "total_cost", "recovered_amount"],
        # Read by the lane statistics (longest gap between two events).
        "stock.tracking.event": ["picking_id", "occurred_at"],
    }

    picking_id = fields.Many2one("stock.picking", "Delivery", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    carrier_id = fields.Many2one("delivery.carrier", "Carrier", readonly=True)
    country_id = fields.Many2one("res.country", "Destination Country", readonly=True)
    state_id = fields.Many2one("res.country.state", "Destination State", readonly=True)
    zip = fields.Char("Destination Zip", readonly=True)
    zip_prefix = fields.Char("Destination Zip Prefix", readonly=True)
    date_shipped = fields.Datetime("Shipped On", readonly=True)
    date_delivered = fields.Datetime("Delivered On", readonly=True)
    date_promised = fields.Datetime("Promised For", readonly=True, help="The carrier's promised delivery date.")
    sale_id = fields.Many2one("sale.order", "Sale Order", readonly=True)
    sales_channel = fields.Selection(SALES_CHANNELS, readonly=True)
    tracking_status = fields.Selection(
        lambda self: self.env["stock.picking"]._fields["tracking_status"].selection, readonly=True
    )
    parcel_count = fields.Integer("Parcels Shipped", readonly=True, aggregator="sum")
    delivered_count = fields.Integer("Parcels Delivered", readonly=True, aggregator="sum")
    lost_count = fields.Integer("Parcels Lost", readonly=True, aggregator="sum")
    returned_count = fields.Integer(
        "Parcels Returned", readonly=True, aggregator="sum", help="Returned to the sender, or on their way back."
    )
    delayed_count = fields.Integer(
        "Parcels Delayed", readonly=True, aggregator="sum", help="Delivered after the carrier's promised date."
    )
    loss_rate = fields.Float("Loss Rate (%)", readonly=True, aggregator="avg", digits=(16, 2))
    delay_rate = fields.Float(
        "Delay Rate (%)",
        readonly=True,
        aggregator="avg",
        digits=(16, 2),
        help="Share of the delivered parcels with a promised date that arrived after it.",
    )
    transit_days = fields.Float(
        "Transit Days",
        readonly=True,
        aggregator="avg",
        digits=(16, 2),
        help="Shipped to delivered, for delivered parcels.",
    )
    case_count = fields.Integer("Cases Opened", readonly=True, aggregator="sum")
    false_alarm_count = fields.Integer("False Alarms", readonly=True, aggregator="sum")
    money_lost = fields.Monetary(
        "Money Lost",
        readonly=True,
        aggregator="sum",
        help="Total cost of the parcel's lost cases (reshipped goods, reship shipping, compensation, refunds), "
        "in the company currency.",
    )
    money_recovered = fields.Monetary(
        "Money Recovered", readonly=True, aggregator="sum", help="What carriers and insurers paid back for the loss."
    )

    # ------------------------------------------------------------------ indexes
    @api.model
    def _report_indexes(self):
        """Indexes the reports need on the tables they read: (name, table, columns, where).
        The figures of ``tests/benchmarks/bench_reports.py`` show what each one saves."""
        return [
            # Every report reads a period of shipped parcels: only the period's rows, not the
            # whole history of deliveries.
            ("stock_picking_lost_parcel_shipped_index", "stock_picking", ["date_done"], "state = 'done'"),
            # Longest gap between events: each parcel's events in time order.
            ("stock_tracking_event_picking_occurred_index", "stock_tracking_event", ["picking_id", "occurred_at"], ""),
        ]

    def init(self):
        res = super().init()
        for name, table, columns, where in self._report_indexes():
            create_index(self.env.cr, name, table, columns, where=where)
        return res

    # ------------------------------------------------------------------ query
    def _delay_reference_sql(self):
        """The date a delivery is late against: the carrier's first promise
        (``tracking_promised_date``), else its latest ETA. The one place that decides it: the
        report, the lane statistics and every figure built on them read the ``date_promised``
        column."""
        return SQL("COALESCE(p.tracking_promised_date, p.tracking_eta)")

    def _select_money_recovered(self):
        """Money recovered for the parcel, in company currency: what claims to carriers and
        insurers paid back for its cases (``lost.parcel.case.recovered_amount``)."""
        return SQL("COALESCE(cases.money_recovered, 0.0)")

    def _select(self):
        delivered = SQL("(p.tracking_status = 'delivered')")
        reference = self._delay_reference_sql()
        return SQL(
            """
            p.id AS id,
            p.id AS picking_id,
            p.company_id AS company_id,
            company.currency_id AS currency_id,
            p.carrier_id AS carrier_id,
            partner.country_id AS country_id,
            partner.state_id AS state_id,
            partner.zip AS zip,
            NULLIF(UPPER(LEFT(REGEXP_REPLACE(partner.zip, '[^0-9A-Za-z]', '', 'g'), %(zip_length)s)), '')
                AS zip_prefix,
            p.date_done AS date_shipped,
            CASE WHEN %(delivered)s THEN p.tracking_delivered_date END AS date_delivered,
            %(reference)s AS date_promised,
            p.sale_id AS sale_id,
            so.lost_parcel_sales_channel AS sales_channel,
            p.tracking_status AS tracking_status,
            1 AS parcel_count,
            CASE WHEN %(delivered)s THEN 1 ELSE 0 END AS delivered_count,
            CASE WHEN cases.lost THEN 1 ELSE 0 END AS lost_count,
            CASE WHEN p.tracking_status IN %(returned)s THEN 1 ELSE 0 END AS returned_count,
            CASE WHEN %(delivered)s AND p.tracking_delivered_date > %(reference)s THEN 1 ELSE 0 END
                AS delayed_count,
            CASE WHEN cases.lost THEN 100.0 ELSE 0.0 END AS loss_rate,
            CASE WHEN %(delivered)s AND p.tracking_delivered_date IS NOT NULL AND %(reference)s IS NOT NULL
                 THEN CASE WHEN p.tracking_delivered_date > %(reference)s THEN 100.0 ELSE 0.0 END
            END AS delay_rate,
            CASE WHEN %(delivered)s AND p.tracking_delivered_date IS NOT NULL
                 THEN GREATEST(EXTRACT(EPOCH FROM p.tracking_delivered_date - p.date_done) / 86400.0, 0.0)
            END AS transit_days,
            COALESCE(cases.case_count, 0) AS case_count,
            COALESCE(cases.false_alarm_count, 0) AS false_alarm_count,
            COALESCE(cases.money_lost, 0.0) AS money_lost,
            %(recovered)s AS money_recovered
            """,
            zip_length=ZIP_PREFIX_LENGTH,
            delivered=delivered,
            reference=reference,
            returned=RETURNED_STATUSES,
            recovered=self._select_money_recovered(),
        )

    def _from(self):
        return SQL(
            """
            stock_picking p
            JOIN stock_picking_type picking_type ON picking_type.id = p.picking_type_id
            JOIN res_company company ON company.id = p.company_id
            LEFT JOIN res_partner partner ON partner.id = p.partner_id
            LEFT JOIN sale_order so ON so.id = p.sale_id
            LEFT JOIN (
                SELECT c.picking_id,
                       COUNT(*) AS case_count,
                       COUNT(*) FILTER (WHERE c.state = 'false_alarm') AS false_alarm_count,
                       BOOL_OR(c.state IN %(lost_states)s) AS lost,
                       SUM(c.total_cost) FILTER (WHERE c.state IN %(lost_states)s) AS money_lost,
                       SUM(c.recovered_amount) AS money_recovered
                  FROM lost_parcel_case c
              GROUP BY c.picking_id
            ) cases ON cases.picking_id = p.id
            """,
            lost_states=LOST_STATES,
        )

    def _where(self):
        return SQL("p.state = 'done' AND picking_type.code = 'outgoing'")

    @property
    def _table_query(self):
        return SQL("SELECT %s FROM %s WHERE %s", self._select(), self._from(), self._where())

    # ------------------------------------------------------------------ figures
    @api.model
    def _lane_parcels_query(self, since, domain=None):
        """The parcels shipped since ``since`` that match ``domain`` (a domain on this report;
        the user's record rules apply), as a Query on this report."""
        domain = list(domain or [])
        if since:
            domain.append(("date_shipped", ">=", since))
        return self._search(domain)

    @api.model
    def _check_lane_group_by(self, group_by):
        group_by = tuple(group_by)
        unknown = [name for name in group_by if name not in LANE_GROUP_FIELDS]
        if unknown or not group_by:
            raise UserError(
                self.env._(
                    "Loss statistics are grouped by %(allowed)s, not by %(asked)s.",
                    allowed=", ".join(LANE_GROUP_FIELDS),
                    asked=", ".join(unknown) or "-",
                )
            )
        return group_by

    @api.model
    def _lane_statistics_sql(self, since, group_by=("carrier_id", "country_id"), domain=None, gaps=True):
        """The SQL of ``_lane_statistics``: one row per group, the group columns then the
        figures. The carrier scorecard view is this query."""
        group_by = self._check_lane_group_by(group_by)
        parcels = self._lane_parcels_query(since, domain)
        selected = [SQL.identifier(parcels.table, name) for name in ("id", *group_by, *LANE_PARCEL_FIGURES)]
        groups = SQL(", ").join(SQL.identifier("parcels", name) for name in group_by)
        return SQL(
            """
            WITH parcels AS (%(parcels)s)
            SELECT %(groups)s,
                   COUNT(*) AS shipped,
                   SUM(parcels.delivered_count) AS delivered,
                   SUM(parcels.lost_count) AS lost,
                   SUM(parcels.returned_count) AS returned,
                   SUM(parcels.delayed_count) AS delayed,
                   COUNT(parcels.delay_rate) AS delay_measured,
                   COUNT(parcels.transit_days) AS transit_measured,
                   SUM(parcels.case_count) AS cases,
                   SUM(parcels.false_alarm_count) AS false_alarms,
                   SUM(parcels.money_lost) AS money_lost,
                   SUM(parcels.money_recovered) AS money_recovered,
                   AVG(parcels.transit_days) AS transit_mean,
                   PERCENTILE_CONT(ARRAY[0.5, 0.9, 0.95]) WITHIN GROUP (ORDER BY parcels.transit_days)
                       AS transit_percentiles,
                   %(gap_p95)s AS gap_p95,
                   %(second_gap_p95)s AS second_gap_p95
              FROM parcels
              %(gaps_join)s
          GROUP BY %(groups)s
            """,
            parcels=parcels.select(*selected),
            groups=groups,
            gap_p95=SQL("PERCENTILE_CONT(0.95) WITHIN GROUP (ORDER BY gaps.gap_days)") if gaps else SQL("NULL::float"),
            second_gap_p95=SQL("PERCENTILE_CONT(0.95) WITHIN GROUP (ORDER BY gaps.second_gap_days)")
            if gaps
            else SQL("NULL::float"),
            gaps_join=self._lane_gaps_join_sql() if gaps else SQL(),
        )

    def _lane_gaps_join_sql(self):
        """Longest gap (days) between two consecutive tracking events of each delivered parcel,
        joined to ``parcels`` as ``gaps.gap_days``, and its second-longest as ``gaps.second_gap_days``
        (0 with a single gap): one index scan of the parcel's events each (the costly part of the
        lane statistics, hence optional)."""
        return SQL(
            """
            LEFT JOIN LATERAL (
                SELECT MAX(steps.gap) AS gap_days,
                       CASE WHEN MAX(steps.gap) IS NOT NULL
                            THEN COALESCE((ARRAY_AGG(steps.gap ORDER BY steps.gap DESC)
                                           FILTER (WHERE steps.gap IS NOT NULL))[2], 0)
                       END AS second_gap_days
                  FROM (
                    SELECT EXTRACT(EPOCH FROM e.occurred_at - LAG(e.occurred_at) OVER (ORDER BY e.occurred_at))
                               / 86400.0 AS gap
                      FROM stock_tracking_event e
                     WHERE e.picking_id = parcels.id AND parcels.delivered_count = 1
                  ) steps
            ) gaps ON TRUE
            """
        )

    @api.model
    def _lane_statistics(self, since, group_by=("carrier_id", "country_id"), domain=None, gaps=True):
        """Shipping figures of the parcels shipped since ``since`` (a datetime, or False for all
        time) that match ``domain`` (a domain on this report), grouped by ``group_by`` (names
        among ``LANE_GROUP_FIELDS``): one query, whatever the number of parcels and groups.

        Rates are fractions (0.25 for 25 %), or None when nothing was measured: ``loss_rate``
        is lost / shipped, ``delay_rate`` delayed / delivered parcels with a promised date.
        Transit days (shipped to delivered) and the longest gap between two consecutive
        tracking events (in days) are over delivered parcels; None without one. The gaps cost
        one index scan per delivered parcel: ``gaps=False`` leaves them out (``gap_p95`` None). Money is in the
        company currency (group by ``company_id`` to keep companies apart).

        :return: {(value of each group_by field: an id, a code, or False): {
            "shipped", "delivered", "lost", "returned", "delayed": int,
            "loss_rate", "delay_rate": float or None,
            "transit_mean", "transit_p50", "transit_p90", "transit_p95", "gap_p95", "second_gap_p95":
            float or None,
            "cases", "false_alarms": int, "money_lost", "money_recovered": float,
            "delay_measured", "transit_measured": int (parcels the delay rate and the transit
            figures are over)}}
        """
        group_by = tuple(group_by)
        rows = self.env.execute_query_dict(self._lane_statistics_sql(since, group_by, domain, gaps=gaps))
        stats = {}
        for row in rows:
            key = tuple(row[name] if row[name] is not None else False for name in group_by)
            shipped, lost, delayed, measured = (
                int(row[name] or 0) for name in ("shipped", "lost", "delayed", "delay_measured")
            )
            p50, p90, p95 = row["transit_percentiles"] or (None, None, None)
            stats[key] = {
                "shipped": shipped,
                "delivered": int(row["delivered"] or 0),
                "lost": lost,
                "returned": int(row["returned"] or 0),
                "delayed": delayed,
                "loss_rate": lost / shipped if shipped else None,
                "delay_rate": delayed / measured if measured else None,
                "transit_mean": row["transit_mean"],
                "transit_p50": p50,
                "transit_p90": p90,
                "transit_p95": p95,
                "gap_p95": row["gap_p95"],
                "second_gap_p95": row["second_gap_p95"],
                "cases": int(row["cases"] or 0),
                "false_alarms": int(row["false_alarms"] or 0),
                "money_lost": row["money_lost"] or 0.0,
                "money_recovered": row["money_recovered"] or 0.0,
                "delay_measured": measured,
                "transit_measured": int(row["transit_measured"] or 0),
            }
        return stats

    @api.model
    def _loss_stats(self, carriers, country, since, company=None):
        """Parcels of ``company`` (default: the current one) shipped to ``country`` since
        ``since`` and how many of them were lost, per carrier of ``carriers``: the lane
        statistics, one query.

        :return: {carrier id: (lost, shipped)}
        """
        if not carriers:
            return {}
        company = company or self.env.company
        stats = self._lane_statistics(
            since,
            ("carrier_id",),
            [("carrier_id", "in", carriers.ids), ("country_id", "=", country.id), ("company_id", "=", company.id)],
            gaps=False,
        )
        return {key[0]: (figures["lost"], figures["shipped"]) for key, figures in stats.items()}
