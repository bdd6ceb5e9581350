import math
from datetime import timedelta
from typing import NamedTuple

from odoo import api, fields, models
from odoo.exceptions import ValidationError

OBJECTIVES = [
    ("cheapest", "Cheapest"),
    ("fastest", "Fastest"),
    ("reliable", "Most reliable"),
    ("fixed", "Fixed carrier"),
]


class ShipmentLine(NamedTuple):
    product: models.Model
    quantity: float  # in the product's unit of measure
    unit_value: float  # sale price, company currency
    sale_line: models.Model


class ReshipShipment(NamedTuple):
    """What a carrier rule looks at: where the reship goes and what is in it (company currency)."""

    case: models.Model
    partner: models.Model
    lines: list  # of ShipmentLine
    weight: float
    value: float

    @property
    def product_records(self):
        return self.case.env["product.product"].union(*[line.product for line in self.lines])


class LostParcelCarrierRule(models.Model):
    """Which carrier takes a reship. The first active rule (by sequence) whose conditions match
    the reship picks a carrier among its candidates by its objective; the carrier that lost the
    parcel is left out unless nothing else serves the address."""

    _name = "lost.parcel.carrier.rule"
    _description = "Reship Carrier Rule"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    # Conditions
    country_ids = fields.Many2many("res.country", string="Destination Countries", help="Empty: every country.")
    state_ids = fields.Many2many(
        "res.country.state",
        string="Destination States",
        domain="[('country_id', 'in', country_ids)]",
        help="Empty: every state.",
    )
    zip_prefixes = fields.Char(
        "Zip Prefixes", help="Comma-separated beginnings of the delivery zip code, e.g. 10,11,75. Empty: every zip."
    )
    weight_min = fields.Float("Min. Weight", digits="Stock Weight")
    weight_max = fields.Float("Max. Weight", digits="Stock Weight", help="0: no maximum.")
    value_min = fields.Monetary("Min. Goods Value", help="Reshipped goods at sale price.")
    value_max = fields.Monetary("Max. Goods Value", help="0: no maximum.")
    product_categ_ids = fields.Many2many(
        "product.category",
        string="Product Categories",
        help="The rule applies when a reshipped product belongs to one of these categories (or below). Empty: all.",
    )
    # Choice
    objective = fields.Selection(OBJECTIVES, required=True, default="cheapest")
    carrier_ids = fields.Many2many(
        "delivery.carrier",
        string="Candidate Carriers",
        check_company=True,
        help="Empty: the shipping methods Odoo tracks (a tracking account) that serve the address, or every "
        "shipping method when none of those does.",
    )
    fixed_carrier_id = fields.Many2one("delivery.carrier", "Carrier", check_company=True)
    loss_rate_days = fields.Integer(
        "Loss Rate Period (days)", default=365, help="Most reliable: losses are counted over this period."
    )
    loss_rate_min_shipments = fields.Integer(
        "Minimum Shipments",
        default=20,
        help="Most reliable: a carrier with fewer parcels to the destination in the period has no measured "
        "rate and comes after the measured ones.",
    )
    weight_uom_name = fields.Char(compute="_compute_weight_uom_name")

    @api.depends_context("uid")
    def _compute_weight_uom_name(self):
        self.weight_uom_name = self.env["product.template"]._get_weight_uom_name_from_ir_config_parameter()

    @api.constrains("objective", "fixed_carrier_id")
    def _check_fixed_carrier(self):
        for rule in self:
            if rule.objective == "fixed" and not rule.fixed_carrier_id:
                raise ValidationError(self.env._("Carrier rule %s: choose the fixed carrier.", rule.name))

    @api.constrains("weight_min", "weight_max", "value_min", "value_max", "loss_rate_days", "loss_rate_min_shipments")
    def _check_ranges(self):
        for rule in self:
            numbers = (rule.weight_min, rule.weight_max, rule.value_min, rule.value_max, rule.loss_rate_days)
            if any(number < 0 for number in numbers) or rule.loss_rate_min_shipments < 0:
                raise ValidationError(self.env._("Carrier rule %s: limits cannot be negative.", rule.name))
            if rule.weight_max and rule.weight_max < rule.weight_min:
                raise ValidationError(
                    self.env._("Carrier rule %s: the maximum weight is below the minimum.", rule.name)
                )
            if rule.value_max and rule.value_max < rule.value_min:
                raise ValidationError(self.env._("Carrier rule %s: the maximum value is below the minimum.", rule.name))

    # ------------------------------------------------------------------ matching
    def _zip_prefix_list(self):
        self.ensure_one()
        return [
            prefix.strip().upper().replace(" ", "") for prefix in (self.zip_prefixes or "").split(",") if prefix.strip()
        ]

    def _matches(self, shipment):
        self.ensure_one()
        partner = shipment.partner
        if self.country_ids and partner.country_id not in self.country_ids:
            return False
        if self.state_ids and partner.state_id not in self.state_ids:
            return False
        prefixes = self._zip_prefix_list()
        zip_code = (partner.zip or "").upper().replace(" ", "")
        if prefixes and not any(zip_code.startswith(prefix) for prefix in prefixes):
            return False
        if shipment.weight < self.weight_min or (self.weight_max and shipment.weight > self.weight_max):
            return False
        if shipment.value < self.value_min or (self.value_max and shipment.value > self.value_max):
            return False
        if self.product_categ_ids:
            paths = self.product_categ_ids.mapped("parent_path")
            categories = shipment.product_records.categ_id
            if not any(categ.parent_path.startswith(path) for categ in categories for path in paths):
                return False
        return True

    def _candidate_carriers(self, shipment, default_carriers):
        """The rule's carriers that serve the reship; ``default_carriers`` when it names none."""
        self.ensure_one()
        if self.objective == "fixed":
            carriers = self.fixed_carrier_id
        else:
            carriers = self.carrier_ids or default_carriers
        return carriers.filtered(lambda carrier: carrier._lost_parcel_serves(shipment))

    # ------------------------------------------------------------------ choice
    def _choose_carrier(self, shipment, candidates, cache):
        """The best of ``candidates`` by the rule's objective.

        :return: (carrier or empty recordset, explanation)
        """
        self.ensure_one()
        return getattr(self, f"_choose_{self.objective}")(shipment, candidates, cache)

    def _choose_fixed(self, shipment, candidates, cache):
        return candidates[:1], self.env._("fixed carrier %s", candidates[:1].name)

    def _choose_cheapest(self, shipment, candidates, cache):
        prices, failures = {}, []
        for carrier in candidates:
            price, error = carrier._lost_parcel_rate(shipment, cache)
            if error:
                failures.append(f"{carrier.name}: {error}")
            else:
                prices[carrier] = price
        currency = shipment.case.company_id.currency_id
        ranked = sorted(prices, key=lambda carrier: (prices[carrier], carrier.sequence, carrier.id))
        details = "; ".join(f"{carrier.name} {currency.format(prices[carrier])}" for carrier in ranked)
        if failures:
            details = "; ".join(filter(None, [details, self.env._("no rate from %s", ", ".join(failures))]))
        if not ranked:
            return self.env["delivery.carrier"], self.env._("no carrier gave a rate (%s)", details)
        return ranked[0], self.env._("cheapest rate: %s", details)

    def _choose_fastest(self, shipment, candidates, cache):
        ranked = candidates.sorted(lambda c: (c.transit_days or math.inf, c.sequence, c.id))
        details = "; ".join(
            self.env._("%(carrier)s %(days)s days", carrier=c.name, days=c.transit_days)
            if c.transit_days
            else self.env._("%s no declared transit time", c.name)
            for c in ranked
        )
        return ranked[:1], self.env._("fastest declared transit: %s", details)

    def _choose_reliable(self, shipment, candidates, cache):
        country = shipment.partner.country_id
        key = ("loss", country.id, self.loss_rate_days)
        if key not in cache:
            since = fields.Datetime.now() - timedelta(days=self.loss_rate_days)
            all_carriers = cache.get(("carriers", shipment.case.company_id.id)) or candidates
            cache[key] = (all_carriers | candidates)._lost_parcel_loss_stats(country, since)
        stats = cache[key]

        def measured_rate(carrier):
            lost, shipped = stats.get(carrier.id, (0, 0))
            return lost / shipped if shipped and shipped >= self.loss_rate_min_shipments else None

        def rank(carrier):
            rate = measured_rate(carrier)
            return (rate is None, rate or 0.0, carrier.sequence, carrier.id)

        ranked = candidates.sorted(rank)
        parts = []
        for carrier in ranked:
            lost, shipped = stats.get(carrier.id, (0, 0))
            rate = measured_rate(carrier)
            if rate is None:
                parts.append(
                    self.env._("%(carrier)s not measured (%(shipped)s parcels)", carrier=carrier.name, shipped=shipped)
                )
            else:
                parts.append(
                    self.env._(
                        "%(carrier)s %(rate).1f%% lost (%(lost)s of %(shipped)s)",
                        carrier=carrier.name,
                        rate=rate * 100,
                        lost=lost,
                        shipped=shipped,
                    )
                )
        return ranked[:1], self.env._(
            "lowest loss rate to %(country)s over %(days)s days: %(details)s",
            country=country.name or "-",
            days=self.loss_rate_days,
            details="; ".join(parts),
        )
