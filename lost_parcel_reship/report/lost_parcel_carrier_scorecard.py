from datetime import timedelta

from odoo import fields, models
from odoo.tools import SQL

DEFAULT_REPORT_DAYS = 90


def report_window_days(env):
    """Days the dashboard looks back (setting ``lost_parcel_reship.report_window_days``)."""
    param = env["ir.config_parameter"].sudo().get_param("lost_parcel_reship.report_window_days")
    return max(int(param or DEFAULT_REPORT_DAYS), 1)


class LostParcelCarrierScorecard(models.Model):
    """One row per carrier and company: its key figures over the dashboard's period (the last
    90 days unless the settings say otherwise), for the managers' kanban cards. Percentiles are
    no pivot aggregate, so the rows come already grouped, from the same SQL as
    ``lost.parcel.shipment.report._lane_statistics``."""

    _name = "lost.parcel.carrier.scorecard"
    _description = "Carrier Scorecard"
    _auto = False
    _rec_name = "carrier_id"
    _order = "company_id, loss_rate desc, shipped desc"
    _depends = {
        "lost.parcel.shipment.report": [],
        "lost.parcel.claim": ["state", "claim_to", "carrier_id", "company_id", "decision_date"],
    }

    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    carrier_id = fields.Many2one("delivery.carrier", "Carrier", readonly=True)
    window_days = fields.Integer("Period (days)", readonly=True)
    shipped = fields.Integer("Parcels Shipped", readonly=True)
    delivered = fields.Integer("Parcels Delivered", readonly=True)
    lost = fields.Integer("Parcels Lost", readonly=True)
    returned = fields.Integer("Parcels Returned", readonly=True)
    delayed = fields.Integer("Parcels Delayed", readonly=True)
    delay_measured = fields.Integer(
        "Parcels Delivered With a Promise",
        readonly=True,
        help="Delivered parcels with a promised date: the delay rate is over them (none: no delay rate).",
    )
    transit_measured = fields.Integer(
        "Parcels Timed",
        readonly=True,
        help="Delivered parcels with a delivery date: the transit days are over them (none: no transit figure).",
    )
    loss_rate = fields.Float("Loss Rate (%)", readonly=True, digits=(16, 2), aggregator=False)
    delay_rate = fields.Float("Delay Rate (%)", readonly=True, digits=(16, 2), aggregator=False)
    transit_mean = fields.Float("Mean Transit Days", readonly=True, digits=(16, 2), aggregator=False)
    transit_p50 = fields.Float("Median Transit Days", readonly=True, digits=(16, 2), aggregator=False)
    transit_p90 = fields.Float("90th Percentile Transit Days", readonly=True, digits=(16, 2), aggregator=False)
    cases = fields.Integer("Cases Opened", readonly=True)
    false_alarms = fields.Integer("False Alarms", readonly=True)
    money_lost = fields.Monetary(readonly=True)
    money_recovered = fields.Monetary(readonly=True)
    claims_rejected = fields.Integer(
        "Claims Rejected",
        readonly=True,
        help="Claims to this carrier it rejected in the period; each keeps the carrier's reason.",
    )

    def _scorecard_group_by(self):
        """The lane statistics' grouping of one row: company and carrier (then the columns of
        the same name a report built on this one adds, such as the destination country)."""
        return ("company_id", "carrier_id")

    @property
    def _table_query(self):
        days = report_window_days(self.env)
        since = fields.Datetime.now() - timedelta(days=days)
        group_by = self._scorecard_group_by()
        lanes = (
            self.env["lost.parcel.shipment.report"]
            .sudo()
            ._lane_statistics_sql(since, group_by, [("carrier_id", "!=", False)], gaps=False)
        )
        groups = SQL(", ").join(SQL.identifier("stats", name) for name in group_by)
        return SQL(
            """
            SELECT ROW_NUMBER() OVER (ORDER BY %(groups)s) AS id,
                   %(groups)s, company.currency_id, %(days)s AS window_days,
                   stats.shipped, stats.delivered, stats.lost, stats.returned, stats.delayed,
                   stats.delay_measured, stats.transit_measured,
                   100.0 * stats.lost / NULLIF(stats.shipped, 0) AS loss_rate,
                   100.0 * stats.delayed / NULLIF(stats.delay_measured, 0) AS delay_rate,
                   stats.transit_mean,
                   stats.transit_percentiles[1] AS transit_p50,
                   stats.transit_percentiles[2] AS transit_p90,
                   stats.cases, stats.false_alarms, stats.money_lost, stats.money_recovered,
                   COALESCE(rejected.claims_rejected, 0) AS claims_rejected
              FROM (%(lanes)s) stats
              JOIN res_company company ON company.id = stats.company_id
         LEFT JOIN (%(rejected)s) rejected
                ON rejected.company_id = stats.company_id AND rejected.carrier_id = stats.carrier_id
            """,
            groups=groups,
            days=days,
            lanes=lanes,
            rejected=self._rejected_claims_sql(since),
        )

    def _rejected_claims_sql(self, since):
        """Claims to each carrier (not to insurers) that it rejected since ``since``, per company."""
        return SQL(
            """
            SELECT claim.company_id, claim.carrier_id, COUNT(*) AS claims_rejected
              FROM lost_parcel_claim claim
             WHERE claim.claim_to = 'carrier' AND claim.state = 'rejected' AND claim.decision_date >= %(since)s
          GROUP BY claim.company_id, claim.carrier_id
            """,
            since=since.date(),
        )

    def _rejected_claims_domain(self):
        self.ensure_one()
        since = fields.Datetime.now() - timedelta(days=self.window_days)
        return [
            ("claim_to", "=", "carrier"),
            ("carrier_id", "=", self.carrier_id.id),
            ("company_id", "=", self.company_id.id),
            ("state", "=", "rejected"),
            ("decision_date", ">=", fields.Date.to_string(since.date())),
        ]

    def action_open_parcels(self):
        """The carrier's parcels of the period in the carrier performance analysis."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("lost_parcel_reship.action_lost_parcel_shipment_report")
        since = fields.Datetime.now() - timedelta(days=self.window_days)
        action["domain"] = [
            ("carrier_id", "=", self.carrier_id.id),
            ("company_id", "=", self.company_id.id),
            ("date_shipped", ">=", fields.Datetime.to_string(since)),
        ]
        action["context"] = {"search_default_group_country": 1}
        return action

    def action_open_rejected_claims(self):
        """The claims the carrier rejected in the period, with their reasons."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("lost_parcel_reship.action_lost_parcel_claim")
        action.update(domain=self._rejected_claims_domain(), context={})
        return action

    def action_open_lanes(self):
        """The carrier's figures per destination country, 90th percentile transit included."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "lost_parcel_reship.action_lost_parcel_carrier_lane_report"
        )
        action["domain"] = [("carrier_id", "=", self.carrier_id.id), ("company_id", "=", self.company_id.id)]
        return action


class LostParcelCarrierLaneReport(models.Model):
    """One row per company, carrier and destination country: the scorecard's figures per lane
    (loss and delay rates, mean, median and 90th percentile transit days, money), from the same
    lane statistics. Percentiles are no pivot aggregate: the carrier performance pivot gives the
    mean transit per lane, this report the percentiles."""

    _name = "lost.parcel.carrier.lane.report"
    _inherit = "lost.parcel.carrier.scorecard"
    _description = "Carrier Performance per Destination"
    _auto = False
    _log_access = False
    _order = "company_id, carrier_id, shipped desc, country_id"

    country_id = fields.Many2one("res.country", "Destination Country", readonly=True)

    def _scorecard_group_by(self):
        return (*super()._scorecard_group_by(), "country_id")

    def action_open_parcels(self):
        """The lane's parcels of the period in the carrier performance analysis."""
        action = super().action_open_parcels()
        action["domain"].append(("country_id", "=", self.country_id.id))
        action["context"] = {"search_default_group_month": 1}
        return action
