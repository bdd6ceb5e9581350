from odoo import api, fields, models
from odoo.tools import SQL

from ..models.lost_parcel_case import LOST_STATES


class LostParcelShipmentReport(models.Model):
    """One row per parcel shipped to a customer: where it went, with whom, and whether it was
    lost. The one place loss statistics come from (reship carrier choice, reports).

    An SQL view on the pattern of ``sale/report/sale_report.py``: extend ``_select``,
    ``_from`` and ``_where`` to add columns.
    """

    _name = "lost.parcel.shipment.report"
    _description = "Shipped Parcels Analysis"
    _auto = False
    _rec_name = "picking_id"
    _order = "date_shipped desc"

    picking_id = fields.Many2one("stock.picking", "Delivery", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    carrier_id = fields.Many2one("delivery.carrier", "Carrier", readonly=True)
    country_id = fields.Many2one("res.country", "Destination Country", readonly=True)
    state_id = fields.Many2one("res.country.state", "Destination State", readonly=True)
    zip = fields.Char("Destination Zip", readonly=True)
    date_shipped = fields.Datetime("Shipped On", readonly=True)
    sale_id = fields.Many2one("sale.order", "Sale Order", readonly=True)
    parcel_count = fields.Integer("Parcels Shipped", readonly=True, aggregator="sum")
    lost_count = fields.Integer("Parcels Lost", readonly=True, aggregator="sum")

    # ------------------------------------------------------------------ query
    def _select(self):
        return SQL(
            """
            p.id AS id,
            p.id AS picking_id,
            p.company_id AS company_id,
            p.carrier_id AS carrier_id,
            partner.country_id AS country_id,
            partner.state_id AS state_id,
            partner.zip AS zip,
            p.date_done AS date_shipped,
            p.sale_id AS sale_id,
            1 AS parcel_count,
            CASE WHEN EXISTS (
                SELECT 1 FROM lost_parcel_case c WHERE c.picking_id = p.id AND c.state IN %(lost_states)s
            ) THEN 1 ELSE 0 END AS lost_count
            """,
            lost_states=LOST_STATES,
        )

    def _from(self):
        return SQL(
            """
            stock_picking p
            JOIN stock_picking_type picking_type ON picking_type.id = p.picking_type_id
            LEFT JOIN res_partner partner ON partner.id = p.partner_id
            """
        )

    def _where(self):
        return SQL("p.state = 'done' AND picking_type.code = 'outgoing'")

    @property
    def _table_query(self):
        return SQL("SELECT %s FROM %s WHERE %s", self._select(), self._from(), self._where())

    # ------------------------------------------------------------------ figures
    @api.model
    def _loss_stats(self, carriers, country, since):
        """Parcels shipped to ``country`` since ``since`` and how many of them were lost, per
        carrier of ``carriers``: one grouped query.

        :return: {carrier id: (lost, shipped)}
        """
        if not carriers:
            return {}
        rows = self._read_group(
            [("carrier_id", "in", carriers.ids), ("country_id", "=", country.id), ("date_shipped", ">=", since)],
            ["carrier_id"],
            ["lost_count:sum", "parcel_count:sum"],
        )
        return {carrier.id: (lost or 0, shipped or 0) for carrier, lost, shipped in rows}
