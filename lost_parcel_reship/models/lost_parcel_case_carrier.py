from odoo import Command, fields, models
from odoo.exceptions import UserError

from .lost_parcel_carrier_rule import ReshipShipment, ShipmentLine


class LostParcelCase(models.Model):
    """Reship carrier: chosen by the carrier rules when the case is confirmed, written on the
    case with the reason, and overridable by the user until the reship leaves."""

    _inherit = "lost.parcel.case"  # pylint: disable=consider-merging-classes-inherited

    reship_carrier_rule_id = fields.Many2one("lost.parcel.carrier.rule", "Carrier Rule", readonly=True, copy=False)
    reship_carrier_reason = fields.Text("Why This Carrier", readonly=True, copy=False)
    reship_carrier_manual = fields.Boolean(
        "Carrier Set by Hand", readonly=True, copy=False, help="The carrier rules no longer change this carrier."
    )
    reship_shipping_estimate = fields.Monetary(
        "Estimated Reship Shipping", readonly=True, copy=False, help="The chosen carrier's rate for the reship."
    )

    # ------------------------------------------------------------------ CRUD
    def write(self, vals):
        if "reship_carrier_id" in vals and not self.env.context.get("lost_parcel_carrier_choice"):
            return self._write_carrier_by_hand(vals)
        return super().write(vals)

    def _write_carrier_by_hand(self, vals):
        carrier = self.env["delivery.carrier"].browse(vals["reship_carrier_id"])
        changed = self.filtered(lambda case: case.reship_carrier_id != carrier)
        changed._ensure_reship_carrier_can_change()
        vals = dict(vals, reship_carrier_manual=True, reship_carrier_rule_id=False)
        if changed and carrier:
            vals["reship_carrier_reason"] = self.env._("Set by hand by %s.", self.env.user.name)
        res = super().write(vals)
        for case in changed:
            case.reship_shipping_estimate = case._estimate_reship_shipping(case.reship_carrier_id)
            open_pickings = case.reship_picking_ids.filtered(lambda p: p.state not in ("done", "cancel"))
            open_pickings.filtered(
                lambda p: p.carrier_id or p.location_dest_id.usage == "customer"
            ).carrier_id = carrier
            case.message_post(
                body=self.env._("Reship carrier set by hand: %s.", carrier.name or self.env._("none")),
            )
        return res

    # ------------------------------------------------------------------ guards
    def _ensure_reship_carrier_can_change(self):
        shipped = self.reship_picking_ids.filtered(
            lambda p: p.state == "done" and p.location_dest_id.usage == "customer"
        )
        if shipped:
            raise UserError(
                self.env._(
                    "The reship of %s has left already: its carrier cannot change.",
                    ", ".join(shipped.lost_parcel_case_id.mapped("name")),
                )
            )

    # ------------------------------------------------------------------ actions
    def action_choose_reship_carrier(self):
        """Apply the carrier rules again, forgetting a carrier set by hand."""
        for case in self:
            if case.state not in ("confirmed", "reshipped"):
                raise UserError(self.env._("Case %s: only a confirmed case gets a reship carrier.", case.name))
        self._ensure_reship_carrier_can_change()
        self.with_context(lost_parcel_carrier_choice=True).write({"reship_carrier_manual": False})
        errors = self._choose_reship_carrier()
        if errors:
            raise UserError("\n".join(errors.values()))
        for case in self:
            open_pickings = case.reship_picking_ids.filtered(lambda p: p.state not in ("done", "cancel"))
            open_pickings.filtered(
                lambda p: p.carrier_id or p.location_dest_id.usage == "customer"
            ).carrier_id = case.reship_carrier_id
        return True

    # ------------------------------------------------------------------ business methods
    def _confirm_lost(self, confirmed_date, carrier_ref, attachments=None, auto_rule=None):
        res = super()._confirm_lost(confirmed_date, carrier_ref, attachments=attachments, auto_rule=auto_rule)
        # A case without a serving carrier is still confirmed: the reason says what is missing.
        self._choose_reship_carrier()
        return res

    def _choose_reship_carrier(self, cache=None, quantities=None):
        """Write the carrier the rules choose, and why, on each case not set by hand.

        :param dict cache: shared by the cases of one batch (carriers, loss rates, rating orders)
        :param dict quantities: {lost stock.move: quantity to reship}; default: everything lost
        :return: {case: error message} for the cases no carrier serves
        """
        cache = {} if cache is None else cache
        errors = {}
        for case in self.filtered(lambda c: not c.reship_carrier_manual):
            shipment = case._prepare_reship_shipment(quantities)
            try:
                carrier, rule, reason = case._find_reship_carrier(shipment, cache)
            except UserError as exc:
                errors[case] = exc.args[0]
                case.with_context(lost_parcel_carrier_choice=True).write(
                    {
                        "reship_carrier_id": False,
                        "reship_carrier_reason": exc.args[0],
                        "reship_carrier_rule_id": False,
                        "reship_shipping_estimate": 0.0,
                    }
                )
                continue
            case.with_context(lost_parcel_carrier_choice=True).write(
                {
                    "reship_carrier_id": carrier.id,
                    "reship_carrier_rule_id": rule.id,
                    "reship_carrier_reason": reason,
                    "reship_shipping_estimate": case._estimate_reship_shipping(carrier, shipment, cache),
                }
            )
        return errors

    def _find_reship_carrier(self, shipment, cache):
        """The carrier of the first matching rule that has one; without a matching rule, the
        first shipping method by sequence that serves the address.

        Rules without candidate carriers, and the fallback, consider the shipping methods Odoo
        tracks (a reship must be watched like any parcel), or every shipping method when none
        of those serves the address.

        :return: (carrier, rule, reason)
        :raise UserError: when no shipping method of the company serves the address
        """
        self.ensure_one()
        company = self.company_id
        key = ("carriers", company.id)
        if key not in cache:
            cache[key] = self.env["delivery.carrier"].search([("company_id", "in", (False, company.id))])
        serving = cache[key].filtered(lambda c: c._lost_parcel_serves(shipment))
        default_carriers = serving.filtered("tracking_account_id") or serving
        rules_key = ("rules", company.id)
        if rules_key not in cache:
            cache[rules_key] = self.env["lost.parcel.carrier.rule"].search([("company_id", "=", company.id)])
        skipped = []
        for rule in cache[rules_key].filtered(lambda r: r._matches(shipment)):
            candidates = rule._candidate_carriers(shipment, default_carriers)
            avoided = self._avoid_losing_carrier(candidates)
            carrier, details = rule._choose_carrier(shipment, candidates - avoided, cache)
            if carrier:
                reason = self.env._(
                    "Rule %(rule)s (%(objective)s): %(details)s.",
                    rule=rule.name,
                    objective=dict(rule._fields["objective"]._description_selection(self.env))[rule.objective],
                    details=details,
                )
                return carrier, rule, self._explain_losing_carrier(reason, carrier, avoided)
            skipped.append(
                self.env._("rule %(rule)s: %(details)s", rule=rule.name, details=details or self.env._("no carrier"))
            )
        avoided = self._avoid_losing_carrier(default_carriers)
        # When only the losing carrier serves, its method used for the lost parcel comes first.
        carrier = ((default_carriers - avoided) & self.carrier_id or (default_carriers - avoided))[:1]
        destination = shipment.partner.country_id.name or shipment.partner.display_name
        if not carrier:
            raise UserError(
                self.env._("Case %(case)s: no shipping method serves %(address)s.", case=self.name, address=destination)
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
        return carrier, self.env["lost.parcel.carrier.rule"], self._explain_losing_carrier(reason, carrier, avoided)

    def _avoid_losing_carrier(self, candidates):
        """The shipping methods of the carrier that lost the parcel, when another candidate
        serves the address."""
        self.ensure_one()
        losing = candidates.filtered(lambda carrier: carrier._lost_parcel_same_carrier(self.carrier_id))
        return losing if candidates - losing else losing.browse()

    def _explain_losing_carrier(self, reason, carrier, avoided):
        if avoided:
            names = ", ".join(avoided.mapped("name"))
            return reason + " " + self.env._("%s lost this parcel and was left out.", names)
        if carrier._lost_parcel_same_carrier(self.carrier_id):
            return reason + " " + self.env._("%s lost this parcel, but no other carrier serves it.", carrier.name)
        return reason

    def _prepare_reship_shipment(self, quantities=None):
        """The reship as carrier rules see it: address, goods, weight and value at sale price."""
        self.ensure_one()
        company = self.company_id
        today = fields.Date.context_today(self)
        lines = []
        for move, qty in self._reship_lines(quantities):
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
            case=self,
            partner=self.picking_id.partner_id,
            lines=lines,
            weight=sum(line.product.weight * line.quantity for line in lines),
            value=company.currency_id.round(sum(line.unit_value * line.quantity for line in lines)),
        )

    def _lost_parcel_rating_order(self, shipment):
        """An unsaved sale order holding only the reshipped goods, for ``rate_shipment``."""
        self.ensure_one()
        order = self.sale_id
        partner = shipment.partner
        return self.env["sale.order"].new(
            {
                "partner_id": (order.partner_id or partner.commercial_partner_id).id,
                "partner_shipping_id": partner.id,
                "company_id": self.company_id.id,
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

    def _estimate_reship_shipping(self, carrier, shipment=None, cache=None):
        self.ensure_one()
        if not carrier:
            return 0.0
        cache = {} if cache is None else cache
        price, error = carrier._lost_parcel_rate(shipment or self._prepare_reship_shipment(), cache)
        return 0.0 if error else price
