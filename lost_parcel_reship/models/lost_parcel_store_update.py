"""Write-back queue: a reship's new tracking number, to show on the store the order came from.

One update per reship delivery and store account: a reship split into a backorder sends each
delivery's number once, on the lines that delivery carries. It is queued when the delivery is
validated and sent by a scheduled action, never inside the validation: a store outage never
blocks the warehouse. Exactly one new tracking number per delivery reaches the store: an update
that was sent is never sent again, and every store client reads what the store already shows (or
edits in place with the stable ``package_reference``, the delivery's id, for Amazon's
``packageReferenceId``) before it adds anything, so a retry after a lost answer adds nothing
either.

The lines: the delivery's moves lead to their sale order lines; each line's product is found on
the store order the client reads (Amazon ``SellerSKU``, eBay ``sku``, Walmart ``item.sku``)
by its Internal Reference or barcode, and gets the reshipped quantity. A delivery that resends
the whole order, or a one-line order, needs no match; anything else that cannot be matched waits
for a person (the store would otherwise show the number on lines that were not reshipped).
Shopify names no lines: the number goes onto the lost parcel's fulfillment.
"""

import logging
import math
import re
import threading
from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL, float_compare

from odoo.addons.carrier_connectors.stores import TrackingUpdate
from odoo.addons.carrier_connectors.stores.base import ERROR_INVALID, STORE_ERROR_KINDS, ApiError, normalize_number

_logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 50
# Errors that another try will not fix: the update waits for a person (Retry button).
PERMANENT_ERRORS = ("rejected", "invalid", "not_found", "auth", "config")
# Transient errors (outage, rate limit, unreadable answer) are retried with backoff this many times.
MAX_ATTEMPTS = 10
BACKOFF_MINUTES = 5
BACKOFF_MAX = timedelta(hours=12)
# Prefixes sellers and connectors put before the store's own order id in the customer reference.
# Amazon packageReferenceId of a reship delivery: the delivery's id above this base, numeric as Amazon wants, and
# apart from the small sequential references connectors give the first shipment (1, 2, ...).
PACKAGE_REFERENCE_BASE = 900000000
STORE_PREFIX = re.compile(r"^(AMZ(ON)?|AMAZON|EBAY|SHOPIFY|SHOP|WALMART|WMT|WISH)[-_ ]", re.IGNORECASE)


