import logging
from collections import defaultdict

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import RedirectWarning, UserError
from odoo.tools import float_compare, formatLang

_logger = logging.getLogger(__name__)


class LostParcelCase(models.Model):
    """Reship shortage: when stock cannot cover a reship, the delivery waits, the case says
    what is missing, the purchaser gets an activity and a replenishment is suggested."""

    _inherit = "lost.parcel.case"  # pylint: disable=consider-merging-classes-inherited

    reship_shortage = fields.Char(
        "Missing for Reship",
        compute="_compute_reship_shortage",
        store=True,
        help="What stock cannot cover yet: the reship waits for it.",
    )

    @api.depends("reship_move_ids.state", "reship_move_ids.quantity", "reship_move_ids.product_uom_qty")
    def _compute_reship_shortage(self):
        for case in self:
            missing = case._reship_missing_quantities()
            case.reship_shortage = (
                ", ".join(
                    f"{product.display_name}: {formatLang(self.env, qty, dp='Product Unit of Measure')} "
                    f"{product.uom_id.name}"
                    for product, qty in missing.items()
                )
                or False
            )

    def _reship_missing_quantities(self):
        """{product: quantity missing} over the first step of the reship (taken from stock)."""
        self.ensure_one()
        missing = defaultdict(float)
        for move in self.reship_move_ids:
            if move.state not in ("confirmed", "partially_available") or move.move_orig_ids:
                continue
            qty = move.product_uom._compute_quantity(move.product_uom_qty - move.quantity, move.product_id.uom_id)
            if float_compare(qty, 0.0, precision_rounding=move.product_id.uom_id.rounding) > 0:
                missing[move.product_id] += qty
        return missing

    def _handle_reship_shortage(self):
        """Stock cannot cover these reships: suggest a replenishment and plan an activity for
        whoever buys the missing products."""
        suggestions = self._suggest_reship_replenishment()
        activity_type = self.env.ref("lost_parcel_reship.mail_activity_type_shortage")
        model_id = self.env["ir.model"]._get_id(self._name)
        today = fields.Date.context_today(self)
        vals_list = []
        for case in self:
            missing = case._reship_missing_quantities()
            notes = [suggestions[product] for product in missing if suggestions.get(product)]
            note = Markup("<p>%s</p>") % self.env._("Missing: %s", case.reship_shortage)
            if notes:
                note += Markup("<ul>%s</ul>") % Markup().join(Markup("<li>%s</li>") % text for text in notes)
            vals_list.append(
                {
                    "activity_type_id": activity_type.id,
                    "automated": True,
                    "res_model_id": model_id,
                    "res_id": case.id,
                    "user_id": case._shortage_responsible(missing).id,
                    "summary": self.env._("Reship waits for stock: %s", case.reship_shortage),
                    "note": note,
                    "date_deadline": today,
                }
            )
        self.env["mail.activity"].create(vals_list)

    def _close_reship_shortage(self):
        covered = self.filtered(lambda c: not c.reship_shortage)
        if covered:
            covered.activity_feedback(
                ["lost_parcel_reship.mail_activity_type_shortage"],
                feedback=self.env._("Stock arrived: the reship is reserved."),
            )

    def _shortage_responsible(self, missing):
        """The purchaser: the products' responsible (Inventory tab), else the case's."""
        self.ensure_one()
        for product in missing:
            user = product.with_company(self.company_id).responsible_id
            if user and user.active and not user.share:
                return user
        return self.user_id or self.env.user

    def _suggest_reship_replenishment(self):
        """A replenishment for each missing product and warehouse: Odoo's manual orderpoint
        (Inventory > Replenishment), and an RFQ when purchase is installed and the product has
        a vendor. Purchase stays an optional module.

        :return: {product: text describing the suggestion}
        """
        missing = defaultdict(float)
        for case in self:
            warehouse = case.picking_id.picking_type_id.warehouse_id
            for product, qty in case._reship_missing_quantities().items():
                missing[warehouse, product] += qty
        if not missing:
            return {}
        # Like Odoo's replenishment report: the suggestion is made by the system, a warehouse
        # user may only read orderpoints.
        Orderpoint = self.env["stock.warehouse.orderpoint"].sudo()
        warehouses = self.env["stock.warehouse"].union(*[warehouse for warehouse, _product in missing])
        products = self.env["product.product"].union(*[product for _warehouse, product in missing])
        existing = Orderpoint.search(
            [("product_id", "in", products.ids), ("location_id", "in", warehouses.lot_stock_id.ids)]
        )
        by_key = {(op.location_id.id, op.product_id.id): op for op in existing}
        suggestions = {}
        for warehouse, product in missing:
            orderpoint = by_key.get((warehouse.lot_stock_id.id, product.id))
            if not orderpoint:
                orderpoint = Orderpoint.create(
                    {
                        **Orderpoint._get_orderpoint_values(product.id, warehouse.lot_stock_id.id),
                        "warehouse_id": warehouse.id,
                        "company_id": warehouse.company_id.id,
                    }
                )
                orderpoint._set_default_route_id()
            suggestions[product] = self._order_replenishment(orderpoint, product, warehouse) or self.env._(
                "%(product)s: replenishment suggested in %(warehouse)s (Inventory > Replenishment), "
                "%(qty)s %(uom)s to order.",
                product=product.display_name,
                warehouse=warehouse.name,
                qty=formatLang(self.env, max(orderpoint.qty_to_order, 0.0), dp="Product Unit of Measure"),
                uom=product.uom_id.name,
            )
        return suggestions

    def _order_replenishment(self, orderpoint, product, warehouse):
        """Turn the suggestion into an RFQ when purchase can buy the product.

        :return: text naming the RFQ, or False
        """
        if not (self._reship_purchase_enabled() and product.seller_ids):
            return False
        buy_route = warehouse.buy_pull_id.route_id
        if orderpoint.trigger == "manual" and buy_route and not orderpoint.route_id:
            orderpoint.route_id = buy_route
        try:
            with self.env.cr.savepoint():
                orderpoint.action_replenish()
        except (UserError, RedirectWarning) as exc:  # no vendor or no buy route: the suggestion stays
            _logger.info("No RFQ for reship shortage of %s: %s", product.display_name, exc)
            return False
        line = self.env["purchase.order.line"].search(
            [
                ("product_id", "=", product.id),
                ("state", "in", ("draft", "sent", "to approve")),
                ("company_id", "=", warehouse.company_id.id),
            ],
            order="id desc",
            limit=1,
        )
        if not line:
            return False
        return self.env._(
            "%(product)s: request for quotation %(rfq)s to %(vendor)s.",
            product=product.display_name,
            rfq=line.order_id.name,
            vendor=line.order_id.partner_id.name,
        )

    def _reship_purchase_enabled(self):
        """Whether an RFQ can be suggested: needs purchase_stock, which is not a dependency."""
        return "buy_pull_id" in self.env["stock.warehouse"]._fields
