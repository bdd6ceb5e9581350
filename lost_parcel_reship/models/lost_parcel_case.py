"""The lost-parcel case: its whole schema and state machine.

A case is opened by detection (``lost.parcel.rule``) on a shipped delivery that is probably lost,
re-verified with the carrier, reviewed, then confirmed lost (or closed), and finally reshipped or
refunded::

    detected ──► to_review ──► confirmed ──► reshipped
       │  re-verify   │ dismiss     │  └──────► refunded
       └► false_alarm └► dismissed  └► dismissed

What may happen in which state is written once, in ``_transition_blockers``; the computed
``can_be_*`` flags, the ``_ensure_can_be_*`` guards and the views' ``invisible=`` all read it.

Large self-contained work lives in helper models that never extend this one: the reship engine
(``lost.parcel.reship``: procurement run, reservation, shortage), the refund
(``lost.parcel.refund``: write-off, credit notes), the reship carrier choice
(``lost.parcel.carrier.rule``) and the loss statistics (``report/``). Other addons extend the
``_prepare_*_vals`` hooks below.
"""

import logging
import threading
from collections import defaultdict
from datetime import timedelta

import psycopg2.errors
from markupsafe import Markup

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, float_compare, float_is_zero, format_date, format_datetime, formatLang, split_every

_logger = logging.getLogger(__name__)

STATES = [
    ("detected", "Detected"),
    ("to_review", "To Review"),
    ("confirmed", "Confirmed Lost"),
    ("reshipped", "Reshipped"),
    ("refunded", "Refunded"),
    ("dismissed", "Dismissed"),
    ("false_alarm", "False Alarm"),
]
# Under review: re-verified with the carrier, waiting for a person to decide.
REVIEW_STATES = ("detected", "to_review")
# Still needing work: under review, or confirmed and not yet reshipped or refunded.
OPEN_STATES = (*REVIEW_STATES, "confirmed")
# Nothing left to do: folded in the kanban.
CLOSED_STATES = ("reshipped", "refunded", "dismissed", "false_alarm")
# The parcel was lost (for costs, claims and loss statistics).
LOST_STATES = ("confirmed", "reshipped", "refunded")
# Cases re-verified with the carrier per committed transaction by the full run.
REVERIFY_BATCH_SIZE = 100
# Parcels with carrier news checked per committed transaction by the event-driven run.
EVENT_BATCH_SIZE = 1000
SIGNAL_BASE_SCORE = {"stalled": 20, "late": 15, "no_record": 15, "eta_overdue": 15, "inquiry": 0, "buyer_claim": 50}


