import re

from odoo import api, fields, models

# Characters of the customer's own words kept with a portal "not received" report.
INQUIRY_MESSAGE_MAX = 2000
MARKETPLACES = ("amazon", "ebay", "shopify", "walmart", "wish")
# Store order numbers as connectors and sellers copy them into the customer reference.
MARKETPLACE_REF_PATTERNS = [
    ("amazon", re.compile(r"^(AMZ(ON)?[-_ ]|AMAZON[-_ ])|^\d{3}-\d{7}-\d{7}$", re.IGNORECASE)),
    ("ebay", re.compile(r"^EBAY[-_ ]", re.IGNORECASE)),
    ("shopify", re.compile(r"^(SHOPIFY|SHOP)[-_ ]", re.IGNORECASE)),
    ("walmart", re.compile(r"^(WALMART|WMT)[-_ ]", re.IGNORECASE)),
    ("wish", re.compile(r"^WISH[-_ ]", re.IGNORECASE)),
]
SALES_CHANNELS = [
    ("amazon", "Amazon"),
    ("ebay", "eBay"),
    ("shopify", "Shopify"),
    ("walmart", "Walmart"),
    ("wish", "Wish"),
    ("other", "Other"),
]
# Fields in which marketplace connectors keep the marketplace's own order number; any that exist
# on sale.order are read. Without one, a sales team named after the marketplace and the order's
# customer reference tell the same thing.
MARKETPLACE_REF_FIELDS = {
    "amazon": ("amazon_order_ref",),
    "ebay": ("ebay_order_id",),
    "shopify": ("shopify_order_id", "shopify_order_reference"),
    "walmart": ("walmart_order_id",),
    "wish": ("wish_order_id",),
}


