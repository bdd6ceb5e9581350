from odoo import fields, models

LOST_STATES = ("confirmed", "reshipped", "refunded")
# Tracking providers that follow many carriers' parcels: sharing one says nothing about who carries.
AGGREGATOR_PROVIDERS = ("seventeen_track", "aftership")


class DeliveryCarrier(models.Model):
    _inherit = "delivery.carrier"

    transit_days = fields.Integer(
        "Declared Transit Days",
        help="Days the carrier announces from pick-up to delivery; reship carrier rules use it to pick the fastest.",
    )

    def _lost_parcel_same_carrier(self, other):
        """Whether two shipping methods are the same carrier company: the same record, or both
        tracked through that carrier's own API (DHL Express and DHL Parcel are both DHL)."""
        self.ensure_one()
        if not other:
            return False
        if self == other:
            return True
        provider = self.tracking_account_id.provider
        return (
            bool(provider) and provider not in AGGREGATOR_PROVIDERS and provider == other.tracking_account_id.provider
        )

    def _lost_parcel_serves(self, shipment):
        """Whether the carrier takes this reship: Odoo's own address, weight, volume and tag
        restrictions of the shipping method, applied to the reshipped goods."""
        self.ensure_one()
        if not self._match_address(shipment.partner):
            return False
        if self.max_weight and shipment.weight > self.max_weight:
            return False
        if self.max_volume:
            volume = sum(line.product.volume * line.quantity for line in shipment.lines)
            if volume > self.max_volume:
                return False
        tags = shipment.product_records.all_product_tag_ids
        if self.must_have_tag_ids and not self.must_have_tag_ids & tags:
            return False
        return not self.excluded_tag_ids & tags

    def _lost_parcel_rate(self, shipment, cache):
        """Price of the reship with this carrier, from the carrier's own ``rate_shipment``, in
        the company currency.

        :return: (price, error message or False)
        """
        self.ensure_one()
        key = ("order", shipment.case.id)
        if key not in cache:
            cache[key] = shipment.case._lost_parcel_rating_order(shipment)
        order = cache[key]
        result = self.rate_shipment(order)
        if not result.get("success"):
            return 0.0, result.get("error_message") or self.env._("no rate")
        company = shipment.case.company_id
        # ``carrier_price`` is the price before a "free over" rule: the seller pays the reship.
        price = result.get("carrier_price", result["price"])
        price = order.currency_id._convert(price, company.currency_id, company, fields.Date.context_today(self))
        return price, False

    def _lost_parcel_loss_stats(self, country, since):
        """Parcels shipped to ``country`` since ``since`` and how many of them were confirmed
        lost, per carrier of ``self``: two grouped queries.

        :return: {carrier id: (lost, shipped)}
        """
        if not self:
            return {}
        shipped = self.env["stock.picking"]._read_group(
            [
                ("carrier_id", "in", self.ids),
                ("state", "=", "done"),
                ("picking_type_code", "=", "outgoing"),
                ("partner_id.country_id", "=", country.id),
                ("date_done", ">=", since),
            ],
            ["carrier_id"],
            ["__count"],
        )
        lost = dict(
            self.env["lost.parcel.case"]._read_group(
                [
                    ("carrier_id", "in", self.ids),
                    ("country_id", "=", country.id),
                    ("state", "in", LOST_STATES),
                    ("picking_id.date_done", ">=", since),
                ],
                ["carrier_id"],
                ["__count"],
            )
        )
        return {carrier.id: (lost.get(carrier, 0), count) for carrier, count in shipped}
