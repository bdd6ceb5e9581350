from datetime import timedelta

from odoo import api, fields, models

# Days of delivered history a lane's normal is learned from.
DEFAULT_LANE_WINDOW_DAYS = 180


class LostParcelLane(models.Model):
    """What is normal on a lane, learned from the seller's own delivered parcels: how long
    parcels of a carrier take to a destination, and the longest quiet spell between two
    tracking events, and the second-longest one (most lanes have one long leg: a flight, a ship,
    customs). Detection rules in "learned" mode flag a parcel when it goes past its lane's 95th
    percentile instead of a fixed number of days.

    Lanes are carrier x destination country, plus one lane per carrier over all its
    destinations (``country_id`` empty): the fallback for a country with too few deliveries.
    Recomputed by a scheduled action from ``lost.parcel.shipment.report._lane_statistics``,
    the same figures as the carrier reports.
    """

    _name = "lost.parcel.lane"
    _description = "Lost Parcel Lane Normal"
    _order = "company_id, carrier_id, country_id"
    _rec_names_search = ["carrier_id", "country_id"]

    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    carrier_id = fields.Many2one("delivery.carrier", "Carrier", required=True, readonly=True, index=True)
    country_id = fields.Many2one(
        "res.country", "Destination Country", readonly=True, index=True, help="Empty: all the carrier's destinations."
    )
    shipped = fields.Integer("Parcels Shipped", readonly=True)
    delivered = fields.Integer("Parcels Delivered", readonly=True, help="The sample the figures are learned from.")
    lost = fields.Integer("Parcels Lost", readonly=True)
    loss_rate = fields.Float("Loss Rate (%)", readonly=True, digits=(16, 2))
    transit_p50 = fields.Float("Median Transit (days)", readonly=True, digits=(16, 1))
    transit_p95 = fields.Float("Transit, 95% Within (days)", readonly=True, digits=(16, 1))
    gap_p95 = fields.Float(
        "Longest Quiet Spell, 95% Within (days)",
        readonly=True,
        digits=(16, 1),
        help="95% of the delivered parcels never went longer than this without a tracking event.",
    )
    second_gap_p95 = fields.Float(
        "Second-Longest Quiet Spell, 95% Within (days)",
        readonly=True,
        digits=(16, 1),
        help="95% of the delivered parcels never had a second quiet spell longer than this: once a parcel has been "
        "through its long leg (a flight, a ship, customs), a quiet spell past this is not normal any more.",
    )
    window_days = fields.Integer("Learned Over (days)", readonly=True)
    computed_date = fields.Datetime("Computed On", readonly=True)

    def _compute_display_name(self):
        for lane in self:
            destination = lane.country_id.name or self.env._("all destinations")
            lane.display_name = f"{lane.carrier_id.name} → {destination}"

    @api.model
    def _window_days(self):
        param = self.env["ir.config_parameter"].sudo().get_param("lost_parcel_reship.lane_window_days")
        return int(param or DEFAULT_LANE_WINDOW_DAYS)

    @api.model
    def _cron_compute_lanes(self):
        return self.sudo()._compute_lanes()

    @api.model
    def _compute_lanes(self, now=None):
        """Replace every lane by the figures of the last window: two grouped queries for all
        companies (per country, and per carrier over all countries), one delete, one insert."""
        now = now or fields.Datetime.now()
        window = self._window_days()
        Report = self.env["lost.parcel.shipment.report"]
        since = now - timedelta(days=window)
        per_country = Report._lane_statistics(since, group_by=("company_id", "carrier_id", "country_id"))
        per_carrier = Report._lane_statistics(since, group_by=("company_id", "carrier_id"))
        rows = [((company, carrier, country), stats) for (company, carrier, country), stats in per_country.items()]
        rows += [((company, carrier, False), stats) for (company, carrier), stats in per_carrier.items()]
        vals_list = [
            {
                "company_id": company,
                "carrier_id": carrier,
                "country_id": country,
                "shipped": stats["shipped"],
                "delivered": stats["delivered"],
                "lost": stats["lost"],
                "loss_rate": (stats["loss_rate"] or 0.0) * 100,
                "transit_p50": stats["transit_p50"] or 0.0,
                "transit_p95": stats["transit_p95"] or 0.0,
                "gap_p95": stats["gap_p95"] or 0.0,
                "second_gap_p95": stats["second_gap_p95"] or 0.0,
                "window_days": window,
                "computed_date": now,
            }
            for (company, carrier, country), stats in rows
            if company and carrier
        ]
        self.search([]).unlink()
        return self.create(vals_list)
