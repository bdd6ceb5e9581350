"""Buyers' "item not received" claims on the stores: the strongest inquiry there is.

Pulled on a schedule from the stores that have an API for them (Shopify Payments disputes with
reason ``product_not_received``, eBay's Order Inquiry API INR inquiries and ITEM_NOT_RECEIVED
payment disputes), deduplicated by the store's claim id per account, and matched to the parcel:
the Odoo order whose store reference is the claim's order (eBay inquiries name only order line
items: the store's line ids of the awaited eBay orders are read to find it), then that order's
shipped parcel not yet delivered, the one with an open case first. Amazon (A-to-z) and Walmart
have no public API for such claims: a user records them on the case by hand.

An open claim on a shipped, undelivered parcel is the ``buyer_claim`` signal of the detection
rules (``lost.parcel.rule``): it opens a case; the case shows the claim and the store's deadline.
eBay's inquiries come without a deadline (no field of the Order Inquiry API example the client
follows is one): theirs is estimated, and marked so on the claim and the case.

Every pull also looks back at the claims still open: the store is asked again about everything
opened since the oldest of them (eBay's closed inquiries included), so a claim closed on the store
is closed here, and an open claim that matched no parcel (its order not in Odoo yet, or its line
ids not read) is matched again.
"""

import logging
import threading
from datetime import timedelta

from odoo import api, fields, models

from odoo.addons.carrier_connectors.stores.base import ApiError

from .lost_parcel_store_update import STORE_PREFIX
from .sale_order import MARKETPLACE_REF_FIELDS

_logger = logging.getLogger(__name__)

# Store statuses of a claim that is over (Shopify dispute status, eBay inquiry / dispute status).
CLOSED_STATUSES = {
    "won",
    "lost",
    "accepted",
    "charge_refunded",
    "CLOSED",
    "CLOSED_WITH_ESCALATION",
    "CS_CLOSED",
    "RESOLVED_BUYER_FAVOUR",
    "RESOLVED_SELLER_FAVOUR",
}
# eBay gives an INR inquiry no deadline in the answer (stores/ebay.py: no field of the Order
# Inquiry example is one): its rules give the seller 3 business days to respond before the buyer
# may escalate; counted here as 3 calendar days, the safe side, and marked as estimated.
EBAY_INQUIRY_RESPONSE_DAYS = 3
# First pull of an account: claims opened in the last 60 days.
FIRST_PULL_DAYS = 60
KINDS = [
    ("inquiry", "Not-received inquiry"),
    ("chargeback", "Chargeback"),
    ("payment_dispute", "Payment dispute"),
    ("a_to_z", "A-to-z Guarantee claim"),
    ("other", "Other claim"),
]