class LostParcelStoreUpdate(models.Model):
    _name = "lost.parcel.store.update"
    _description = "Reship Tracking Write-back to a Store"
    _order = "id desc"
    _check_company_auto = True

    # ------------------------------------------------------------------ fields
    case_id = fields.Many2one("lost.parcel.case", required=True, ondelete="cascade", index=True, readonly=True)
    company_id = fields.Many2one(related="case_id.company_id", store=True, index=True)
    account_id = fields.Many2one(
        "marketplace.account", "Store Account", required=True, ondelete="restrict", readonly=True, check_company=True
    )
    store = fields.Selection(related="account_id.store")
    picking_id = fields.Many2one("stock.picking", "Reship Delivery", readonly=True, check_company=True)
    order_ref = fields.Char("Store Order", required=True, readonly=True)
    carrier_id = fields.Many2one("delivery.carrier", "Carrier", readonly=True)
    tracking_number = fields.Char(required=True, readonly=True)
    previous_tracking_number = fields.Char("Lost Tracking Number", readonly=True)
    state = fields.Selection(
        [("pending", "To Send"), ("sent", "Sent"), ("failed", "Failed")],
        default="pending",
        required=True,
        readonly=True,
        index=True,
    )
    attempts = fields.Integer(readonly=True)
    next_try = fields.Datetime("Next Try", default=fields.Datetime.now, readonly=True, index=True)
    last_error = fields.Text("Store Error", readonly=True, help="What the store answered the last time, in words.")
    error_kind = fields.Selection(STORE_ERROR_KINDS, readonly=True)
    sent_date = fields.Datetime("Sent On", readonly=True)
    store_reference = fields.Char(
        "Store Reference",
        readonly=True,
        help="The store's id of the package or fulfillment that shows the number (Amazon packageReferenceId, "
        "Shopify fulfillment, eBay fulfillment id, Walmart purchase order).",
    )
    store_lines = fields.Char(
        "Store Lines",
        readonly=True,
        help="The store's order lines the number was written on, with the reshipped quantity of each "
        "(empty for Shopify, where it goes onto the lost parcel's fulfillment).",
    )
    store_action = fields.Selection(
        [("created", "New package added"), ("updated", "Existing package edited"), ("unchanged", "Already shown")],
        readonly=True,
    )

    _sql_constraints = [
        (
            "picking_account_unique",
            "UNIQUE(picking_id, account_id)",
            "A reship delivery writes back to a store account once.",
        ),
    ]

    # ------------------------------------------------------------------ actions
    def action_retry(self):
        """Send a failed update again at the next run of the queue (now)."""
        for update in self.filtered(lambda u: u.state == "failed"):
            update.sudo().write({"state": "pending", "attempts": 0, "next_try": fields.Datetime.now()})
            update.case_id.message_post(
                body=self.env._(
                    "Tracking write-back to %(store)s queued again by %(user)s.",
                    store=update.account_id.name,
                    user=self.env.user.name,
                )
            )
        self.env.ref("lost_parcel_reship.ir_cron_send_store_updates").sudo()._trigger()
        return True

    # ------------------------------------------------------------------ queueing
    @api.model
    def _queue_for_reships(self, pickings):
        """Queue one update per validated reship delivery whose order came from a store with an
        active account of the same company (each delivery of a split reship has its own); a
        delivery already queued or sent is not queued again. Returns the updates created or
        changed."""
        Account = self.env["marketplace.account"].sudo()
        queued = self.browse()
        for picking in pickings.sudo():
            case = picking.lost_parcel_case_id
            number = (picking.carrier_tracking_ref or "").strip()
            if not number or case.sales_channel not in Account._fields["store"].get_values(self.env):
                continue
            account = self._account_for(case)
            order_ref = self._store_order_ref(case)
            if not account or not order_ref:
                continue
            existing = self.sudo().search([("picking_id", "=", picking.id), ("account_id", "=", account.id)])
            if existing:
                if existing.state != "sent" and existing.tracking_number != number:
                    # A new label before the first one reached the store: send the latest only.
                    existing.write({"tracking_number": number, "carrier_id": picking.carrier_id.id})
                    queued |= existing
                continue
            queued |= self.sudo().create(self._prepare_store_update_vals(case, account, picking, order_ref))
        if queued:
            self.env.ref("lost_parcel_reship.ir_cron_send_store_updates").sudo()._trigger()
        return queued

    @api.model
    def _account_for(self, case):
        """The active account of the case's store and company; the one of the order's sales team
        first when several."""
        accounts = (
            self.env["marketplace.account"]
            .sudo()
            .search([("store", "=", case.sales_channel), ("company_id", "=", case.company_id.id)])
        )
        team = case.sale_id.team_id
        return (accounts.filtered(lambda a: a.team_id == team) or accounts.filtered(lambda a: not a.team_id))[:1]

    @api.model
    def _store_order_ref(self, case):
        """The store's own order id: the case's marketplace reference without the prefix that
        marks the store in the customer reference (EBAY-12-34567-89012 is eBay order 12-34567-89012)."""
        return STORE_PREFIX.sub("", (case.marketplace_order_ref or "").strip()).strip() or False

    @api.model
    def _prepare_store_update_vals(self, case, account, picking, order_ref):
        return {
            "case_id": case.id,
            "account_id": account.id,
            "picking_id": picking.id,
            "order_ref": order_ref,
            "carrier_id": picking.carrier_id.id,
            "tracking_number": picking.carrier_tracking_ref.strip(),
            "previous_tracking_number": case.picking_id.carrier_tracking_ref or False,
        }

    def _prepare_tracking_update(self):
        """The ``stores.TrackingUpdate`` the store client sends. The package reference comes from
        the reship delivery's id: stable over every retry, one per delivery of a split reship
        (Amazon's packageReferenceId is numeric). Raises ``ApiError`` when the store's lines
        cannot be read or matched."""
        self.ensure_one()
        carrier = self.carrier_id
        store_lines = self.account_id._read_store_order_lines(self.order_ref)
        lines = self._prepare_store_lines(store_lines) if store_lines is not None else []
        others = self.search(
            [
                ("case_id", "=", self.case_id.id),
                ("account_id", "=", self.account_id.id),
                ("state", "=", "sent"),
                ("id", "!=", self.id),
            ]
        )
        return TrackingUpdate(
            order_ref=self.order_ref,
            carrier_name=carrier.name or "",
            carrier_code=carrier.tracking_provider or carrier.delivery_type or "",
            tracking_number=self.tracking_number,
            tracking_url=self.picking_id.carrier_tracking_url or "",
            ship_date=self.picking_id.date_done,
            package_reference=str(PACKAGE_REFERENCE_BASE + self.picking_id.id),
            previous_tracking_number=self.previous_tracking_number or "",
            store_fulfillment_ref=self.store_reference or "",
            lines=lines,
            other_tracking_numbers=others.mapped("tracking_number"),
        )

    def _reshipped_sale_quantities(self):
        """{sale.order.line: quantity in the line's unit} the reship delivery took to the customer.
        A kit's components count as the share of the kit line they resend (at least one kit)."""
        self.ensure_one()
        moves = self.picking_id.move_ids.filtered(lambda m: m.state == "done" and m.sale_line_id and m.quantity > 0)
        result = {}
        for line, line_moves in moves.grouped("sale_line_id").items():
            own = line_moves.filtered(lambda m, line=line: m.product_id == line.product_id)
            if own:
                result[line] = sum(m.product_uom._compute_quantity(m.quantity, line.product_uom) for m in own)
                continue
            shipped = line.move_ids.filtered(
                lambda m: m.state == "done" and not m.lost_parcel_case_id and m.location_dest_id.usage == "customer"
            )
            ratios = []
            for product, product_moves in line_moves.grouped("product_id").items():
                total = sum(m.product_qty for m in shipped if m.product_id == product)
                if total:
                    resent = sum(m.product_uom._compute_quantity(m.quantity, product.uom_id) for m in product_moves)
                    ratios.append(resent / total)
            result[line] = max(line.product_uom_qty * max(ratios, default=0.0), 1.0)
        return result

    @api.model
    def _store_units(self, quantity):
        """A quantity as the stores count it: whole units, at least one."""
        return max(math.ceil(round(quantity, 6)), 1)

    def _prepare_store_lines(self, store_lines):
        """``[(store line id, quantity)]`` for this reship delivery, from the store's lines of the
        order (``stores.StoreOrderLine``). A sale line's product is found on the store by its
        Internal Reference or barcode (the seller's SKU); when some cannot be found, a delivery
        that resends the whole order takes every store line, and a one-line order its line.
        Raises ``ApiError`` (invalid) otherwise: a number on the wrong lines would tell the
        buyer that goods were resent which were not."""
        self.ensure_one()
        reshipped = self._reshipped_sale_quantities()
        by_sku = defaultdict(list)
        for store_line in store_lines:
            if store_line.sku:
                by_sku[normalize_number(store_line.sku)].append(store_line)
        taken = defaultdict(int)
        result, unmatched = [], self.env["sale.order.line"]
        for sale_line, quantity in reshipped.items():
            product = sale_line.product_id
            keys = {normalize_number(product.default_code), normalize_number(product.barcode)} - {""}
            candidates = [store_line for key in keys for store_line in by_sku.get(key, [])]
            if not candidates:
                unmatched |= sale_line
                continue
            units = self._store_units(quantity)
            for index, store_line in enumerate(candidates):
                room = store_line.quantity - taken[store_line.ref]
                take = units if index == len(candidates) - 1 else min(units, room)
                if take > 0:
                    result.append((store_line.ref, take))
                    taken[store_line.ref] += take
                    units -= take
                if units <= 0:
                    break
        if not unmatched:
            return self._merge_store_lines(result)
        if self._resends_whole_order(reshipped):
            return [(store_line.ref, store_line.quantity) for store_line in store_lines]
        if len(store_lines) == 1 and len(reshipped) == 1:
            return [(store_lines[0].ref, self._store_units(next(iter(reshipped.values()))))]
        raise ApiError(
            ERROR_INVALID,
            self.env._(
                "%(store)s order %(order)s has no line for %(products)s (the store's SKU is looked for in the "
                "product's Internal Reference and barcode): set it on the product, then retry.",
                store=self.account_id.name,
                order=self.order_ref,
                products=", ".join(unmatched.product_id.mapped("display_name")),
            ),
        )

    @api.model
    def _merge_store_lines(self, pairs):
        merged = defaultdict(int)
        for ref, quantity in pairs:
            merged[ref] += quantity
        return list(merged.items())

    def _resends_whole_order(self, reshipped):
        """Whether the delivery resends every goods line of the order at its full quantity."""
        self.ensure_one()
        goods = self.case_id.sale_id.order_line.filtered(
            lambda line: (
                not line.display_type
                and line.product_id.type == "consu"
                and not getattr(line, "is_delivery", False)
                and line.product_uom_qty > 0
            )
        )
        return bool(goods) and all(
            float_compare(reshipped.get(line, 0.0), line.product_uom_qty, precision_rounding=line.product_uom.rounding)
            >= 0
            for line in goods
        )

    # ------------------------------------------------------------------ sending
    @api.model
    def _due_domain(self, now=None):
        return [("state", "=", "pending"), ("next_try", "<=", now or fields.Datetime.now())]

    @api.model
    def _claim_batch(self, size):
        """Due updates, locked for this worker: another server running the queue skips them."""
        self.flush_model(["state", "next_try"])
        rows = self.env.execute_query(
            SQL(
                """
                SELECT id FROM lost_parcel_store_update
                 WHERE state = 'pending' AND next_try <= %s
              ORDER BY next_try, id
                 LIMIT %s
                   FOR UPDATE SKIP LOCKED
                """,
                fields.Datetime.now(),
                size,
            )
        )
        return self.browse([row[0] for row in rows])

    @api.model
    def _cron_send_store_updates(self, batch_size=DEFAULT_BATCH_SIZE, max_batches=None):
        """Send what is due, one committed batch at a time; one update's failure is stored on it
        and never stops the others."""
        cron = self.env["ir.cron"]
        done = 0
        while max_batches is None or max_batches > 0:
            batch = self._claim_batch(batch_size)
            if not batch:
                break
            batch._send()
            done += len(batch)
            if max_batches is not None:
                max_batches -= 1
            cron._notify_progress(done=done, remaining=self.search_count(self._due_domain()))
            if not getattr(threading.current_thread(), "testing", False):
                # Commit per batch on purpose (README, Decisions): a crash loses at most one batch.
                self.env.cr.commit()  # pylint: disable=invalid-commit
        return done

    def _send(self):
        for update in self:
            if update.state == "sent":
                continue  # never twice
            try:
                data = update._prepare_tracking_update()
                result = update.account_id._push_tracking(data)
            except ApiError as exc:  # the store's lines could not be read or matched
                update._record_failure(exc.kind, exc.message, exc.retry_after)
                continue
            except Exception as exc:  # one update's bug must not stop the batch
                _logger.exception("Store write-back %s failed", update.id)
                update._record_failure("malformed", str(exc))
                continue
            if result.ok:
                update._record_success(result, data)
            else:
                update._record_failure(result.error_kind, result.error, result.retry_after)

    def _record_success(self, result, data=None):
        self.ensure_one()
        self.write(
            {
                "store_lines": ", ".join(f"{ref}: {qty}" for ref, qty in (data.lines if data else [])) or False,
                "state": "sent",
                "sent_date": fields.Datetime.now(),
                "attempts": self.attempts + 1,
                "store_reference": result.store_reference or False,
                "store_action": result.action or False,
                "last_error": False,
                "error_kind": False,
            }
        )
        self.case_id.message_post(
            body=self.env._(
                "The new tracking number %(number)s is shown on %(store)s for order %(order)s.",
                number=self.tracking_number,
                store=self.account_id.name,
                order=self.order_ref,
            )
        )

    def _record_failure(self, kind, error, retry_after=None):
        self.ensure_one()
        attempts = self.attempts + 1
        permanent = kind in PERMANENT_ERRORS or attempts >= MAX_ATTEMPTS
        wait = min(timedelta(minutes=BACKOFF_MINUTES * 2 ** (attempts - 1)), BACKOFF_MAX)
        if retry_after:
            wait = max(wait, timedelta(seconds=retry_after))
        self.write(
            {
                "state": "failed" if permanent else "pending",
                "attempts": attempts,
                "next_try": fields.Datetime.now() + wait,
                "last_error": error or kind,
                "error_kind": kind if kind in dict(STORE_ERROR_KINDS) else "malformed",
            }
        )
        if permanent:
            case = self.case_id
            text = self.env._(
                "%(store)s did not take the new tracking number %(number)s for order %(order)s: %(error)s",
                store=self.account_id.name,
                number=self.tracking_number,
                order=self.order_ref,
                error=self.last_error,
            )
            case.message_post(body=text)
            if case.user_id:
                case.activity_schedule(
                    "mail.mail_activity_data_todo",
                    summary=self.env._("Store refused the reship's tracking number"),
                    note=text,
                    user_id=case.user_id.id,
                )
