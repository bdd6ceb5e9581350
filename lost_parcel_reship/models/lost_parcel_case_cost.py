from collections import defaultdict

from odoo import api, fields, models


class LostParcelCase(models.Model):
    """What a lost parcel costs, in company currency: goods reshipped at cost (stock
    valuation), new shipping, compensation and refund; and what can be claimed back."""

    _inherit = "lost.parcel.case"  # pylint: disable=consider-merging-classes-inherited

    reship_goods_cost = fields.Monetary(
        "Reshipped Goods at Cost",
        compute="_compute_reship_goods_cost",
        store=True,
        help="Stock valuation of the goods the reship took out of stock; the product cost until it leaves.",
    )
    reship_shipping_cost = fields.Monetary(
        "Reship Shipping Cost",
        compute="_compute_reship_shipping_cost",
        store=True,
        help="What the carrier charged for the reship label, else the chosen carrier's rate.",
    )
    compensation_amount = fields.Monetary(
        "Compensation Given", tracking=True, help="Goodwill given to the customer: coupon, gift, discount."
    )
    refund_amount = fields.Monetary(
        "Refunded", readonly=True, copy=False, help="Untaxed amount of the credit note or of the order adjustment."
    )
    lost_shipping_cost = fields.Monetary(
        "Lost Parcel Shipping Cost", compute="_compute_lost_shipping_cost", help="What the lost parcel's label cost."
    )
    total_cost = fields.Monetary(
        "Total Cost",
        compute="_compute_total_cost",
        store=True,
        help="Reshipped goods + reship shipping + compensation + refund.",
    )
    claimable_amount = fields.Monetary(
        "Claimable Amount",
        compute="_compute_total_cost",
        store=True,
        help="What a claim to the carrier or insurer can ask: the invoice value of the lost goods (at sale "
        "price) plus the shipping paid for the lost parcel.",
    )

    @api.depends("picking_id.carrier_price")
    def _compute_lost_shipping_cost(self):
        for case in self:
            case.lost_shipping_cost = case.picking_id.carrier_price

    @api.depends(
        "reship_move_ids.state",
        "reship_move_ids.product_qty",
        "reship_move_ids.stock_valuation_layer_ids.value",
    )
    def _compute_reship_goods_cost(self):
        """Valued quantities come from the stock valuation layers of the moves that left the
        company; what has not left yet is counted at the product's current cost."""
        for case in self:
            company = case.company_id
            valued_qty, valued_value, planned_qty = defaultdict(float), defaultdict(float), defaultdict(float)
            for move in case.reship_move_ids:
                if move.state == "cancel":
                    continue
                if not move.move_orig_ids:
                    planned_qty[move.product_id] += move.product_qty
                layers = move.stock_valuation_layer_ids
                if move.state == "done" and layers:
                    valued_qty[move.product_id] += -sum(layers.mapped("quantity"))
                    valued_value[move.product_id] += -sum(layers.mapped("value"))
            cost = 0.0
            for product in set(planned_qty) | set(valued_qty):
                remaining = max(planned_qty[product] - valued_qty[product], 0.0)
                cost += valued_value[product] + remaining * product.with_company(company).standard_price
            case.reship_goods_cost = company.currency_id.round(cost)

    @api.depends("reship_picking_ids.carrier_price", "reship_picking_ids.state", "reship_shipping_estimate")
    def _compute_reship_shipping_cost(self):
        for case in self:
            pickings = case.reship_picking_ids.filtered(lambda p: p.state != "cancel")
            charged = sum(pickings.mapped("carrier_price"))
            if charged:
                case.reship_shipping_cost = charged
            elif pickings:
                case.reship_shipping_cost = case.reship_shipping_estimate
            else:
                case.reship_shipping_cost = 0.0

    @api.depends(
        "reship_goods_cost",
        "reship_shipping_cost",
        "compensation_amount",
        "refund_amount",
        "goods_value_sale",
        "picking_id.carrier_price",
    )
    def _compute_total_cost(self):
        for case in self:
            currency = case.company_id.currency_id
            case.total_cost = currency.round(
                case.reship_goods_cost + case.reship_shipping_cost + case.compensation_amount + case.refund_amount
            )
            case.claimable_amount = currency.round(case.goods_value_sale + case.picking_id.carrier_price)