class LostParcelBuyerClaim(models.Model):
    _name = "lost.parcel.buyer.claim"
    _description = "Buyer's Not-Received Claim on a Store"
    _order = "respond_by, id desc"
    _check_company_auto = True
    _rec_name = "claim_ref"

    # ------------------------------------------------------------------ fields
    account_id = fields.Many2one(
        "marketplace.account", "Store Account", ondelete="cascade", index=True, check_company=True
    )
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    store = fields.Selection(
        [("shopify", "Shopify"), ("amazon", "Amazon"), ("ebay", "eBay"), ("walmart", "Walmart"), ("wish", "Wish")],
        required=True,
    )
    claim_ref = fields.Char("Store Claim ID", required=True, help="The store's own id of the claim.")
    order_ref = fields.Char("Store Order")
    line_refs = fields.Char("Store Order Lines", help="The store's ids of the lines the claim names.")
    kind = fields.Selection(KINDS, default="inquiry", required=True)
    store_status = fields.Char("Status on the Store")
    state = fields.Selection([("open", "Open"), ("closed", "Closed")], default="open", required=True, index=True)
    opened_at = fields.Datetime("Opened On", default=fields.Datetime.now)
    respond_by = fields.Datetime("Answer By", help="The store's deadline for the seller's answer.")
    respond_by_estimated = fields.Boolean(
        "Deadline Estimated",
        readonly=True,
        help="The store gave no deadline: eBay's Order Inquiry API returns none for an item-not-received "
        "inquiry, so it is estimated as 3 days after the inquiry was opened (eBay gives the seller 3 "
        "business days before the buyer may ask eBay to step in).",
    )
    amount = fields.Float()
    currency = fields.Char()
    reason = fields.Char(help="The claim's reason, as the store gives it.")
    manual = fields.Boolean("Recorded by Hand", readonly=True)
    picking_id = fields.Many2one(
        "stock.picking",
        "Parcel",
        index="btree_not_null",
        check_company=True,
        domain="[('picking_type_code', '=', 'outgoing')]",
    )
    case_id = fields.Many2one(
        "lost.parcel.case", "Case", compute="_compute_case_id", store=True, index="btree_not_null", readonly=False
    )

    _sql_constraints = [
        ("claim_unique", "UNIQUE(account_id, claim_ref)", "A store claim is recorded once per store account."),
    ]

    # ------------------------------------------------------------------ computes
    @api.depends("picking_id.lost_parcel_case_ids.state", "picking_id.lost_parcel_case_id")
    def _compute_case_id(self):
        for claim in self:
            picking = claim.picking_id
            cases = picking.lost_parcel_case_ids.filtered(lambda c: c.state != "false_alarm").sorted("id")
            claim.case_id = cases[-1:] or picking.lost_parcel_case_id or claim.case_id

    # ------------------------------------------------------------------ CRUD
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if not vals.get("claim_ref") and not vals.get("account_id"):
                vals["claim_ref"] = self.env._("By hand")
            if vals.get("case_id") and not vals.get("picking_id"):
                vals["picking_id"] = self.env["lost.parcel.case"].browse(vals["case_id"]).picking_id.id
        claims = super().create(vals_list)
        for claim in claims.filtered("case_id"):
            claim.case_id.message_post(body=claim._describe())
        return claims

    def _describe(self):
        self.ensure_one()
        if self.respond_by and self.respond_by_estimated:
            return self.env._(
                "Buyer claim %(ref)s on %(store)s: %(reason)s. Answer by %(deadline)s (estimated: the store gives "
                "no deadline).",
                ref=self.claim_ref,
                store=dict(self._fields["store"]._description_selection(self.env))[self.store],
                reason=self.reason or dict(self._fields["kind"]._description_selection(self.env))[self.kind],
                deadline=fields.Datetime.to_string(self.respond_by),
            )
        if self.respond_by:
            return self.env._(
                "Buyer claim %(ref)s on %(store)s: %(reason)s. Answer by %(deadline)s.",
                ref=self.claim_ref,
                store=dict(self._fields["store"]._description_selection(self.env))[self.store],
                reason=self.reason or dict(self._fields["kind"]._description_selection(self.env))[self.kind],
                deadline=fields.Datetime.to_string(self.respond_by),
            )
        return self.env._(
            "Buyer claim %(ref)s on %(store)s: %(reason)s.",
            ref=self.claim_ref,
            store=dict(self._fields["store"]._description_selection(self.env))[self.store],
            reason=self.reason or dict(self._fields["kind"]._description_selection(self.env))[self.kind],
        )

    # ------------------------------------------------------------------ pulling
    @api.model
    def _cron_pull_buyer_claims(self):
        """Pull each active account's claims; one account's failure (auth, outage) is written on
        the account and never stops the others."""
        accounts = self.env["marketplace.account"].sudo().search([])
        pulled = self.browse()
        for account in accounts.filtered("supports_buyer_claims"):
            try:
                with self.env.cr.savepoint():
                    pulled |= self._pull_account(account)
            except ApiError as exc:
                account.message_post(body=self.env._("Buyer claims could not be read: %s", exc))
                continue
            except Exception as exc:  # one account's bug must not stop the others
                _logger.exception("Buyer claims of store account %s", account.id)
                account.message_post(body=self.env._("Buyer claims could not be read: %s", exc))
                continue
            if not getattr(threading.current_thread(), "testing", False):
                self.env.cr.commit()  # pylint: disable=invalid-commit
        return pulled

    @api.model
    def _pull_account(self, account):
        """Read the account's claims: the ones opened since the last pull (two days of overlap),
        and what became of the claims still open (the store is asked again about everything
        opened since the oldest of them); then match again the open claims that matched no
        parcel."""
        own = [("account_id", "=", account.id), ("manual", "=", False)]
        last = self.sudo().search(own, order="opened_at desc", limit=1)
        since = (
            (last.opened_at - timedelta(days=2))
            if last.opened_at
            else fields.Datetime.now() - timedelta(days=FIRST_PULL_DAYS)
        )
        still_open = self.sudo().search([*own, ("state", "=", "open")], order="opened_at")
        # Asked whenever a claim is open: a closed eBay inquiry leaves the open presets at once.
        closed_since = min(still_open[0].opened_at - timedelta(days=1), since) if still_open else None
        store_claims = account._fetch_buyer_claims(since, closed_since=closed_since)
        existing = {
            c.claim_ref: c for c in self.sudo().search([*own, ("claim_ref", "in", [s.claim_ref for s in store_claims])])
        }
        matcher = _Matcher(self, account)
        new_vals, touched, seen = [], self.browse(), set()
        for store_claim in store_claims:
            if not store_claim.claim_ref or store_claim.claim_ref in seen:
                continue
            seen.add(store_claim.claim_ref)
            vals = self._prepare_buyer_claim_vals(account, store_claim)
            claim = existing.get(store_claim.claim_ref)
            if claim:
                changed = {k: vals[k] for k in ("store_status", "state", "respond_by") if claim[k] != vals[k]}
                if changed:
                    claim.write(changed)
                touched |= claim
                continue
            if vals["state"] == "closed" and store_claim.opened_at and store_claim.opened_at < since:
                continue  # read only to close claims recorded open: an old closed claim is no news
            matcher.match(vals, store_claim.line_refs)
            new_vals.append(vals)
        created = self.sudo().create(new_vals)
        # Open claims that matched no parcel: their order may have reached Odoo since.
        for claim in self.sudo().search([*own, ("state", "=", "open"), ("picking_id", "=", False)]) - created:
            vals = {"order_ref": claim.order_ref}
            matcher.match(vals, tuple((claim.line_refs or "").split(",")) if claim.line_refs else ())
            if vals.get("picking_id"):
                claim.write({"order_ref": vals["order_ref"], "picking_id": vals["picking_id"]})
                touched |= claim
                if claim.case_id:
                    claim.case_id.message_post(body=claim._describe())
        return touched | created

    @api.model
    def _prepare_buyer_claim_vals(self, account, store_claim):
        respond_by, estimated = store_claim.respond_by, False
        if not respond_by and account.store == "ebay" and store_claim.kind == "inquiry" and store_claim.opened_at:
            respond_by = store_claim.opened_at + timedelta(days=EBAY_INQUIRY_RESPONSE_DAYS)
            estimated = True
        kind = store_claim.kind if store_claim.kind in dict(KINDS) else "other"
        return {
            "account_id": account.id,
            "company_id": account.company_id.id,
            "store": account.store,
            "claim_ref": store_claim.claim_ref,
            "order_ref": store_claim.order_ref or False,
            "line_refs": ",".join(store_claim.line_refs) or False,
            "kind": kind,
            "store_status": store_claim.status or False,
            "state": "closed" if store_claim.closed or store_claim.status in CLOSED_STATUSES else "open",
            "opened_at": store_claim.opened_at or fields.Datetime.now(),
            "respond_by": respond_by or False,
            "respond_by_estimated": estimated,
            "amount": store_claim.amount or 0.0,
            "currency": store_claim.currency or False,
            "reason": (store_claim.message or "")[:250] or False,
        }

    @api.model
    def _awaited_store_orders(self, account):
        """{store order ref: sale order} of the account's company and store with a parcel on its way."""
        orders = (
            self.env["sale.order"]
            .sudo()
            .search(
                [
                    ("company_id", "=", account.company_id.id),
                    ("lost_parcel_sales_channel", "=", account.store),
                    ("picking_ids.state", "=", "done"),
                    ("picking_ids.tracking_status", "!=", "delivered"),
                ],
                order="id desc",
                limit=500,
            )
        )
        result = {}
        for order in orders:
            ref = STORE_PREFIX.sub("", (order._lost_parcel_sales_channel()[1] or "").strip()).strip()
            if ref:
                result.setdefault(ref, order)
        return result

    @api.model
    def _store_line_orders(self, account):
        """{store line id: store order ref} for the awaited orders of the account (eBay inquiries
        name line items only). A line id found on two orders is ambiguous and left out."""
        client = account._get_store_client()
        found, seen_twice = {}, set()
        for ref in self._awaited_store_orders(account):
            try:
                # The client's getOrder reader: the store's lines (StoreOrderLine) of one order.
                lines = client.order_lines(ref)
            except ApiError as exc:
                _logger.info("Store order %s: lines not read (%s)", ref, exc)
                continue
            for line in lines:
                if line.ref in found and found[line.ref] != ref:
                    seen_twice.add(line.ref)
                found[str(line.ref)] = ref
        return {line: ref for line, ref in found.items() if line not in seen_twice}

    @api.model
    def _match_picking(self, account, order_ref, cache=None):
        """The claim's parcel: a shipped, undelivered delivery of the account's company's order
        with this store reference, the one with an open case first, else the latest."""
        if not order_ref:
            return self.env["stock.picking"]
        cache = {} if cache is None else cache
        if order_ref not in cache:
            cache[order_ref] = self._find_store_order(account, order_ref)
        order = cache[order_ref]
        pickings = order._lost_parcel_awaited_pickings() if order else self.env["stock.picking"]
        with_case = pickings.filtered(lambda p: p.sudo().lost_parcel_case_ids.filtered("is_open"))
        return (with_case or pickings).sorted("date_done")[-1:]

    @api.model
    def _find_store_order(self, account, order_ref):
        """The order of the account's company and store whose store reference is ``order_ref``
        (in a connector's field, or in the customer reference, prefixed or not)."""
        SaleOrder = self.env["sale.order"].sudo()
        names = [n for n in MARKETPLACE_REF_FIELDS.get(account.store, ()) if n in SaleOrder._fields]
        domain = [("client_order_ref", "ilike", order_ref)]
        for name in names:
            domain = ["|", (name, "=", order_ref), *domain]
        orders = SaleOrder.search(
            [("company_id", "=", account.company_id.id), ("lost_parcel_sales_channel", "=", account.store), *domain],
            order="id desc",
            limit=20,
        )
        return orders.filtered(
            lambda o: STORE_PREFIX.sub("", (o._lost_parcel_sales_channel()[1] or "").strip()).strip() == order_ref
        )[:1]

    # ------------------------------------------------------------------ actions
    def action_close(self):
        self.write({"state": "closed"})
        return True


class _Matcher:
    """Finds the parcel of claims during one pull: the order by the claim's order id, else by its
    line ids (read from the store once per pull, only when needed), then the parcel."""

    def __init__(self, claims, account):
        self.claims, self.account = claims, account
        self.line_orders = None
        self.cache = {}

    def match(self, vals, line_refs):
        """Fill ``order_ref`` (from the line ids when missing) and ``picking_id`` in ``vals``."""
        line_refs = tuple(ref for ref in line_refs or () if ref)
        if not vals.get("order_ref") and line_refs:
            if self.line_orders is None:
                self.line_orders = self.claims._store_line_orders(self.account)
            refs = {self.line_orders.get(ref) for ref in line_refs} - {None}
            vals["order_ref"] = refs.pop() if len(refs) == 1 else False
        vals["picking_id"] = self.claims._match_picking(self.account, vals.get("order_ref"), self.cache).id
        return vals
