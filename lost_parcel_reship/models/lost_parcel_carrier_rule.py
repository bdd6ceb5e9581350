import math
from datetime import timedelta
from typing import NamedTuple

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError

from odoo.addons.delivery.models.delivery_carrier import DeliveryCarrier

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
    zip_prefix_ids = fields.Many2many(
        "delivery.zip.prefix",
        string="Zip Prefixes",
        help="Beginnings of the delivery zip code, as on shipping methods (a regular expression may end with $ "
        "to match a whole zip). Empty: every zip.",
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
    def _matches(self, shipment):
        self.ensure_one()
        # The destination is matched as a shipping method matches it: the rule has the same
        # country_ids/state_ids/zip_prefix_ids, so Odoo's own predicate runs on the rule. (On an
        # unsaved shipping method the countries would be new records, never equal to the partner's.)
        if not DeliveryCarrier._match_address(self, shipment.partner):
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

    def _candidate_carriers(self, shipment, default_carriers, cache):
        """The rule's carriers that serve the reship; ``default_carriers`` when it names none."""
        self.ensure_one()
        if self.objective == "fixed":
            carriers = self.fixed_carrier_id
        else:
            carriers = self.carrier_ids or default_carriers
        return carriers.filtered(lambda carrier: carrier._lost_parcel_serves(shipment, cache))

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
        key = ("loss", shipment.case.company_id.id, country.id, self.loss_rate_days)
        if key not in cache:
            since = fields.Datetime.now() - timedelta(days=self.loss_rate_days)
            all_carriers = cache.get(("carriers", shipment.case.company_id.id)) or candidates
            cache[key] = self.env["lost.parcel.shipment.report"]._loss_stats(
                all_carriers | candidates, country, since, company=shipment.case.company_id
            )
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

    # ------------------------------------------------------------------ choice for a case
    @api.model
    def _prepare_reship_shipment(self, case, quantities=None):
        """The reship of ``case`` as carrier rules see it: address, goods, weight and value at sale price."""
        company = case.company_id
        today = fields.Date.context_today(self)
        lines = []
        for move, qty in case._reship_lines(quantities):
            product = move.product_id
            product_qty = move.product_uom._compute_quantity(qty, product.uom_id)
            sale_line = move.sale_line_id
            if sale_line and sale_line.product_id == product:
                unit = sale_line.product_uom._compute_price(sale_line.price_reduce_taxexcl, product.uom_id)
                unit = sale_line.currency_id._convert(unit, company.currency_id, company, today)
            else:
                unit = product.lst_price
            lines.append(ShipmentLine(product, product_qty, unit, sale_line))
        return ReshipShipment(
            case=case,
            partner=case.picking_id.partner_id,
            lines=lines,
            weight=sum(line.product.weight * line.quantity for line in lines),
            value=company.currency_id.round(sum(line.unit_value * line.quantity for line in lines)),
        )

    @api.model
    def _rating_order(self, shipment, cache):
        """An unsaved sale order holding only the reshipped goods: what shipping methods match
        (``_match``) and price (``rate_shipment``)."""
        key = ("order", shipment.case.id)
        if key not in cache:
            case = shipment.case
            order = case.sale_id
            partner = shipment.partner
            cache[key] = self.env["sale.order"].new(
                {
                    "partner_id": (order.partner_id or partner.commercial_partner_id).id,
                    "partner_shipping_id": partner.id,
                    "company_id": case.company_id.id,
                    "pricelist_id": order.pricelist_id.id,
                    "fiscal_position_id": order.fiscal_position_id.id,
                    "date_order": fields.Datetime.now(),
                    "order_line": [
                        Command.create(
                            {
                                "product_id": line.product.id,
                                "product_uom_qty": line.quantity,
                                "product_uom": line.product.uom_id.id,
                                "price_unit": line.sale_line.price_unit
                                if line.sale_line.product_id == line.product
                                else line.product.lst_price,
                            }
                        )
                        for line in shipment.lines
                    ],
                }
            )
        return cache[key]

    @api.model
    def _find_reship_carrier(self, shipment, cache):
        """The carrier of the first matching rule that has one; without a matching rule, the
        first shipping method by sequence that serves the address.

        Rules without candidate carriers, and the fallback, consider the shipping methods Odoo
        tracks (a reship must be watched like any parcel), or every shipping method when none
        of those serves the address.

        :return: (carrier, rule, reason)
        :raise UserError: when no shipping method of the company serves the address
        """
        case = shipment.case
        company = case.company_id
        key = ("carriers", company.id)
        if key not in cache:
            cache[key] = self.env["delivery.carrier"].search([("company_id", "in", (False, company.id))])
        serving = cache[key].filtered(lambda c: c._lost_parcel_serves(shipment, cache))
        default_carriers = serving.filtered("tracking_account_id") or serving
        rules_key = ("rules", company.id)
        if rules_key not in cache:
            cache[rules_key] = self.search([("company_id", "=", company.id)])
        skipped = []
        for rule in cache[rules_key].filtered(lambda r: r._matches(shipment)):
            candidates = rule._candidate_carriers(shipment, default_carriers, cache)
            avoided = self._avoid_losing_carrier(case, candidates)
            carrier, details = rule._choose_carrier(shipment, candidates - avoided, cache)
            if carrier:
                reason = self.env._(
                    "Rule %(rule)s (%(objective)s): %(details)s.",
                    rule=rule.name,
                    objective=dict(rule._fields["objective"]._description_selection(self.env))[rule.objective],
                    details=details,
                )
                return carrier, rule, self._explain_losing_carrier(case, reason, carrier, avoided)
            skipped.append(
                self.env._("rule %(rule)s: %(details)s", rule=rule.name, details=details or self.env._("no carrier"))
            )
        avoided = self._avoid_losing_carrier(case, default_carriers)
        # When only the losing carrier serves, its method used for the lost parcel comes first.
        carrier = ((default_carriers - avoided) & case.carrier_id or (default_carriers - avoided))[:1]
        destination = shipment.partner.country_id.name or shipment.partner.display_name
        if not carrier:
            raise UserError(
                self.env._("Case %(case)s: no shipping method serves %(address)s.", case=case.name, address=destination)
            )
        if carrier.tracking_account_id:
            reason = self.env._(
                "No carrier rule applies: first tracked shipping method by sequence that serves %s.", destination
            )
        else:
            reason = self.env._(
                "No carrier rule applies: first shipping method by sequence that serves %s.", destination
            )
        if skipped:
            reason = f"{reason} ({'; '.join(skipped)})"
        return carrier, self.browse(), self._explain_losing_carrier(case, reason, carrier, avoided)

    @api.model
    def _avoid_losing_carrier(self, case, candidates):
        """The shipping methods of the carrier that lost the parcel, when another candidate
        serves the address."""
        losing = candidates.filtered(lambda carrier: carrier._lost_parcel_same_carrier(case.carrier_id))
        return losing if candidates - losing else losing.browse()

    @api.model
    def _explain_losing_carrier(self, case, reason, carrier, avoided):
        if avoided:
            names = ", ".join(avoided.mapped("name"))
            return reason + " " + self.env._("%s lost this parcel and was left out.", names)
        if carrier._lost_parcel_same_carrier(case.carrier_id):
            return reason + " " + self.env._("%s lost this parcel, but no other carrier serves it.", carrier.name)
        return reason