class LostParcelCase(models.Model):
    _name = "lost.parcel.case"
    _description = "Lost Parcel Case"
    _inherit = ["portal.mixin", "rating.mixin", "mail.thread", "mail.activity.mixin"]
    _order = "score desc, detected_date, id"
    _check_company_auto = True

    # ------------------------------------------------------------------ fields
    # Set from the id right after creation (LOST/00042), in one query for a whole detection batch.
    name = fields.Char(readonly=True, copy=False, index="trigram")
    state = fields.Selection(
        STATES,
        default="detected",
        required=True,
        tracking=True,
        index=True,
        group_expand="_expand_states",
    )
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    user_id = fields.Many2one("res.users", "Responsible", tracking=True, index=True, domain="[('share', '=', False)]")

    # The lost parcel
    picking_id = fields.Many2one(
        "stock.picking", "Lost Delivery", required=True, index=True, check_company=True, ondelete="restrict"
    )
    sale_id = fields.Many2one(related="picking_id.sale_id", store=True, index=True)
    partner_id = fields.Many2one("res.partner", "Customer", compute="_compute_partner_id", store=True, index=True)
    delivery_partner_id = fields.Many2one(related="picking_id.partner_id", string="Delivery Address")
    country_id = fields.Many2one(related="picking_id.partner_id.country_id", store=True, string="Destination Country")
    carrier_id = fields.Many2one(
        "delivery.carrier",
        "Carrier",
        compute="_compute_carrier_id",
        store=True,
        index=True,
        help="The shipping method that lost the parcel.",
    )
    carrier_tracking_ref = fields.Char(related="picking_id.carrier_tracking_ref")
    carrier_tracking_url = fields.Char(related="picking_id.carrier_tracking_url")
    tracking_status = fields.Selection(related="picking_id.tracking_status")
    tracking_exception_kind = fields.Selection(related="picking_id.tracking_exception_kind")
    tracking_last_event_date = fields.Datetime(related="picking_id.tracking_last_event_date")
    tracking_eta = fields.Datetime(related="picking_id.tracking_eta")
    tracking_promised_date = fields.Datetime(related="picking_id.tracking_promised_date")
    tracking_event_ids = fields.One2many(related="picking_id.tracking_event_ids")
    tracking_event_count = fields.Integer(related="picking_id.tracking_event_count")
    shipped_date = fields.Datetime(related="picking_id.date_done", string="Shipped On")
    age_days = fields.Integer("Days Since Shipping", compute="_compute_age_days")
    # Decided once, by the order (sale.order._lost_parcel_sales_channel), for cases and reports alike.
    sales_channel = fields.Selection(
        related="sale_id.lost_parcel_sales_channel", store=True, help="Where the order came from."
    )
    marketplace_order_ref = fields.Char(
        "Marketplace Order Ref.", compute="_compute_marketplace", store=True, index="btree_not_null"
    )
    # The store the order came from (lost.parcel.store.update, lost.parcel.buyer.claim).
    store_update_ids = fields.One2many("lost.parcel.store.update", "case_id", string="Store Write-backs", readonly=True)
    store_update_state = fields.Selection(
        [("pending", "To Send"), ("sent", "Sent"), ("failed", "Failed")],
        "Store Write-back",
        compute="_compute_store_update_state",
        help="Whether the store shows the buyer the reship's tracking number.",
    )
    buyer_claim_ids = fields.One2many("lost.parcel.buyer.claim", "case_id", string="Buyer Claims")
    buyer_claim_deadline = fields.Datetime(
        "Answer Buyer Claim By",
        compute="_compute_buyer_claim_deadline",
        help="The earliest store deadline of the open buyer claims about this parcel. eBay gives no deadline "
        "for an item-not-received inquiry: its deadline is estimated (3 days after the inquiry) and marked so.",
    )
    buyer_claim_deadline_estimated = fields.Boolean(
        "Deadline Estimated",
        compute="_compute_buyer_claim_deadline",
        help="The store gave no deadline for this claim (eBay inquiries): the date is an estimate.",
    )

    # Detection
    detected_date = fields.Datetime(default=fields.Datetime.now, readonly=True, required=True)
    reason_ids = fields.One2many("lost.parcel.case.reason", "case_id", string="Reasons", readonly=True)
    score = fields.Integer(compute="_compute_score", store=True, index=True, help="Higher: more likely lost.")
    signals = fields.Char(compute="_compute_signals", help="The reasons' signals, in the reader's language.")
    first_signal_date = fields.Datetime(
        compute="_compute_score", store=True, help="When the earliest of the reasons first held."
    )
    opened_last_event_date = fields.Datetime(
        "Last Event When Opened",
        compute="_compute_opened_last_event_date",
        store=True,
        help="The carrier's last event when the case opened: a later one means the parcel moves again.",
    )
    parent_case_id = fields.Many2one(
        "lost.parcel.case",
        "Original Case",
        readonly=True,
        index=True,
        help="Set when a reshipped parcel is lost again.",
    )

    # Confirmation and closing
    confirmed_date = fields.Date("Confirmed On", readonly=True, tracking=True, help="The date the loss was confirmed.")
    confirmed_at = fields.Datetime("Confirmed At", readonly=True, copy=False, help="When the case was confirmed.")
    confirmed_by_id = fields.Many2one("res.users", readonly=True)
    carrier_confirmation_ref = fields.Char("Carrier Confirmation Ref.", tracking=True)
    auto_confirmed = fields.Boolean(readonly=True)
    evidence_attachment_ids = fields.Many2many("ir.attachment", string="Carrier Documents", copy=False)
    dismiss_reason = fields.Text(readonly=True)
    closed_date = fields.Datetime(readonly=True)

    # Value of what was lost, in company currency
    goods_value_cost = fields.Monetary("Goods Value at Cost", compute="_compute_goods_value", store=True)
    goods_value_sale = fields.Monetary("Goods Value at Sale Price", compute="_compute_goods_value", store=True)

    # Reship
    reship_carrier_id = fields.Many2one(
        "delivery.carrier",
        "Reship With",
        compute="_compute_reship_carrier_id",
        store=True,
        readonly=False,
        check_company=True,
    )
    reship_carrier_rule_id = fields.Many2one("lost.parcel.carrier.rule", "Carrier Rule", readonly=True, copy=False)
    reship_carrier_reason = fields.Text("Why This Carrier", readonly=True, copy=False)
    reship_carrier_manual = fields.Boolean(
        "Carrier Set by Hand", readonly=True, copy=False, help="The carrier rules no longer change this carrier."
    )
    reship_shipping_estimate = fields.Monetary(
        "Estimated Reship Shipping", readonly=True, copy=False, help="The chosen carrier's rate for the reship."
    )
    reship_picking_id = fields.Many2one("stock.picking", "Reship Delivery", readonly=True, copy=False, index=True)
    reship_picking_ids = fields.One2many(
        "stock.picking", "lost_parcel_case_id", string="Reship Transfers", readonly=True
    )
    reship_move_ids = fields.One2many("stock.move", "lost_parcel_case_id", string="Reship Moves", readonly=True)
    reship_picking_count = fields.Integer(compute="_compute_reship_picking_count")
    reship_state = fields.Selection(related="reship_picking_id.state", string="Reship Transfer Status")
    reship_progress = fields.Selection(
        [
            ("waiting", "Waiting for stock"),
            ("ready", "Ready to ship"),
            ("shipped", "Shipped"),
            ("delivered", "Delivered"),
            ("cancelled", "Cancelled"),
        ],
        "Reship Status",
        compute="_compute_reship_progress",
        help="Where the replacement is: waiting for stock, ready to leave the warehouse, on its way, or delivered.",
    )
    reship_tracking_ref = fields.Char(related="reship_picking_id.carrier_tracking_ref", string="New Tracking Number")
    reship_shortage = fields.Char(
        "Missing for Reship",
        compute="_compute_reship_shortage",
        store=True,
        help="What stock cannot cover yet: the reship waits for it.",
    )
    reship_date = fields.Datetime("Reshipped At", readonly=True, copy=False, help="When the reship was created.")
    reship_tracking_url = fields.Char(related="reship_picking_id.carrier_tracking_url", string="New Tracking Link")
    reship_expected_date = fields.Date(
        "Reship Expected On",
        compute="_compute_reship_expected_date",
        store=True,
        help="When the replacement should arrive: the day it left (or is planned to) plus the reship carrier's "
        "declared transit days.",
    )

    # Customer communication (lost.parcel.communication: policy, composer, coupon, rating)
    customer_notified = fields.Boolean(
        "Customer Told", readonly=True, copy=False, help="A message about the case went to the customer."
    )
    customer_notified_date = fields.Datetime(
        "Customer First Told", readonly=True, copy=False, help="When the customer was first told about the case."
    )
    customer_notice_step = fields.Selection(
        [
            ("opened", "Case opened"),
            ("reshipped", "Reshipped"),
            ("refunded", "Refunded"),
            ("apology", "Apology"),
        ],
        "Notice to Send",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="A notice the sending policy leaves to a person: Send to Customer opens it prefilled.",
    )
    customer_choice_offered = fields.Boolean(
        "Customer Chooses",
        tracking=True,
        copy=False,
        help="The customer picks on the portal whether we ship the goods again or refund them.",
    )
    customer_choice = fields.Selection(
        [("reship", "Ship it again"), ("refund", "Refund me")],
        "Customer's Choice",
        readonly=True,
        copy=False,
        tracking=True,
    )
    customer_choice_date = fields.Datetime("Chosen On", readonly=True, copy=False)

    # Refund
    refund_reason = fields.Text(readonly=True, copy=False, tracking=True)
    refund_move_ids = fields.Many2many(
        "account.move",
        "lost_parcel_case_refund_move_rel",
        "case_id",
        "move_id",
        string="Credit Notes",
        readonly=True,
        copy=False,
    )
    refund_write_off_move_ids = fields.Many2many(
        "stock.move",
        "lost_parcel_case_write_off_move_rel",
        "case_id",
        "move_id",
        string="Written-off Goods",
        readonly=True,
        copy=False,
    )

    # Costs, in company currency
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
    compensation_coupon_code = fields.Char("Coupon Code", readonly=True, copy=False)
    compensation_coupon_ref = fields.Reference(
        selection="_selection_compensation_coupon",
        string="Coupon",
        readonly=True,
        copy=False,
        help="The coupon generated for the customer (with the Coupons & Loyalty app).",
    )
    compensation_note = fields.Char(
        "Compensation Offered", copy=False, help="What the mails offer the customer when no coupon is generated."
    )
    refund_amount = fields.Monetary(
        "Refunded", readonly=True, copy=False, help="Untaxed amount of the credit note or of the order adjustment."
    )
    lost_shipping_cost = fields.Monetary(
        "Lost Parcel Shipping Cost",
        compute="_compute_lost_shipping_cost",
        store=True,
        help="What the lost parcel's label cost (the delivery's shipping price).",
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
        help="What a claim to the carrier or insurer can ask once the parcel is confirmed lost: the invoice value "
        "of the lost goods (at sale price) plus the shipping paid for the lost parcel.",
    )

    # Claims (lost.parcel.claim), in company currency: what carriers and insurers paid back.
    claim_line_ids = fields.One2many("lost.parcel.claim.line", "case_id", string="Claimed In", readonly=True)
    claim_ids = fields.Many2many("lost.parcel.claim", compute="_compute_claim_ids", string="Claims")
    claim_count = fields.Integer(compute="_compute_claim_ids")
    recovered_amount = fields.Monetary(
        "Recovered by Claims",
        compute="_compute_recovered_amount",
        store=True,
        help="What paid claims brought back for this parcel.",
    )
    net_loss = fields.Monetary(
        "Net Loss", compute="_compute_recovered_amount", store=True, help="Total cost minus what claims recovered."
    )
    insured_value = fields.Monetary(
        related="picking_id.lost_parcel_insured_value", currency_field="currency_id", string="Insured Value"
    )
    insurer_id = fields.Many2one(related="picking_id.lost_parcel_insurer_id", string="Insurer")

    # Transitions: computed from _transition_blockers, read by guards and views alike.
    is_open = fields.Boolean(compute="_compute_transitions", help="The case still needs work.")
    is_lost = fields.Boolean(
        compute="_compute_transitions", help="The parcel was confirmed lost: it has costs and can be claimed."
    )
    can_be_reverified = fields.Boolean(compute="_compute_transitions")
    can_be_confirmed = fields.Boolean(compute="_compute_transitions")
    can_be_dismissed = fields.Boolean(compute="_compute_transitions")
    can_be_reshipped = fields.Boolean(compute="_compute_transitions")
    can_be_refunded = fields.Boolean(compute="_compute_transitions")
    can_ask_carrier = fields.Boolean(compute="_compute_transitions")
    can_change_reship_carrier = fields.Boolean(compute="_compute_transitions")
    can_be_claimed = fields.Boolean(compute="_compute_transitions")
    can_offer_customer_choice = fields.Boolean(compute="_compute_transitions")
    # The Refund button says the replacement stays when the refund rule's own predicate holds.
    reship_left = fields.Boolean(
        "Replacement Left", compute="_compute_transitions", help="A reship transfer has gone to the customer."
    )

    @api.model
    def _expand_states(self, states, domain):
        return [key for key, _label in self._fields["state"].selection]

    @api.model
    def web_read_group(self, domain, fields, groupby, limit=None, offset=0, orderby=False, lazy=True):
        # The kanban by state folds the closed columns, as stages marked folded do.
        result = super().web_read_group(domain, fields, groupby, limit=limit, offset=offset, orderby=orderby, lazy=lazy)
        if groupby and groupby[0] == "state":
            for group in result["groups"]:
                group["__fold"] = group.get("state") in CLOSED_STATES
        return result

    @api.model
    def _selection_compensation_coupon(self):
        # loyalty is optional: the coupon model is offered only when it is installed.
        return [("loyalty.card", "Coupon")] if "loyalty.card" in self.env else []

    # ------------------------------------------------------------------ computes
    @api.depends("picking_id.sale_id.partner_id", "picking_id.partner_id")
    def _compute_partner_id(self):
        for case in self:
            case.partner_id = case.picking_id.sale_id.partner_id or case.picking_id.partner_id.commercial_partner_id

    @api.depends("picking_id")
    def _compute_carrier_id(self):
        for case in self:
            case.carrier_id = case.picking_id.carrier_id

    @api.depends_context("lang")
    @api.depends("reason_ids.signal")
    def _compute_signals(self):
        labels = dict(self.env["lost.parcel.case.reason"]._fields["signal"]._description_selection(self.env))
        for case in self:
            case.signals = ", ".join(sorted({labels[signal] for signal in case.reason_ids.mapped("signal")}))

    @api.depends("reason_ids.score", "reason_ids.signal_date")
    def _compute_score(self):
        for case in self:
            case.score = sum(case.reason_ids.mapped("score"))
            case.first_signal_date = min(case.reason_ids.mapped("signal_date"), default=False)

    @api.depends("shipped_date")
    @api.depends()  # set once, when the case opens
    def _compute_opened_last_event_date(self):
        for case in self:
            case.opened_last_event_date = case.picking_id.tracking_last_event_date

    def _compute_age_days(self):
        now = fields.Datetime.now()
        for case in self:
            case.age_days = (now - case.shipped_date).days if case.shipped_date else 0

    @api.depends(
        lambda self: [f"sale_id.{path}" for path in self.env["sale.order"]._lost_parcel_sales_channel_depends()]
    )
    def _compute_marketplace(self):
        for case in self:
            case.marketplace_order_ref = case.sale_id._lost_parcel_sales_channel()[1]

    @api.depends("store_update_ids.state")
    def _compute_store_update_state(self):
        for case in self:
            states = set(case.store_update_ids.mapped("state"))
            case.store_update_state = next((s for s in ("failed", "pending", "sent") if s in states), False)

    @api.depends("buyer_claim_ids.state", "buyer_claim_ids.respond_by", "buyer_claim_ids.respond_by_estimated")
    def _compute_buyer_claim_deadline(self):
        for case in self:
            open_claims = case.buyer_claim_ids.filtered(lambda c: c.state == "open" and c.respond_by)
            first = open_claims.sorted("respond_by")[:1]
            case.buyer_claim_deadline = first.respond_by
            case.buyer_claim_deadline_estimated = first.respond_by_estimated

    @api.depends("picking_id.move_ids.quantity", "picking_id.move_ids.sale_line_id")
    def _compute_goods_value(self):
        for case in self:
            cost = sale = 0.0
            company = case.company_id
            for move in case.picking_id.move_ids.filtered(lambda m: m.state == "done"):
                qty = move.product_uom._compute_quantity(move.quantity, move.product_id.uom_id)
                cost += qty * move.product_id.with_company(company).standard_price
                line = move.sale_line_id
                if line:
                    unit = line.price_reduce_taxexcl
                    sale_qty = move.product_uom._compute_quantity(move.quantity, line.product_uom)
                    sale += line.currency_id._convert(
                        unit * sale_qty, company.currency_id, company, line.order_id.date_order or fields.Date.today()
                    )
                else:
                    sale += qty * move.product_id.lst_price
            case.goods_value_cost = company.currency_id.round(cost)
            case.goods_value_sale = company.currency_id.round(sale)

    @api.depends("carrier_id")
    def _compute_reship_carrier_id(self):
        for case in self:
            if not case.reship_carrier_id:
                case.reship_carrier_id = case.carrier_id

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

    @api.depends(
        "reship_picking_id.date_done",
        "reship_picking_id.scheduled_date",
        "reship_picking_id.carrier_id.transit_days",
        "partner_id.tz",
        "company_id.partner_id.tz",
    )
    def _compute_reship_expected_date(self):
        """The customer's calendar day: the day the replacement left where they are (not where
        the user who validated it is), plus the carrier's transit days."""
        Communication = self.env["lost.parcel.communication"]
        for case in self:
            reship = case.reship_picking_id
            start = reship.date_done or reship.scheduled_date
            transit = reship.carrier_id.transit_days
            case.reship_expected_date = (
                Communication._local_date(case, start) + timedelta(days=transit) if start and transit else False
            )

    def _compute_access_url(self):
        res = super()._compute_access_url()
        for case in self:
            case.access_url = f"/my/lost_parcels/{case.id}"
        return res

    @api.depends("reship_picking_ids")
    def _compute_reship_picking_count(self):
        for case in self:
            case.reship_picking_count = len(case.reship_picking_ids)

    @api.depends("reship_picking_id.state", "reship_picking_id.tracking_status", "reship_shortage")
    def _compute_reship_progress(self):
        for case in self:
            reship = case.reship_picking_id
            if not reship:
                case.reship_progress = False
            elif reship.state == "cancel":
                case.reship_progress = "cancelled"
            elif reship.state == "done":
                case.reship_progress = "delivered" if reship.tracking_status == "delivered" else "shipped"
            else:
                case.reship_progress = "waiting" if case.reship_shortage else "ready"

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
        "state",
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
            # Nothing is claimable on a parcel not confirmed lost (under review, dismissed, false alarm).
            claimable = case.goods_value_sale + case.picking_id.carrier_price if case.state in LOST_STATES else 0.0
            case.claimable_amount = currency.round(claimable)

    @api.depends("claim_line_ids.claim_id")
    def _compute_claim_ids(self):
        for case in self:
            case.claim_ids = case.claim_line_ids.claim_id
            case.claim_count = len(case.claim_ids)

    @api.depends("claim_line_ids.state", "claim_line_ids.recovered_company_amount", "total_cost")
    def _compute_recovered_amount(self):
        for case in self:
            currency = case.company_id.currency_id
            paid = case.claim_line_ids.filtered(lambda line: line.state == "paid")
            case.recovered_amount = currency.round(sum(paid.mapped("recovered_company_amount")))
            case.net_loss = currency.round(case.total_cost - case.recovered_amount)

    @api.depends(
        "state",
        "tracking_status",
        "sale_id",
        "claim_line_ids.state",
        "reship_picking_id.state",
        "reship_picking_ids.state",
        "reship_picking_ids.location_dest_id",
        "customer_choice",
    )
    def _compute_transitions(self):
        for case in self:
            blockers = case._transition_blockers()
            case.is_open = case.state in OPEN_STATES
            case.is_lost = case.state in LOST_STATES
            case.reship_left = bool(case._reship_left_pickings())
            case.can_be_reverified = not blockers["reverify"]
            case.can_be_confirmed = not blockers["confirm"]
            case.can_be_dismissed = not blockers["dismiss"]
            case.can_be_reshipped = not blockers["reship"]
            case.can_be_refunded = not blockers["refund"]
            case.can_ask_carrier = not blockers["ask_carrier"]
            case.can_change_reship_carrier = not blockers["change_reship_carrier"]
            case.can_be_claimed = not blockers["claim"]
            case.can_offer_customer_choice = not blockers["offer_customer_choice"]

    # ------------------------------------------------------------------ transition rules
    def _transition_blockers(self):
        """Why each transition cannot happen now, or False when it can. The one place where the
        state machine's rules are written.

        :return: {transition: error message or False}
        """
        self.ensure_one()
        _ = self.env._
        state = self._state_label()
        reship_left = self._reship_left_pickings()
        claimed = self.claim_line_ids.filtered(lambda line: line.state not in ("rejected", "cancelled")).claim_id
        under_review = self.state in REVIEW_STATES
        delivered = self.tracking_status == "delivered"
        blockers = {
            "reverify": not under_review
            and _(
                "Case %(case)s is %(state)s: only a case waiting for review is re-verified.",
                case=self.name,
                state=state,
            ),
            "confirm": (
                not under_review
                and _(
                    "Case %(case)s is %(state)s: only a case under review can be confirmed.",
                    case=self.name,
                    state=state,
                )
            )
            or (
                delivered
                and _("Case %s: the carrier reports the parcel delivered; it cannot be confirmed lost.", self.name)
            ),
            "dismiss": self.state not in OPEN_STATES
            and _("Case %(case)s is %(state)s and cannot be dismissed.", case=self.name, state=state),
            "reship": (
                self.state != "confirmed"
                and _(
                    "Case %(case)s is %(state)s: only a parcel confirmed lost is reshipped.",
                    case=self.name,
                    state=state,
                )
            )
            or (
                self.reship_picking_id
                and self.reship_picking_id.state != "cancel"
                and _("Case %s already has a reship delivery.", self.name)
            )
            or (delivered and _("Case %s: the carrier reports the parcel delivered; it is not reshipped.", self.name)),
            "refund": (
                self.state not in ("confirmed", "reshipped")
                and _(
                    "Case %(case)s is %(state)s: only a parcel confirmed lost is refunded.",
                    case=self.name,
                    state=state,
                )
            )
            or (not self.sale_id and _("Case %s: the lost delivery has no sale order to refund.", self.name))
            or (delivered and _("Case %s: the carrier reports the parcel delivered; it is not refunded.", self.name))
            or (
                # Once the replacement left, only what was invoiced can be refunded (a credit note; the
                # replacement stays with the customer).
                reship_left
                and not self._lost_lines_invoiced()
                and _(
                    "Case %(case)s: the replacement %(picking)s has left already and the order is not invoiced: "
                    "there is nothing to refund.",
                    case=self.name,
                    picking=reship_left[0].name,
                )
            ),
            "ask_carrier": self.state not in OPEN_STATES
            and _("Case %(case)s is %(state)s: the carrier has nothing to trace.", case=self.name, state=state),
            "change_reship_carrier": (
                self.state not in ("confirmed", "reshipped")
                and _("Case %s: only a confirmed case gets a reship carrier.", self.name)
            )
            or (reship_left and _("The reship of %s has left already: its carrier cannot change.", self.name)),
            "claim": (
                self.state not in LOST_STATES
                and _(
                    "Case %(case)s is %(state)s: only a parcel confirmed lost is claimed.", case=self.name, state=state
                )
            )
            or (
                delivered
                and _("Case %s: the carrier reports the parcel delivered; there is nothing to claim.", self.name)
            )
            or (claimed and _("Case %(case)s is already claimed in %(claim)s.", case=self.name, claim=claimed[0].name)),
        }
        # A choice needs both ways open: the customer picks between shipping again and a refund.
        blockers["offer_customer_choice"] = (
            self.customer_choice and _("Case %s: the customer has already chosen.", self.name)
        ) or (blockers["reship"] or blockers["refund"])
        return blockers

    def _ensure_can(self, transition):
        for case in self:
            blocker = case._transition_blockers()[transition]
            if blocker:
                raise UserError(blocker)

    def _ensure_can_be_reverified(self):
        self._ensure_can("reverify")

    def _ensure_can_be_confirmed(self):
        self._ensure_can("confirm")

    def _ensure_can_be_dismissed(self):
        self._ensure_can("dismiss")

    def _ensure_can_be_reshipped(self):
        self._ensure_can("reship")

    def _ensure_can_be_refunded(self):
        self._ensure_can("refund")

    def _ensure_can_change_reship_carrier(self):
        self._ensure_can("change_reship_carrier")

    def _ensure_can_offer_customer_choice(self):
        self._ensure_can("offer_customer_choice")

    def _state_label(self):
        return dict(self._fields["state"]._description_selection(self.env))[self.state]

    def _lost_lines_invoiced(self):
        """Whether posted invoices bill some of the lost goods."""
        self.ensure_one()
        return any(line._lost_parcel_posted_invoiced_qty() > 0 for line in self._reship_moves().sale_line_id)

    def _reship_left_pickings(self):
        """Reship transfers that already went to the customer."""
        return self.reship_picking_ids.filtered(lambda p: p.state == "done" and p.location_dest_id.usage == "customer")

    # ------------------------------------------------------------------ CRUD
    @api.model_create_multi
    def create(self, vals_list):
        cases = super().create(vals_list)
        unnamed = cases.filtered(lambda c: not c.name)
        if unnamed:
            # Reference from the id (LOST/00042): one query for a whole detection batch.
            self.env.cr.execute(
                SQL(
                    "UPDATE lost_parcel_case SET name = 'LOST/' || LPAD(id::text, 5, '0') WHERE id IN %s",
                    tuple(unnamed.ids),
                )
            )
            unnamed.invalidate_recordset(["name"])
        cases._subscribe_responsible()
        return cases

    def write(self, vals):
        # The carrier rules write their choice under lost_parcel_carrier_choice (_choose_reship_carrier).
        if "reship_carrier_id" in vals and not self.env.context.get("lost_parcel_carrier_choice"):
            return self._write_reship_carrier_by_hand(vals)
        return super().write(vals)

    def _write_reship_carrier_by_hand(self, vals):
        """A user picks the reship carrier: the rules no longer change it, and pending reship
        transfers follow. Allowed as ``can_change_reship_carrier`` says."""
        carrier = self.env["delivery.carrier"].browse(vals["reship_carrier_id"])
        changed = self.filtered(lambda case: case.reship_carrier_id != carrier)
        changed._ensure_can_change_reship_carrier()
        vals = dict(vals, reship_carrier_manual=True, reship_carrier_rule_id=False)
        if changed and carrier:
            vals["reship_carrier_reason"] = self.env._("Set by hand by %s.", self.env.user.name)
        res = super().write(vals)
        for case in changed:
            case.reship_shipping_estimate = case._estimate_reship_shipping(case.reship_carrier_id)
            case._set_pending_reship_carrier(carrier)
            case.message_post(
                body=self.env._("Reship carrier set by hand: %s.", carrier.name or self.env._("none")),
            )
        return res

    # ------------------------------------------------------------------ actions
    def action_reverify(self):
        self._ensure_can_be_reverified()
        self._reverify()
        return True

    def action_confirm_lost(self):
        self.ensure_one()
        self._ensure_can_be_confirmed()
        action = self.env["ir.actions.act_window"]._for_xml_id("lost_parcel_reship.action_lost_parcel_confirm_wizard")
        action["context"] = {"default_case_ids": self.ids}
        return action

    def action_dismiss(self):
        self._ensure_can_be_dismissed()
        action = self.env["ir.actions.act_window"]._for_xml_id("lost_parcel_reship.action_lost_parcel_dismiss_wizard")
        action["context"] = {"default_case_ids": self.ids}
        return action

    def action_ask_carrier(self):
        """Plan a call/mail to the carrier with what they need to trace the parcel."""
        self.ensure_one()
        self._ensure_can("ask_carrier")
        carrier = self.carrier_id
        contact = carrier.tracking_account_id.name or carrier.name or self.env._("the carrier")
        note = self.env._(
            "Ask %(contact)s to trace parcel %(ref)s (shipped %(date)s to %(country)s). Quote the tracking "
            "reference %(ref)s and ask for a written loss confirmation and its reference.",
            contact=contact,
            ref=self.carrier_tracking_ref or "-",
            date=format_date(self.env, self.shipped_date),
            country=self.country_id.name or "-",
        )
        self.activity_schedule(
            "lost_parcel_reship.mail_activity_type_ask_carrier",
            summary=self.env._("Ask %(carrier)s about %(ref)s", carrier=carrier.name, ref=self.carrier_tracking_ref),
            note=note,
            user_id=self.env.user.id,
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "message": self.env._(
                    "Activity planned for you: ask %(contact)s to trace %(ref)s (see the case's activities).",
                    contact=contact,
                    ref=self.carrier_tracking_ref or "-",
                ),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def action_reship(self):
        """One click: reship everything that was lost. All cases or none; a case already
        reshipped is not reshipped again (double click, double submit)."""
        active = self.filtered(lambda c: c.state == "reshipped" and c.reship_picking_id.state != "cancel")
        cases = self - active
        if cases:
            Reship = self.env["lost.parcel.reship"]
            Reship._lock_cases(cases, nowait=True)
            errors = Reship._reship(cases)
            if errors:
                raise UserError("\n".join(errors.values()))
        if len(self) == 1:
            return self.action_view_reship()
        return True

    def action_reship_batch(self):
        """Reship many cases; a case that fails (wrong state, no carrier, no route, locked by
        another user) is reported and does not stop the others."""
        return self._reship_notification(self.env["lost.parcel.reship"]._reship_many(self))

    def action_open_reship_wizard(self):
        self.ensure_one()
        self._ensure_can_be_reshipped()
        action = self.env["ir.actions.act_window"]._for_xml_id("lost_parcel_reship.action_lost_parcel_reship_wizard")
        action["context"] = {"default_case_id": self.id}
        return action

    def action_choose_reship_carrier(self):
        """Apply the carrier rules again, forgetting a carrier set by hand."""
        self._ensure_can_change_reship_carrier()
        self.with_context(lost_parcel_carrier_choice=True).write({"reship_carrier_manual": False})
        errors = self._choose_reship_carrier()
        if errors:
            raise UserError("\n".join(errors.values()))
        for case in self:
            case._set_pending_reship_carrier(case.reship_carrier_id)
        return True

    def action_refund(self):
        self.ensure_one()
        self._ensure_can_be_refunded()
        action = self.env["ir.actions.act_window"]._for_xml_id("lost_parcel_reship.action_lost_parcel_refund_wizard")
        action["context"] = {"default_case_id": self.id}
        return action

    def action_create_claim(self):
        """Claim the cases back: one claim per carrier (or insurer) and claim window, one per
        parcel where the claim is filed through an API. Cases that cannot be claimed are
        reported and do not stop the others."""
        claims, errors = self.env["lost.parcel.claim"]._create_from_cases(self)
        if not claims:
            raise UserError("\n".join(errors.values()) or self.env._("Nothing to claim."))
        action = self.env["ir.actions.act_window"]._for_xml_id("lost_parcel_reship.action_lost_parcel_claim")
        action.update(domain=[("id", "in", claims.ids)], context={})
        if len(claims) == 1:
            action.update(res_id=claims.id, views=[(False, "form")], view_mode="form")
        if not errors:
            return action
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "warning",
                "sticky": True,
                "message": self.env._(
                    "%(count)s claim(s) opened. Not claimed: %(errors)s",
                    count=len(claims),
                    errors="; ".join(errors.values()),
                ),
                "next": action,
            },
        }

    def action_view_claims(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("lost_parcel_reship.action_lost_parcel_claim")
        action.update(domain=[("id", "in", self.claim_ids.ids)], context={"search_default_open": 0})
        if len(self.claim_ids) == 1:
            action.update(res_id=self.claim_ids.id, views=[(False, "form")], view_mode="form")
        return action

    def action_view_picking(self):
        self.ensure_one()
        return self._action_open_picking(self.picking_id)

    def action_view_reship(self):
        self.ensure_one()
        return self._action_open_picking(self.reship_picking_id)

    def action_view_refunds(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_move_out_refund_type")
        action["domain"] = [("id", "in", self.refund_move_ids.ids)]
        if len(self.refund_move_ids) == 1:
            action.update(res_id=self.refund_move_ids.id, views=[(False, "form")], view_mode="form")
        return action

    def action_send_customer_notice(self):
        """Open one composer for the selected cases, prefilled with the mail of the step each is
        at (the notice the policy left to a person, else what the state calls for)."""
        Communication = self.env["lost.parcel.communication"]
        steps = {Communication._step_of(case) for case in self}
        if len(steps) > 1:
            labels = dict(self._fields["customer_notice_step"]._description_selection(self.env))
            raise UserError(
                self.env._(
                    "These cases call for different mails (%s): select cases at the same step.",
                    ", ".join(sorted(labels[step] for step in steps)),
                )
            )
        if not self.partner_id:
            raise UserError(self.env._("These cases have no customer to write to."))
        return Communication._composer_action(self.filtered("partner_id"), steps.pop())

    def action_offer_customer_choice(self):
        """Let the customer choose on the portal between a new shipment and a refund, and open
        the apology that gives them the link."""
        self.ensure_one()
        self._ensure_can_offer_customer_choice()
        self.customer_choice_offered = True
        return self.env["lost.parcel.communication"]._composer_action(self, "apology")

    def action_record_buyer_claim(self):
        """Record a buyer's claim the store has no API for (Amazon A-to-z, Walmart): store and
        deadline, by hand."""
        self.ensure_one()
        store = self.sales_channel if self.sales_channel in ("amazon", "walmart", "wish") else "amazon"
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Record Buyer Claim"),
            "res_model": "lost.parcel.buyer.claim",
            "view_mode": "form",
            "views": [(self.env.ref("lost_parcel_reship.lost_parcel_buyer_claim_view_form_manual").id, "form")],
            "target": "new",
            "context": {
                "default_case_id": self.id,
                "default_picking_id": self.picking_id.id,
                "default_company_id": self.company_id.id,
                "default_store": store,
                "default_order_ref": self.env["lost.parcel.store.update"]._store_order_ref(self),
                "default_kind": "a_to_z" if store == "amazon" else "inquiry",
                "default_manual": True,
            },
        }

    def action_preview_portal_case(self):
        """The case page as the customer sees it."""
        self.ensure_one()
        return {"type": "ir.actions.act_url", "target": "self", "url": self.get_portal_url()}

    def _action_open_picking(self, picking):
        return {
            "type": "ir.actions.act_window",
            "res_model": "stock.picking",
            "res_id": picking.id,
            "view_mode": "form",
        }

    # ------------------------------------------------------------------ detection
    @api.model
    def _prepare_reason_vals(self, rule, signal, extra, data, now):
        """Reason line for one signal: what detection saw, as data (the words come from the
        reason, in the reader's language), and its score."""
        last_event = data["tracking_last_event_date"]
        vals = {"rule_id": rule.id, "signal": signal, "signal_date": now}
        learned = extra if isinstance(extra, dict) else {}
        if signal == "stalled":
            days = (now - last_event).days
            threshold = learned.get("threshold", rule.stalled_days)
            vals.update(
                signal_date=last_event + timedelta(days=threshold),
                days=days,
                threshold_days=threshold,
                lane_id=learned.get("lane_id") or False,
                after_quiet_days=learned.get("after_quiet") or 0.0,
                reference_date=last_event,
                score=SIGNAL_BASE_SCORE[signal] + min(int(days - threshold), 40),
            )
        elif signal == "late":
            days = (now - data["date_done"]).days
            vals.update(
                signal_date=data["date_done"] + timedelta(days=learned["threshold"]),
                days=days,
                threshold_days=learned["threshold"],
                lane_id=learned["lane_id"],
                reference_date=data["date_done"],
                score=SIGNAL_BASE_SCORE[signal] + min(int(days - learned["threshold"]), 30),
            )
        elif signal == "no_record":
            days = (now - data["date_done"]).days
            vals.update(
                signal_date=data["date_done"] + timedelta(days=rule.no_record_days),
                days=days,
                threshold_days=rule.no_record_days,
                reference_date=data["date_done"],
                score=SIGNAL_BASE_SCORE[signal] + min(days - rule.no_record_days, 30),
            )
        elif signal == "eta_overdue":
            # The earliest of the first promise and the latest estimate: the date that was missed.
            missed = min(filter(None, [data["tracking_promised_date"], data["tracking_eta"]]))
            days = (now - missed).days
            vals.update(
                signal_date=missed + timedelta(days=rule.eta_overdue_days),
                days=days,
                threshold_days=rule.eta_overdue_days,
                reference_date=missed,
                score=SIGNAL_BASE_SCORE[signal] + min(days, 30),
            )
        elif signal == "exception":
            matched = rule.exception_kind_ids.filtered(
                lambda k: (
                    (k.match_on == "status" and k.status == data["tracking_status"])
                    or (k.match_on == "kind" and k.exception_kind == data["tracking_exception_kind"])
                )
            )
            vals.update(
                signal_date=last_event or now,
                tracking_status=data["tracking_status"],
                raw_code=data["tracking_raw_status"] or False,
                exception_kind_ids=[fields.Command.set(matched.ids)],
                score=max(matched.mapped("score") or [40]),
            )
        elif signal == "buyer_claim":
            # extra: {"store", "claim_ref", "opened_at", "respond_by"} of the earliest open claim.
            vals.update(
                signal_date=extra["opened_at"] or now,
                reference_date=extra["respond_by"] or False,
                raw_code=extra["claim_ref"],
                score=SIGNAL_BASE_SCORE[signal],
            )
        else:
            vals.update(days=extra, period_days=rule.inquiry_days, score=10 * extra)
        vals["signal_date"] = min(vals["signal_date"], now)
        vals["score"] = max(vals["score"], 1)
        return vals

    @api.model
    def _prepare_detected_case_vals(self, data, reasons, reviewer, now):
        """Values of a case opened by detection on one picking (``data``: the picking's row)."""
        return {
            "picking_id": data["id"],
            "company_id": data["company_id"],
            "carrier_id": data["carrier_id"],
            "user_id": reviewer.id,
            "detected_date": now,
            "parent_case_id": data["lost_parcel_case_id"] or False,
            "reason_ids": [fields.Command.create(vals) for vals in reasons],
        }

    @api.model
    def _create_from_detection(self, found, now):
        """Open one case per flagged picking, in batch: the number of queries does not grow
        with the number of parcels."""
        Picking = self.env["stock.picking"]
        rows = Picking.browse(list(found)).read(
            [
                "company_id",
                "carrier_id",
                "tracking_last_event_date",
                "date_done",
                "tracking_eta",
                "tracking_promised_date",
                "tracking_status",
                "tracking_exception_kind",
                "tracking_raw_status",
                "lost_parcel_case_id",
            ],
            load=None,
        )
        reviewers = {}
        vals_list = []
        for data in rows:
            company = self.env["res.company"].browse(data["company_id"])
            if company not in reviewers:
                reviewers[company] = self._default_reviewer(company)
            reasons = [
                self._prepare_reason_vals(rule, signal, extra, data, now) for rule, signal, extra in found[data["id"]]
            ]
            vals_list.append(self._prepare_detected_case_vals(data, reasons, reviewers[company], now))
        cases = self.with_context(tracking_disable=True, mail_create_nolog=True)._create_one_per_parcel(vals_list)
        bodies = {}
        for company_cases in cases.grouped("company_id").values():
            in_company_lang = company_cases._in_company_lang()
            for case in in_company_lang:
                bodies[case.id] = in_company_lang.env._("Parcel flagged as probably lost: %s", case.signals)
        cases._message_log_batch(bodies=bodies)
        cases._schedule_review_activities()
        return cases

    @api.model
    def _create_one_per_parcel(self, vals_list):
        """Create the cases; a parcel that meanwhile got its case from a concurrent detection (the
        scheduled run and the event-driven one racing) is skipped, not doubled: the partial
        unique index of ``init`` refuses it, then the batch is created parcel by parcel.

        The scheduled run may also meet a parcel the event-driven run holds (it claimed it with a
        row lock and is opening its case): waiting for it ends in a deadlock (both insert the
        parcel's case) or, once it commits, in a serialization failure (the parcel changed since
        this run's snapshot). Such a parcel is skipped too, instead of losing the whole run: the
        event-driven run that changed it is checking it. (If both runs deadlock on it parcel by
        parcel, the next scheduled run opens its case.)"""
        skipped = (
            psycopg2.errors.UniqueViolation,
            psycopg2.errors.SerializationFailure,
            psycopg2.errors.DeadlockDetected,
        )
        try:
            with self.env.cr.savepoint():
                return self.create(vals_list)
        except skipped:
            _logger.info("A concurrent detection holds some of these %s parcels: one by one", len(vals_list))
        cases = self.browse()
        for vals in vals_list:
            try:
                with self.env.cr.savepoint():
                    cases |= self.create([vals])
            except psycopg2.errors.UniqueViolation:
                _logger.info("Parcel %s already has its case: not opened twice", vals["picking_id"])
            except skipped as exc:
                _logger.info("Parcel %s held by a concurrent detection (%s): skipped", vals["picking_id"], exc.pgcode)
        return cases

    def _in_company_lang(self):
        """These cases (of one company) in their company's language: chatter notes stay as written,
        whoever runs the code that posts them (a cron, a webhook, a user in another language)."""
        return self.with_context(lang=self.company_id[:1].partner_id.lang or self.env.lang)

    def _default_reviewer(self, company):
        """Who owns new cases of ``company``: the reviewer chosen in that company's settings, else
        the first Lost Parcels manager of the company (on install, the administrator), so that no
        case waits without an owner. Never a user outside the company: the reviewer another
        company chose does not get this company's cases. (Before the reviewer was per company,
        the one chosen was kept in the parameter ``lost_parcel_reship.reviewer_id``: still
        honoured for the companies that user belongs to, until each company chooses its own.)"""
        company = company.sudo()

        def of_company(user):
            return user.filtered(lambda u: u.active and not u.share and company in u.company_ids)

        reviewer = of_company(company.lost_parcel_reviewer_id)
        if reviewer:
            return reviewer
        param = self.env["ir.config_parameter"].sudo().get_param("lost_parcel_reship.reviewer_id")
        reviewer = of_company(self.env["res.users"].sudo().browse(int(param)).exists()) if param else None
        if reviewer:
            return reviewer
        managers = self.env.ref("lost_parcel_reship.group_lost_parcel_manager").sudo().users
        return managers.filtered(
            lambda user: user.active and not user.share and company in user.company_ids and user.id != SUPERUSER_ID
        ).sorted("id")[:1]

    def _schedule_review_activities(self):
        """One 'review' activity per case with a responsible, created in one batch."""
        activity_type = self.env.ref("lost_parcel_reship.mail_activity_type_review_case")
        model_id = self.env["ir.model"]._get_id(self._name)
        # quick_update: no mail per activity; a detection run may open hundreds of cases and the
        # reviewer gets them in the activity menu and in the daily digest.
        # Activities name their record one by one: read every case's name in one query first.
        self.fetch(["name"])
        vals_list = []
        today = fields.Date.context_today(self)
        # In the reviewer's language (the activity is theirs), one batch per language.
        for lang, cases in self.filtered("user_id").grouped(lambda c: c.user_id.lang or self.env.lang).items():
            cases = cases.with_context(lang=lang)
            _ = cases.env._
            for case in cases:
                if set(case.reason_ids.mapped("signal")) == {"no_record"}:
                    summary = _("Check the tracking number %s", case.carrier_tracking_ref)
                else:
                    summary = _("Review lost parcel %s", case.carrier_tracking_ref)
                actions = dict.fromkeys(case.reason_ids.mapped("suggested_action"))
                vals_list.append(
                    {
                        "activity_type_id": activity_type.id,
                        "automated": True,
                        "res_model_id": model_id,
                        "res_id": case.id,
                        "user_id": case.user_id.id,
                        "summary": summary,
                        "note": Markup("<ul>%s</ul>") % Markup().join(Markup("<li>%s</li>") % a for a in actions),
                        "date_deadline": today + timedelta(days=activity_type.delay_count),
                    }
                )
        self.env["mail.activity"].with_context(mail_activity_quick_update=True).create(vals_list)

    # ------------------------------------------------------------------ review
    def _reverify(self, poll=True):
        """Check with the carrier again (``poll``: ask it now; without, the tracking was just
        updated by a poll or a push): movement since the case opened closes it as a false alarm;
        otherwise a new case goes to review (the customer hears of it as the policy says), and
        the chatter says what the carrier answered."""
        cases = self.filtered("can_be_reverified")
        if not cases:
            return cases
        newly_detected = cases.filtered(lambda c: c.state == "detected")
        if poll:
            cases.picking_id._update_tracking()
        # A delivery reported by this poll may have closed or moved cases already.
        cases = cases.filtered(lambda c: c.state in REVIEW_STATES)
        moved = cases._moving_again()
        moved._close_false_alarm()
        to_review = cases - moved
        bodies = {}
        for case in to_review:
            case = case._in_company_lang()
            picking = case.picking_id
            if picking.tracking_error:
                bodies[case.id] = case.env._("Re-verification could not reach the carrier: %s", picking.tracking_error)
            else:
                bodies[case.id] = case.env._(
                    "Re-verified with the carrier: no movement (%(status)s, last event %(date)s).",
                    status=picking._lost_parcel_tracking_status_label(),
                    date=format_datetime(case.env, picking.tracking_last_event_date) or "-",
                )
        # Internal notes, as message_post would write them, in one batch: a detection run
        # re-verifies a whole batch of new cases (a fixed number of queries, not six per case).
        to_review._message_log_batch(bodies=bodies, message_type="comment")
        to_review.write({"state": "to_review"})
        new_in_review = to_review & newly_detected
        new_in_review._notify_customer("opened")
        new_in_review._auto_confirm()
        return to_review

    def _moving_again(self):
        """The cases whose parcel moves again: delivered, or a carrier event newer than the last
        one known when the case opened, with a status that is not itself alarming."""
        return self.filtered(
            lambda case: (
                case.tracking_status == "delivered"
                or (
                    case.tracking_last_event_date
                    and (not case.opened_last_event_date or case.tracking_last_event_date > case.opened_last_event_date)
                    and case.tracking_status not in ("exception", "returning", "returned", "expired")
                )
            )
        )

    def _close_false_alarm(self):
        for case in self:
            case = case._in_company_lang()
            picking = case.picking_id
            # The event that cleared it: the newest one, as the carrier wrote it.
            event = picking.tracking_event_ids.sorted(lambda e: (e.occurred_at, e.id), reverse=True)[:1]
            detail = ", ".join(filter(None, [event.description, event.location]))
            detail = " (%s)" % detail if detail else ""
            case.message_post(
                body=case.env._(
                    "Closed as a false alarm: the carrier reports %(status)s, last event on %(date)s%(detail)s.",
                    status=picking._lost_parcel_tracking_status_label(),
                    date=format_datetime(case.env, picking.tracking_last_event_date) or "-",
                    detail=detail,
                )
            )
        self.write({"state": "false_alarm", "closed_date": fields.Datetime.now()})
        self.activity_unlink(["lost_parcel_reship.mail_activity_type_review_case"])

    def _auto_confirm(self):
        """Confirm without review what a rule's policy allows: cheap and stalled long enough."""
        now = fields.Datetime.now()
        for case in self:
            last_event = case.tracking_last_event_date or case.shipped_date
            stalled_days = (now - last_event).days if last_event else 0
            rule = next(
                (
                    r
                    for r in case.reason_ids.rule_id
                    if r.auto_confirm
                    and case.goods_value_sale <= r.auto_confirm_max_value
                    and stalled_days >= r.auto_confirm_stalled_days
                ),
                None,
            )
            if rule:
                case._confirm_lost(fields.Date.context_today(self), False, auto_rule=rule)

    def _prepare_confirm_vals(self, confirmed_date, carrier_ref, auto_rule=None):
        return {
            "state": "confirmed",
            "confirmed_date": confirmed_date,
            "confirmed_at": fields.Datetime.now(),
            "confirmed_by_id": self.env.user.id,
            "carrier_confirmation_ref": carrier_ref,
            "auto_confirmed": bool(auto_rule),
        }

    def _confirm_lost(self, confirmed_date, carrier_ref, attachments=None, auto_rule=None):
        """Confirm the parcels lost; the reship carrier is chosen at once (a case no carrier
        serves is still confirmed: its reason says what is missing)."""
        self._ensure_can_be_confirmed()
        vals = self._prepare_confirm_vals(confirmed_date, carrier_ref, auto_rule=auto_rule)
        if attachments:
            vals["evidence_attachment_ids"] = [fields.Command.link(a.id) for a in attachments]
            attachments.write({"res_model": self._name, "res_id": self[:1].id})
        self.write(vals)
        self._compute_goods_value()
        # The review is done (logged first, so the confirmation is the latest message).
        self.activity_feedback(["lost_parcel_reship.mail_activity_type_review_case"])
        for case in self:
            if auto_rule:
                body = self.env._(
                    "Confirmed lost automatically by rule %(rule)s (goods value %(value)s).",
                    rule=auto_rule.name,
                    value=case.goods_value_sale,
                )
            else:
                body = self.env._(
                    "Confirmed lost on %(date)s. Carrier reference: %(ref)s.",
                    date=format_date(self.env, confirmed_date),
                    ref=carrier_ref or "-",
                )
            case.message_post(body=body, attachment_ids=attachments.ids if attachments else [])
        self._choose_reship_carrier()

    def _review_delivered_parcel(self):
        """The carrier now says the lost parcel was delivered: a case nobody looked at yet is a
        false alarm; one under review or confirmed goes back to review (nothing is reshipped or
        refunded on a parcel that arrived); a reshipped one tells its responsible, who may stop a
        reship that has not left."""
        self.filtered(lambda c: c.state == "detected")._close_false_alarm()
        for case in self:
            if case.state in ("to_review", "confirmed"):
                back_to_review = True
                case.write({"state": "to_review"})
            elif case.state == "reshipped":
                back_to_review = False
            else:
                continue
            # The note in the company's language, the responsible's to-do in theirs.
            in_company_lang = case._in_company_lang()
            in_company_lang.message_post(
                body=in_company_lang._delivered_after_all_text(back_to_review), subtype_xmlid="mail.mt_note"
            )
            if case.user_id:
                for_user = case.with_context(lang=case.user_id.lang or self.env.lang)
                case.activity_schedule(
                    "mail.mail_activity_data_todo",
                    summary=for_user.env._("Lost parcel delivered after all"),
                    note=for_user._delivered_after_all_text(back_to_review),
                    user_id=case.user_id.id,
                )

    def _delivered_after_all_text(self, back_to_review):
        """What the carrier's late 'delivered' means for the case, in the context's language."""
        self.ensure_one()
        picking = self.picking_id
        date = format_date(self.env, picking.tracking_delivered_date or picking.tracking_last_event_date)
        if back_to_review:
            return self.env._(
                "The carrier now reports the parcel delivered (%(date)s): back to review. Check with the "
                "customer before reshipping or refunding.",
                date=date,
            )
        return self.env._(
            "The carrier now reports the lost parcel delivered (%(date)s) while it was reshipped: the "
            "customer may get the goods twice.",
            date=date,
        )

    def _dismiss(self, reason):
        self._ensure_can_be_dismissed()
        if not (reason or "").strip():
            raise UserError(self.env._("Say why the case is dismissed."))
        self.write({"state": "dismissed", "dismiss_reason": reason, "closed_date": fields.Datetime.now()})
        for case in self:
            case.message_post(body=self.env._("Dismissed: %s", reason))
        self.activity_unlink(["lost_parcel_reship.mail_activity_type_review_case"])

    # ------------------------------------------------------------------ reship
    def _reship_moves(self):
        """The lost delivery's moves that left with goods."""
        self.ensure_one()
        return self.picking_id.move_ids.filtered(lambda m: m.state == "done" and m.quantity > 0)

    def _prepare_quantity_line_commands(self):
        """Lines of the reship and refund wizards: every lost move with what it shipped."""
        self.ensure_one()
        return [fields.Command.clear()] + [
            fields.Command.create({"move_id": move.id, "quantity": move.quantity}) for move in self._reship_moves()
        ]

    def _reship_lines(self, quantities=None):
        """The lost moves to send again (or refund) and how much of each, in the move's unit.

        :param dict quantities: {lost stock.move id: quantity}; default everything lost
        :raise UserError: on nothing to reship or more than was lost
        """
        self.ensure_one()
        moves = self._reship_moves()
        if quantities is None:
            lines = [(move, move.quantity) for move in moves]
        else:
            lines = []
            for move in moves:
                qty = quantities.get(move.id, 0.0)
                rounding = move.product_uom.rounding
                if float_compare(qty, 0.0, precision_rounding=rounding) < 0:
                    raise UserError(self.env._("Case %s: a quantity to reship cannot be negative.", self.name))
                if float_compare(qty, move.quantity, precision_rounding=rounding) > 0:
                    raise UserError(
                        self.env._(
                            "Case %(case)s: %(qty)s %(uom)s of %(product)s were shipped; you cannot reship more.",
                            case=self.name,
                            qty=move.quantity,
                            uom=move.product_uom.name,
                            product=move.product_id.display_name,
                        )
                    )
                if not float_is_zero(qty, precision_rounding=rounding):
                    lines.append((move, qty))
        if not lines:
            raise UserError(self.env._("Case %s: there is nothing to reship.", self.name))
        return lines

    def _action_reship_quantities(self, quantities):
        """Reship part of what was lost (the reship wizard).

        :param dict quantities: {lost stock.move id: quantity to reship, in the move's unit}
        """
        self.ensure_one()
        Reship = self.env["lost.parcel.reship"]
        Reship._lock_cases(self, nowait=True)
        errors = Reship._reship(self, quantities)
        if errors:
            raise UserError("\n".join(errors.values()))
        return self.action_view_reship()

    def _prepare_reship_proc_values(self, move):
        """Procurement values of one reshipped line: the exchange pattern of
        ``stock.return.picking._get_proc_values`` (same group, so the sale order lists the
        reship). The order line is kept so Odoo does not add a new order line when the reship
        leaves; ``sale.order.line._get_outgoing_incoming_moves`` keeps it out of the delivered
        quantity. Reships are urgent."""
        self.ensure_one()
        picking = self.picking_id
        return {
            "group_id": picking.group_id,
            "date_planned": fields.Datetime.now(),
            "warehouse_id": picking.picking_type_id.warehouse_id,
            "partner_id": picking.partner_id.id,
            "location_final_id": move.location_final_id or picking.location_dest_id,
            "company_id": picking.company_id,
            "sale_line_id": move.sale_line_id.id,
            "priority": "1",
            "lost_parcel_case_id": self.id,
        }

    def _prepare_reship_picking_vals(self, vals=None):
        """Values every transfer of the reship gets when it is created (the first one by
        procurement, the next steps of a multi-step route when they are pushed)."""
        self.ensure_one()
        return {"carrier_id": self.reship_carrier_id.id, "lost_parcel_case_id": self.id, "priority": "1"}

    def _mark_reshipped(self, moves_by_case):
        """The reship engine created these cases' transfers: the case follows them."""
        self.write({"state": "reshipped", "reship_date": fields.Datetime.now()})
        for case in self:
            case.reship_picking_id = case._main_reship_picking(moves_by_case[case].picking_id)

    @api.model
    def _main_reship_picking(self, pickings):
        """The transfer that takes the reship to the customer, or its first step while the
        next steps of a multi-step route are not created yet."""
        to_customer = pickings.filtered(lambda p: p.location_dest_id.usage == "customer")
        return (to_customer or pickings).sorted("id")[:1]

    def _reopen_cancelled_reship(self):
        """A reship whose transfers are all cancelled leaves its case confirmed, to reship again
        or refund."""
        for case in self.filtered(lambda c: c.state == "reshipped"):
            if all(picking.state == "cancel" for picking in case.reship_picking_ids):
                case.write({"state": "confirmed", "reship_picking_id": False})
                case.message_post(body=self.env._("The reship was cancelled: the case can be reshipped again."))

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

    def _close_reship_shortage(self):
        covered = self.filtered(lambda c: not c.reship_shortage)
        if covered:
            covered.activity_feedback(
                ["lost_parcel_reship.mail_activity_type_shortage"],
                feedback=self.env._("Stock arrived: the reship is reserved."),
            )

    def _reship_notification(self, errors):
        done = self.filtered(lambda case: case not in errors)
        waiting = done.filtered("reship_shortage")
        message = self.env._("%s case(s) reshipped.", len(done))
        if waiting:
            message += " " + self.env._("%s wait for stock.", len(waiting))
        if errors:
            message += " " + self.env._("Not reshipped: %s", "; ".join(errors.values()))
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "warning" if errors else "success",
                "sticky": bool(errors),
                "message": message,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def _notify_customer_reshipped(self):
        """The replacement left with its new tracking number: the customer hears of it as the
        company's policy says.

        :return: the composer action when the policy leaves it to a person, else False
        """
        return self._notify_customer("reshipped")

    # ------------------------------------------------------------------ customer communication
    def _notify_customer(self, step):
        """Tell the customers about ``step`` ('opened', 'reshipped', 'refunded') per the policy.

        :return: a composer action for the cases left to a person, or False
        """
        return self.env["lost.parcel.communication"]._notify(self, step)

    def _customer_mail_lines(self):
        """What the customer mails list (used by the templates)."""
        self.ensure_one()
        return self.env["lost.parcel.communication"]._mail_lines(self)

    def _customer_date(self, value):
        """A datetime of the case as a date where the customer is (used by the templates)."""
        self.ensure_one()
        return self.env["lost.parcel.communication"]._local_date(self, value)

    def _apply_customer_choice(self, choice):
        """The customer's portal choice, 'reship' or 'refund' (see lost.parcel.communication)."""
        return self.env["lost.parcel.communication"]._apply_customer_choice(self, choice)

    def _request_satisfaction(self):
        self.env["lost.parcel.communication"]._request_rating(self)

    def _subscribe_responsible(self):
        """The responsible follows the case, so the customer's replies reach them (detection
        creates cases without Odoo's automatic subscription)."""
        for user, cases in self.filtered("user_id").grouped("user_id").items():
            cases.message_subscribe(partner_ids=user.partner_id.ids)

    def _message_post_after_hook(self, message, msg_vals):
        res = super()._message_post_after_hook(message, msg_vals)
        if self.partner_id and self.partner_id in message.partner_ids:
            self.env["lost.parcel.communication"]._message_sent_to_customer(self)
        return res

    # ------------------------------------------------------------------ reship carrier
    def _choose_reship_carrier(self, cache=None, quantities=None):
        """Write the carrier the rules choose, and why, on each case not set by hand.

        :param dict cache: shared by the cases of one batch (carriers, loss rates, rating orders)
        :param dict quantities: {lost stock.move id: quantity to reship}; default: everything lost
        :return: {case: error message} for the cases no carrier serves
        """
        cache = {} if cache is None else cache
        CarrierRule = self.env["lost.parcel.carrier.rule"]
        errors = {}
        for case in self.filtered(lambda c: not c.reship_carrier_manual):
            shipment = CarrierRule._prepare_reship_shipment(case, quantities)
            try:
                carrier, rule, reason = CarrierRule._find_reship_carrier(shipment, cache)
            except UserError as exc:
                errors[case] = exc.args[0]
                vals = {"reship_carrier_id": False, "reship_carrier_reason": exc.args[0], "reship_shipping_estimate": 0}
                rule = CarrierRule
            else:
                vals = {
                    "reship_carrier_id": carrier.id,
                    "reship_carrier_reason": reason,
                    "reship_shipping_estimate": case._estimate_reship_shipping(carrier, shipment, cache),
                }
            case.with_context(lost_parcel_carrier_choice=True).write(dict(vals, reship_carrier_rule_id=rule.id))
        return errors

    def _estimate_reship_shipping(self, carrier, shipment=None, cache=None):
        self.ensure_one()
        if not carrier:
            return 0.0
        cache = {} if cache is None else cache
        shipment = shipment or self.env["lost.parcel.carrier.rule"]._prepare_reship_shipment(self)
        price, error = carrier._lost_parcel_rate(shipment, cache)
        return 0.0 if error else price

    def _set_pending_reship_carrier(self, carrier):
        """Reship transfers not gone yet take ``carrier`` (the ones that carry a carrier: the
        last step of a multi-step route, or every step that had one)."""
        self.ensure_one()
        pending = self.reship_picking_ids.filtered(lambda p: p.state not in ("done", "cancel"))
        pending.filtered(lambda p: p.carrier_id or p.location_dest_id.usage == "customer").carrier_id = carrier

    # ------------------------------------------------------------------ refund
    def _refund(self, reason, quantities=None):
        """Refund the lost goods instead of reshipping them (the refund wizard).

        :param str reason: why the customer gets a refund (required)
        :param dict quantities: {lost stock.move id: quantity}; default everything lost
        :return: the credit notes created (none for an order not invoiced)
        """
        self.ensure_one()
        if not (reason or "").strip():
            raise UserError(self.env._("Say why the customer is refunded instead of reshipped."))
        self.env["lost.parcel.reship"]._lock_cases(self, nowait=True)
        self.invalidate_recordset(["state"])
        self._ensure_can_be_refunded()
        refund = self.env["lost.parcel.refund"]._refund(
            self, reason.strip(), self._reship_lines(quantities), keep_reship=bool(self._reship_left_pickings())
        )
        self.write(self._prepare_refund_vals(reason.strip(), refund))
        self.activity_unlink(["lost_parcel_reship.mail_activity_type_shortage"])
        self._notify_customer("refunded")
        self._log_refund(reason.strip(), refund)
        return refund["credit_notes"]

    def _prepare_refund_vals(self, reason, refund):
        """Values the case takes once refunded.

        :param dict refund: what ``lost.parcel.refund._refund`` did (credit_notes, write_offs, amount)
        """
        self.ensure_one()
        return {
            "state": "refunded",
            "refund_reason": reason,
            "refund_move_ids": [fields.Command.link(note.id) for note in refund["credit_notes"]],
            "refund_write_off_move_ids": [fields.Command.link(move.id) for move in refund["write_offs"]],
            "refund_amount": self.company_id.currency_id.round(refund["amount"]),
            "closed_date": fields.Datetime.now(),
        }

    def _log_refund(self, reason, refund):
        self.ensure_one()
        parts = [self.env._("Refunded instead of reshipped: %s", reason)]
        if refund["credit_notes"]:
            links = Markup(", ").join(note._get_html_link() for note in refund["credit_notes"])
            parts.append(self.env._("Credit note %s.", links))
            if refund["kept_reship"]:
                parts.append(
                    self.env._(
                        "The replacement %s had left already: it stays with the customer.",
                        self.reship_picking_id._get_html_link(),
                    )
                )
        else:
            parts.append(self.env._("The order was not invoiced: its quantities were lowered."))
        if refund["cancelled"]:
            links = Markup(", ").join(p._get_html_link() for p in refund["cancelled"])
            parts.append(self.env._("Pending reship cancelled: %s.", links))
        self.message_post(body=Markup("<br/>").join(parts))
        self.sale_id.message_post(
            body=self.env._("Lost parcel %(case)s refunded: %(reason)s", case=self._get_html_link(), reason=reason)
        )

    # ------------------------------------------------------------------ crons
    def init(self):
        # One case per parcel at a time (a new one only after a false alarm), whatever races.
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS lost_parcel_case_one_per_parcel"
                " ON lost_parcel_case (picking_id) WHERE state != 'false_alarm'"
            )
        )

    def _commit_progress(self):
        """Commit a scheduled action's finished batch (README, Decisions: a crash loses at most one
        batch, and no row lock is held across the next batch's carrier calls). Not in tests."""
        if not getattr(threading.current_thread(), "testing", False):
            self.env.cr.commit()  # pylint: disable=invalid-commit

    @api.model
    def _cron_detect_lost_parcels(self):
        """The full run, for the signals that need time to pass (stalled, ETA overdue, no carrier
        record): open the cases and commit them, then re-verify them with the carrier in
        committed batches."""
        cases = self.env["lost.parcel.rule"]._detect_lost_parcels()
        self._commit_progress()
        for batch in split_every(REVERIFY_BATCH_SIZE, cases.ids, self.browse):
            batch._reverify()
            self._commit_progress()
        return cases

    @api.model
    def _cron_detect_changed_parcels(self, batch_size=None):
        """Detection for the parcels with news from the carrier, queued by their tracking update
        (``stock.picking._hook_tracking_updated``) and run as soon as it is committed: a parcel
        moving again closes its case under review as a false alarm, the rules run for exactly
        these parcels, and new cases are checked against the tracking just received. A fixed
        number of queries per batch, committed per batch.

        :return: the cases opened
        """
        batch_size = batch_size or EVENT_BATCH_SIZE
        opened = self.browse()
        Picking = self.env["stock.picking"]
        # A fresh snapshot: parcels a push committed since the scheduler started are locked, not
        # refused as concurrent updates.
        self._commit_progress()
        while True:
            Picking.flush_model(["lost_parcel_detect_requested"])
            rows = self.env.execute_query(
                SQL(
                    """SELECT id FROM stock_picking
                        WHERE lost_parcel_detect_requested IS NOT NULL
                     ORDER BY lost_parcel_detect_requested, id
                        LIMIT %s FOR UPDATE SKIP LOCKED""",
                    batch_size,
                )
            )
            if not rows:
                return opened
            pickings = Picking.browse([row[0] for row in rows])
            pickings.write({"lost_parcel_detect_requested": False})
            under_review = self.search([("picking_id", "in", pickings.ids), ("state", "in", REVIEW_STATES)])
            under_review._moving_again()._close_false_alarm()
            cases = self.env["lost.parcel.rule"]._detect_lost_parcels(picking_ids=pickings.ids)
            cases._reverify(poll=False)
            opened |= cases
            self._commit_progress()

    @api.model
    def _digest_values(self, company, now=None):
        """What the digest of ``company`` lists. The cron runs as superuser, which record rules do
        not restrict: every search names the company."""
        now = now or fields.Datetime.now()
        day_ago = now - timedelta(days=1)
        mine = [("company_id", "=", company.id)]
        return {
            "new_cases": self.search([*mine, ("detected_date", ">=", day_ago)]),
            "waiting_cases": self.search([*mine, ("state", "in", REVIEW_STATES), ("detected_date", "<", day_ago)]),
            "exceptions": self.env["stock.picking"].search(
                [
                    *mine,
                    ("state", "=", "done"),
                    ("picking_type_code", "=", "outgoing"),
                    ("tracking_status", "in", ("exception", "returning", "failed_attempt")),
                    ("lost_parcel_case_ids", "=", False),
                ],
                limit=200,
            ),
        }

    @api.model
    def _cron_send_digest(self):
        """Mail each lost-parcel manager what needs attention, once a day."""
        managers = self.env.ref("lost_parcel_reship.group_lost_parcel_manager").users.filtered(
            lambda u: u.email and not u.share and u.active
        )
        mails = self.env["mail.mail"]
        for company in managers.company_ids.filtered("lost_parcel_digest"):
            values = self.with_company(company)._digest_values(company)
            if not any(values.values()):
                continue
            body = self.env["ir.qweb"]._render(
                "lost_parcel_reship.lost_parcel_digest_body", dict(values, company=company)
            )
            recipients = managers.filtered(lambda u, c=company: c in u.company_ids)
            mails |= mails.create(
                {
                    "subject": self.env._(
                        "%(company)s: %(new)s new lost-parcel cases, %(waiting)s waiting for review",
                        company=company.name,
                        new=len(values["new_cases"]),
                        waiting=len(values["waiting_cases"]),
                    ),
                    "body_html": body,
                    "email_from": company.email_formatted or self.env.user.email_formatted,
                    "recipient_ids": [fields.Command.set(recipients.partner_id.ids)],
                    "auto_delete": True,
                }
            )
        return mails