class SaleOrder(models.Model):
    _inherit = "sale.order"

    lost_parcel_case_ids = fields.One2many(
        "lost.parcel.case", "sale_id", string="Lost Parcel Cases", groups="lost_parcel_reship.group_lost_parcel_user"
    )
    lost_parcel_case_count = fields.Integer(
        compute="_compute_lost_parcel_case_count", groups="lost_parcel_reship.group_lost_parcel_user"
    )
    lost_parcel_inquiry_date = fields.Date(
        "Last 'Not Received' Report",
        readonly=True,
        copy=False,
        help="When the customer last said, from the portal, that the parcel has not arrived.",
    )

    # Stored so that reports group parcels by channel in SQL; ``_lost_parcel_sales_channel``
    # decides it, and the case reads it from here.
    lost_parcel_sales_channel = fields.Selection(
        SALES_CHANNELS,
        "Sales Channel",
        compute="_compute_lost_parcel_sales_channel",
        store=True,
        help="Where the order came from, for lost-parcel cases and carrier performance reports.",
    )

    # Shown on new orders to a destination where parcels get lost (lost.parcel.risk.region).
    lost_parcel_risk_warning = fields.Text("Lost Parcel Risk", compute="_compute_lost_parcel_risk_warning")

    @api.depends(
        "state",
        "company_id",
        "partner_shipping_id.country_id",
        "partner_shipping_id.state_id",
        "partner_shipping_id.zip",
        "carrier_id",
    )
    @api.depends_context("lang")
    def _compute_lost_parcel_risk_warning(self):
        Region = self.env["lost.parcel.risk.region"]
        for order in self:
            order.lost_parcel_risk_warning = order.state in ("draft", "sent") and Region._warning_for(
                order.company_id, order.partner_shipping_id, order.carrier_id
            )

    @api.depends(lambda self: self._lost_parcel_sales_channel_depends())
    def _compute_lost_parcel_sales_channel(self):
        for order in self:
            order.lost_parcel_sales_channel = order._lost_parcel_sales_channel()[0]

    # Insurance advice (prevention): the rules' warning and suggested insurance while selling.
    lost_parcel_insure = fields.Boolean(
        "Insure Shipment", copy=False, help="The deliveries of the order are insured as the insurance rules advise."
    )
    lost_parcel_insurance_advice = fields.Text("Insurance Advice", compute="_compute_lost_parcel_insurance_advice")
    lost_parcel_insurance_suggested = fields.Boolean(compute="_compute_lost_parcel_insurance_advice")
    lost_parcel_insurance_rule_id = fields.Many2one(
        "lost.parcel.insurance.rule", "Insurance Rule", compute="_compute_lost_parcel_insurance_advice"
    )
    lost_parcel_suggested_premium = fields.Monetary(
        "Suggested Premium",
        currency_field="lost_parcel_company_currency_id",
        compute="_compute_lost_parcel_insurance_advice",
    )
    lost_parcel_company_currency_id = fields.Many2one(related="company_id.currency_id", string="Company Currency")

    @api.depends("lost_parcel_case_ids")
    def _compute_lost_parcel_case_count(self):
        counts = dict(self.env["lost.parcel.case"]._read_group([("sale_id", "in", self.ids)], ["sale_id"], ["__count"]))
        for order in self:
            order.lost_parcel_case_count = counts.get(order, 0)

    @api.depends(
        "order_line.product_id",
        "order_line.price_subtotal",
        "partner_shipping_id.country_id",
        "carrier_id",
        "company_id",
        "lost_parcel_insure",
        "state",
    )
    def _compute_lost_parcel_insurance_advice(self):
        for order in self:
            advice = order._lost_parcel_insurance_advice_values() if order.state != "cancel" else None
            order.lost_parcel_insurance_rule_id = advice["rule"] if advice else False
            order.lost_parcel_insurance_advice = advice["text"] if advice else False
            order.lost_parcel_insurance_suggested = bool(advice) and not order.lost_parcel_insure
            order.lost_parcel_suggested_premium = advice["premium"] if advice else 0.0

    def _lost_parcel_shipped_lines(self):
        return self.order_line.filtered(
            lambda line: not line.display_type and not line.is_delivery and line.product_id.type != "service"
        )

    def _lost_parcel_insurance_advice_values(self):
        """The insurance rules' advice for the goods of the order, valued at their untaxed
        price in the company's currency (see ``lost.parcel.insurance.rule._advice``)."""
        self.ensure_one()
        lines = self._lost_parcel_shipped_lines()
        partner = self.partner_shipping_id or self.partner_id
        if not lines or not partner:
            return None
        company = self.company_id
        value = self.currency_id._convert(
            sum(lines.mapped("price_subtotal")),
            company.currency_id,
            company,
            self.date_order or fields.Date.today(),
        )
        return self.env["lost.parcel.insurance.rule"]._advice(
            company, partner, self.carrier_id, lines.product_id, company.currency_id.round(value)
        )

    def action_lost_parcel_take_insurance(self):
        """Insure the order's shipment: its deliveries not gone yet now, the next ones on confirmation."""
        for order in self:
            rule = order.lost_parcel_insurance_rule_id
            order.lost_parcel_insure = True
            deliveries = order._lost_parcel_open_deliveries().filtered(lambda p: not p.lost_parcel_insured)
            deliveries._lost_parcel_take_insurance(rule=rule, fallback=True)
        return True

    def _lost_parcel_open_deliveries(self):
        self.ensure_one()
        return self.picking_ids.filtered(
            lambda p: p.picking_type_code == "outgoing" and p.state not in ("done", "cancel")
        )

    def action_confirm(self):
        res = super().action_confirm()
        for order in self.filtered("lost_parcel_insure"):
            deliveries = order._lost_parcel_open_deliveries().filtered(lambda p: not p.lost_parcel_insured)
            deliveries._lost_parcel_take_insurance(rule=order.lost_parcel_insurance_rule_id, fallback=True)
        return res

    def action_view_lost_parcel_cases(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("lost_parcel_reship.action_lost_parcel_case")
        action["domain"] = [("sale_id", "=", self.id)]
        return action

    @api.model
    def _lost_parcel_sales_channel_depends(self):
        """What ``_lost_parcel_sales_channel`` reads, as dependencies of a field of the order."""
        names = [name for names in MARKETPLACE_REF_FIELDS.values() for name in names if name in self._fields]
        return ["team_id.name", "client_order_ref", *names]

    def _lost_parcel_sales_channel(self):
        """(sales channel, marketplace order reference) of the order: a store connector's field
        when one is installed, else the store's own reference in the customer reference (an
        ``EBAY-`` prefix, Amazon's 3-7-7 digit order number), else the sales team's name.

        :return: (channel code of ``lost.parcel.case.sales_channel`` or False, reference or False)
        """
        if not self:
            return False, False
        self.ensure_one()
        for channel, names in MARKETPLACE_REF_FIELDS.items():
            for name in names:
                if name in self._fields and self[name]:
                    return channel, str(self[name])
        reference = (self.client_order_ref or "").strip()
        for channel, pattern in MARKETPLACE_REF_PATTERNS:
            if pattern.match(reference):
                return channel, reference
        team = (self.team_id.name or "").lower()
        for channel in MARKETPLACES:
            if channel in team:
                return channel, reference or False
        return "other", False

    def _lost_parcel_awaited_pickings(self):
        """Deliveries of the order that left and that the carrier does not report delivered."""
        self.ensure_one()
        return self.picking_ids.filtered(
            lambda p: (
                p.picking_type_code == "outgoing"
                and p.state == "done"
                and p.carrier_tracking_ref
                and p.tracking_status != "delivered"
            )
        )

    def _report_parcel_not_received(self, message=None):
        """The customer says the parcel never arrived (portal button): a message from the
        customer on the order, which the inquiry signal of the detection rules counts.

        At most one a day (the signal counts days), only while a parcel is on its way, and the
        customer's text is cut to a reasonable length.

        :return: the message posted, or an empty recordset when nothing was posted
        """
        self.ensure_one()
        today = fields.Date.context_today(self)
        if not self._lost_parcel_awaited_pickings() or self.lost_parcel_inquiry_date == today:
            return self.env["mail.message"]
        body = self.env._("I have not received my parcel.")
        if message and message.strip():
            body = f"{body}\n{message.strip()[:INQUIRY_MESSAGE_MAX]}"
        self.lost_parcel_inquiry_date = today
        return self.message_post(
            body=body, author_id=self.partner_id.id, message_type="comment", subtype_xmlid="mail.mt_comment"
        )
