from odoo import fields, models

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

    def _lost_parcel_serves(self, shipment, cache):
        """Whether the shipping method takes this reship: Odoo's own availability rules of the
        method (address, weight, volume, tags), applied to an order of the reshipped goods."""
        self.ensure_one()
        return self._match(shipment.partner, self.env["lost.parcel.carrier.rule"]._rating_order(shipment, cache))

    def _lost_parcel_rate(self, shipment, cache):
        """Price of the reship with this carrier, from the carrier's own ``rate_shipment``, in
        the company currency.

        :return: (price, error message or False)
        """
        self.ensure_one()
        order = self.env["lost.parcel.carrier.rule"]._rating_order(shipment, cache)
        result = self.rate_shipment(order)
        if not result.get("success"):
            return 0.0, result.get("error_message") or self.env._("no rate")
        company = shipment.case.company_id
        # ``carrier_price`` is the price before a "free over" rule: the seller pays the reship.
        price = result.get("carrier_price", result["price"])
        price = order.currency_id._convert(price, company.currency_id, company, fields.Date.context_today(self))
        return price, False
