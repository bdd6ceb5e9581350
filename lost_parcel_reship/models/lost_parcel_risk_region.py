"""High-risk destinations and routes: where parcels get lost more than the company accepts.

The list is recomputed by a scheduled action from the carrier performance report
(``lost.parcel.shipment.report``) in one grouped query per run; sale orders and deliveries to a
listed destination show a warning with the loss rate and the safer carrier.
"""

from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from ..report.lost_parcel_shipment_report import zip_prefix

KINDS = [("country", "Country"), ("state", "State"), ("zip", "Zip Prefix"), ("route", "Route")]
DEFAULT_WINDOW_DAYS = 90
DEFAULT_THRESHOLD = 5.0
DEFAULT_MIN_PARCELS = 30
# Grouping sets of the computation: destinations, and the same destinations per carrier (for
# the routes and the safer carrier). Each set keeps companies apart.
DESTINATION_SETS = {
    "country": ("country_id",),
    "state": ("country_id", "state_id"),
    "zip": ("country_id", "zip_prefix"),
}


class LostParcelRiskRegion(models.Model):
    _name = "lost.parcel.risk.region"
    _description = "High-Risk Region"
    _order = "company_id, loss_rate desc, shipped desc, id"
    _check_company_auto = True

    # ------------------------------------------------------------------ fields
    name = fields.Char(compute="_compute_name", store=True)
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    kind = fields.Selection(KINDS, required=True, readonly=True)
    carrier_id = fields.Many2one(
        "delivery.carrier", "Carrier", readonly=True, index=True, help="For a route: the carrier that loses parcels."
    )
    country_id = fields.Many2one("res.country", "Country", required=True, readonly=True, index=True)
    state_id = fields.Many2one("res.country.state", "State", readonly=True)
    zip_prefix = fields.Char(readonly=True)
    shipped = fields.Integer("Parcels Shipped", readonly=True)
    lost = fields.Integer("Parcels Lost", readonly=True)
    loss_rate = fields.Float("Loss Rate (%)", readonly=True, digits=(16, 2), aggregator="max")
    money_lost = fields.Monetary(readonly=True)
    window_days = fields.Integer("Over (days)", readonly=True)
    threshold = fields.Float("Threshold (%)", readonly=True, digits=(16, 2))
    suggested_carrier_id = fields.Many2one(
        "delivery.carrier",
        "Safer Carrier",
        readonly=True,
        help="The shipping method serving this destination with the lowest measured loss rate there.",
    )
    suggested_loss_rate = fields.Float("Safer Carrier Loss Rate (%)", readonly=True, digits=(16, 2))
    computed_at = fields.Datetime(readonly=True)

    @api.depends("kind", "country_id", "state_id", "zip_prefix", "carrier_id")
    def _compute_name(self):
        for region in self:
            place = region.country_id.name or ""
            if region.kind == "state":
                place = f"{region.state_id.name}, {place}"
            elif region.kind == "zip":
                place = f"{place} {region.zip_prefix}…"
            region.name = f"{region.carrier_id.name} → {place}" if region.kind == "route" else place

    # ------------------------------------------------------------------ settings
    @api.model
    def _settings(self):
        """(window days, threshold %, minimum parcels) from the settings."""
        param = self.env["ir.config_parameter"].sudo().get_param
        return (
            int(param("lost_parcel_reship.risk_window_days") or DEFAULT_WINDOW_DAYS),
            float(param("lost_parcel_reship.risk_threshold") or DEFAULT_THRESHOLD),
            int(param("lost_parcel_reship.risk_min_parcels") or DEFAULT_MIN_PARCELS),
        )

    # ------------------------------------------------------------------ actions
    def action_recompute(self):
        """Button of the list: recompute now for the companies the manager works in."""
        if not self.env.user.has_group("lost_parcel_reship.group_lost_parcel_manager"):
            raise AccessError(self.env._("Only lost parcel managers recompute the high-risk regions."))
        self._compute_risk_regions(self.env.companies)
        return {"type": "ir.actions.client", "tag": "soft_reload"}

    @api.model
    def _cron_compute_risk_regions(self):
        return self._compute_risk_regions(self.env["res.company"].sudo().search([]))

    # ------------------------------------------------------------------ computation
    @api.model
    def _compute_risk_regions(self, companies, now=None):
        """Replace the list of ``companies`` with what the shipped parcels of the window say:
        one grouped query for every destination level and route, then one delete and one
        insert; the safer carriers are picked in memory from the same figures.

        :return: the new regions
        """
        now = now or fields.Datetime.now()
        window, threshold, min_parcels = self._settings()
        rows = self._risk_figures(companies, now - timedelta(days=window))
        carriers = self.env["delivery.carrier"].sudo().browse({row["carrier_id"] for row in rows if row["carrier_id"]})
        carriers = carriers.filtered("active")
        # {(level, company, destination): [(rate, carrier)]} of measured carriers.
        by_carrier = {}
        vals_list = []
        for row in rows:
            if row["shipped"] < min_parcels:
                continue
            rate = 100.0 * row["lost"] / row["shipped"]
            key = self._destination_key(row["level"], row)
            if row["by_carrier"]:
                if not row["carrier_id"]:
                    continue
                by_carrier.setdefault(key, []).append((rate, row["carrier_id"]))
                if row["level"] == "country" and rate > threshold:
                    vals_list.append(self._prepare_risk_region_vals("route", row, rate, window, threshold, now))
            elif rate > threshold:
                vals_list.append(self._prepare_risk_region_vals(row["level"], row, rate, window, threshold, now))
        for vals in vals_list:
            level = "country" if vals["kind"] == "route" else vals["kind"]
            key = self._destination_key(level, vals)
            safer, safer_rate = self._safer_carrier(vals, by_carrier.get(key, []), carriers)
            if safer:
                vals.update(suggested_carrier_id=safer.id, suggested_loss_rate=safer_rate)
        Region = self.sudo()
        Region.search([("company_id", "in", companies.ids)]).unlink()
        return Region.create(vals_list).sudo(False)

    @api.model
    def _destination_key(self, level, values):
        return (
            level,
            values["company_id"],
            values["country_id"],
            values["state_id"] or False,
            values["zip_prefix"] or False,
        )

    @api.model
    def _risk_figures(self, companies, since):
        """Shipped and lost parcels since ``since`` per company and destination level
        (country, state, zip prefix), with and without the carrier: one query with grouping
        sets on the carrier performance report."""
        Report = self.env["lost.parcel.shipment.report"].sudo()
        parcels = Report._lane_parcels_query(since, [("company_id", "in", companies.ids), ("country_id", "!=", False)])
        table = parcels.table
        columns = ("company_id", "carrier_id", "country_id", "state_id", "zip_prefix", "lost_count", "money_lost")
        sets = [
            SQL("(%s)", SQL(", ").join(SQL.identifier("parcels", name) for name in group))
            for names in DESTINATION_SETS.values()
            for group in (("company_id", *names), ("company_id", "carrier_id", *names))
        ]
        query = SQL(
            """
            WITH parcels AS (%(parcels)s)
            SELECT CASE WHEN GROUPING(parcels.state_id) = 0 THEN 'state'
                        WHEN GROUPING(parcels.zip_prefix) = 0 THEN 'zip'
                        ELSE 'country' END AS level,
                   GROUPING(parcels.carrier_id) = 0 AS by_carrier,
                   parcels.company_id, parcels.carrier_id, parcels.country_id, parcels.state_id,
                   parcels.zip_prefix,
                   COUNT(*) AS shipped,
                   SUM(parcels.lost_count) AS lost,
                   SUM(parcels.money_lost) AS money_lost
              FROM parcels
          GROUP BY GROUPING SETS (%(sets)s)
            HAVING (GROUPING(parcels.state_id) = 1 OR parcels.state_id IS NOT NULL)
               AND (GROUPING(parcels.zip_prefix) = 1 OR parcels.zip_prefix IS NOT NULL)
            """,
            parcels=parcels.select(*(SQL.identifier(table, name) for name in columns)),
            sets=SQL(", ").join(sets),
        )
        return self.env.execute_query_dict(query)

    @api.model
    def _prepare_risk_region_vals(self, kind, row, rate, window, threshold, now):
        return {
            "company_id": row["company_id"],
            "kind": kind,
            "carrier_id": row["carrier_id"] if kind == "route" else False,
            "country_id": row["country_id"],
            "state_id": row["state_id"] if kind == "state" else False,
            "zip_prefix": row["zip_prefix"] if kind == "zip" else False,
            "shipped": row["shipped"],
            "lost": row["lost"],
            "loss_rate": rate,
            "money_lost": row["money_lost"] or 0.0,
            "window_days": window,
            "threshold": threshold,
            "computed_at": now,
        }

    @api.model
    def _safer_carrier(self, vals, measured, carriers):
        """The active shipping method of the company that serves the destination (Odoo's own
        address rules of the method) with the lowest measured loss rate there, if lower than the
        region's; never the route's own carrier.

        :return: (carrier or None, its loss rate in %)"""
        destination = self.env["res.partner"].new(
            {
                "country_id": vals["country_id"],
                "state_id": vals["state_id"],
                "zip": vals["zip_prefix"] or False,
            }
        )
        for rate, carrier_id in sorted(measured, key=lambda item: (item[0], item[1])):
            carrier = carriers.filtered(lambda c, cid=carrier_id: c.id == cid)
            if not carrier or carrier.id == vals["carrier_id"] or rate >= vals["loss_rate"]:
                continue
            if carrier.company_id and carrier.company_id.id != vals["company_id"]:
                continue
            if carrier._match_address(destination):
                return carrier, rate
        return None, 0.0

    # ------------------------------------------------------------------ warnings
    @api.model
    def _regions_for(self, company, partner, carrier=None):
        """The listed regions that a shipment of ``company`` to ``partner`` with ``carrier``
        falls in, riskiest first."""
        regions = self.sudo().search([("company_id", "=", company.id), ("country_id", "=", partner.country_id.id)])
        prefix = zip_prefix(partner.zip)
        return regions.filtered(
            lambda r: (
                r.kind == "country"
                or (r.kind == "state" and r.state_id == partner.state_id)
                or (r.kind == "zip" and prefix and r.zip_prefix == prefix)
                or (r.kind == "route" and carrier and r.carrier_id == carrier)
            )
        ).sorted(lambda r: (-r.loss_rate, r.id))

    def _advice_lines(self, carrier=None, partner=None):
        """What to tell a person shipping to these regions (to ``partner``): one line each with
        the loss rate and the safer carrier, then the insurance to buy
        (``lost.parcel.insurance.rule._high_risk_advice``). Override and extend the list to add
        advice."""
        lines = []
        for region in self:
            line = self.env._(
                "%(region)s: %(rate).1f%% of parcels lost over the last %(days)s days (%(lost)s of %(shipped)s).",
                region=region.name,
                rate=region.loss_rate,
                days=region.window_days,
                lost=region.lost,
                shipped=region.shipped,
            )
            safer = region.suggested_carrier_id
            if safer and safer != carrier:
                line += " " + self.env._(
                    "Safer carrier: %(carrier)s (%(rate).1f%% lost).",
                    carrier=safer.name,
                    rate=region.suggested_loss_rate,
                )
            lines.append(line)
        if self and partner:
            lines.append(self.env["lost.parcel.insurance.rule"]._high_risk_advice(self[0].company_id, partner, carrier))
        return lines

    @api.model
    def _warning_for(self, company, partner, carrier=None):
        """The warning text for a shipment, or False when the destination is not listed."""
        if not partner or not partner.country_id:
            return False
        regions = self._regions_for(company, partner, carrier)
        if not regions:
            return False
        lines = regions._advice_lines(carrier, partner)
        return "\n".join([self.env._("High-risk destination for lost parcels."), *lines])
