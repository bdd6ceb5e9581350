import logging
from collections import defaultdict

import psycopg2
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import RedirectWarning, UserError
from odoo.tools import SQL, formatLang

from odoo.addons.stock.models.stock_rule import ProcurementException

_logger = logging.getLogger(__name__)


class LostParcelReship(models.AbstractModel):
    """The reship engine: new deliveries of lost goods through Odoo procurement, in one run for a
    whole batch of cases, reserved from stock; when stock cannot cover them, the purchaser is told
    and a replenishment is suggested.

    A helper of ``lost.parcel.case`` (which owns the state and the ``_prepare_reship_*`` hooks):
    it never stores anything of its own.
    """

    _name = "lost.parcel.reship"
    _description = "Lost Parcel Reship Engine"

    # ------------------------------------------------------------------ locking
    @api.model
    def _lock_cases(self, cases, nowait=False):
        """Row-lock the cases so two users (or two requests) never reship one case twice.

        :param nowait: raise when a case is locked; otherwise skip it
        :return: the cases this transaction holds
        """
        if not cases:
            return cases
        if nowait:
            try:
                with self.env.cr.savepoint(flush=False):
                    self.env.cr.execute(
                        SQL("SELECT id FROM lost_parcel_case WHERE id IN %s FOR UPDATE NOWAIT", tuple(cases.ids))
                    )
            except psycopg2.errors.LockNotAvailable:
                raise UserError(
                    self.env._("Another user is reshipping %s right now.", ", ".join(cases.mapped("name")))
                ) from None
            return cases
        self.env.cr.execute(
            SQL("SELECT id FROM lost_parcel_case WHERE id IN %s FOR UPDATE SKIP LOCKED", tuple(cases.ids))
        )
        return cases.browse(row[0] for row in self.env.cr.fetchall())

    # ------------------------------------------------------------------ reship
    @api.model
    def _reship_many(self, cases, quantities=None):
        """Reship what can be; the others are skipped and said why.

        :return: {case: error message}
        """
        locked = self._lock_cases(cases)
        errors = {
            case: self.env._("Case %s: another user is reshipping it right now.", case.name) for case in cases - locked
        }
        try:
            with self.env.cr.savepoint():
                errors.update(self._reship(locked, quantities))
        except UserError:
            # Something the batch did not foresee failed for some case: reship case by case,
            # each on its own, so the others still go.
            for case in locked:
                try:
                    with self.env.cr.savepoint():
                        errors.update(self._reship(case, quantities))
                except UserError as exc:
                    errors[case] = self.env._("Case %(case)s: %(error)s", case=case.name, error=exc.args[0])
        return errors

    @api.model
    def _reship(self, cases, quantities=None):
        """Create the reship deliveries of locked cases in one procurement run.

        :param dict quantities: {lost stock.move id: quantity in the move's unit}; default all
        :return: {case: error message} for the cases that could not be reshipped
        """
        errors = {}
        cases.invalidate_recordset(["state", "reship_picking_id"])
        ready = cases.browse()
        for case in cases:
            try:
                case._ensure_can_be_reshipped()
                case._reship_lines(quantities)
            except UserError as exc:
                errors[case] = exc.args[0]
            else:
                ready |= case
        cache = {}
        # The carrier chosen at confirmation (or set by hand) stands; the rules run for cases
        # confirmed before any rule could choose.
        to_choose = ready.filtered(
            lambda c: not c.reship_carrier_manual and (not c.reship_carrier_id or not c.reship_carrier_reason)
        )
        errors.update(to_choose._choose_reship_carrier(cache, quantities))
        for case in ready.filtered(lambda c: c not in errors and not c.reship_carrier_id):
            errors[case] = self.env._("Case %s: choose the carrier of the reship.", case.name)
        ready = ready.filtered(lambda c: c not in errors)
        procurements = {case: self._prepare_procurements(case, quantities) for case in ready}
        created = self._run_procurements(procurements, errors)
        self._finish(created)
        return errors

    @api.model
    def _prepare_procurements(self, case, quantities=None):
        picking = case.picking_id
        Procurement = self.env["procurement.group"].Procurement
        origin = f"{case.name} ({picking.origin or picking.name})"
        return [
            Procurement(
                move.product_id,
                qty,
                move.product_uom,
                picking.location_dest_id,
                move.product_id.display_name,
                origin,
                picking.company_id,
                case._prepare_reship_proc_values(move),
            )
            for move, qty in case._reship_lines(quantities)
        ]

    @api.model
    def _run_procurements(self, procurements, errors):
        """Run every case's procurements at once; a case whose procurement fails is taken out
        and the run is retried without it.

        :param dict procurements: {case: [Procurement]}
        :return: the cases whose reship was created
        """
        pending = dict(procurements)
        # The reship transfers get one chatter line each from _finish, not a creation log.
        ProcurementGroup = self.env["procurement.group"].with_context(
            mail_create_nolog=True, mail_create_nosubscribe=True
        )
        while pending:
            try:
                with self.env.cr.savepoint():
                    ProcurementGroup.run(
                        [procurement for case_procurements in pending.values() for procurement in case_procurements],
                        raise_user_error=False,
                    )
            except ProcurementException as exc:
                failed = {}
                for procurement, message in exc.procurement_exceptions:
                    case = self.env["lost.parcel.case"].browse(procurement.values["lost_parcel_case_id"])
                    failed.setdefault(case, []).append(message)
                for case, messages in failed.items():
                    errors[case] = self.env._("Case %(case)s: %(error)s", case=case.name, error=" ".join(messages))
                    pending.pop(case, None)
                if not failed:
                    raise
            else:
                break
        return self.env["lost.parcel.case"].browse([case.id for case in pending])

    @api.model
    def _finish(self, cases):
        """After the procurement run: reserve, link, log, and handle shortages, in batch."""
        if not cases:
            return
        moves = self.env["stock.move"].search([("lost_parcel_case_id", "in", cases.ids), ("state", "!=", "cancel")])
        moves.picking_id.action_assign()
        cases._mark_reshipped(moves.grouped("lost_parcel_case_id"))
        cases.flush_recordset(["reship_shortage"])
        bodies = {}
        for case in cases:
            if case.reship_shortage:
                availability = self.env._("waiting for stock: %s", case.reship_shortage)
            else:
                availability = self.env._("reserved from stock")
            bodies[case.id] = self.env._(
                "Reship delivery %(picking)s created with %(carrier)s (%(availability)s).",
                picking=case.reship_picking_id._get_html_link(),
                carrier=case.reship_carrier_id.name,
                availability=availability,
            )
        cases._message_log_batch(bodies=bodies)
        pickings = moves.picking_id
        pickings._message_log_batch(
            bodies={
                picking.id: Markup("%s %s")
                % (self.env._("Reship of lost parcel"), picking.lost_parcel_case_id._get_html_link())
                for picking in pickings
            }
        )
        self._handle_shortage(cases.filtered("reship_shortage"))

    # ------------------------------------------------------------------ shortage
    @api.model
    def _handle_shortage(self, cases):
        """Stock cannot cover these reships: suggest a replenishment and plan an activity for
        whoever buys the missing products."""
        if not cases:
            return
        suggestions = self._suggest_replenishment(cases)
        activity_type = self.env.ref("lost_parcel_reship.mail_activity_type_shortage")
        model_id = self.env["ir.model"]._get_id("lost.parcel.case")
        today = fields.Date.context_today(self)
        vals_list = []
        for case in cases:
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
                    "user_id": self._shortage_responsible(case, missing).id,
                    "summary": self.env._("Reship waits for stock: %s", case.reship_shortage),
                    "note": note,
                    "date_deadline": today,
                }
            )
        self.env["mail.activity"].create(vals_list)

    @api.model
    def _shortage_responsible(self, case, missing):
        """The purchaser: the products' responsible (Inventory tab), else the case's."""
        for product in missing:
            user = product.with_company(case.company_id).responsible_id
            if user and user.active and not user.share:
                return user
        return case.user_id or self.env.user

    @api.model
    def _suggest_replenishment(self, cases):
        """A replenishment for each missing product and warehouse: Odoo's manual orderpoint
        (Inventory > Replenishment), and an RFQ when purchase is installed and the product has
        a vendor. Purchase stays an optional module.

        :return: {product: text describing the suggestion}
        """
        missing = defaultdict(float)
        for case in cases:
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

    @api.model
    def _order_replenishment(self, orderpoint, product, warehouse):
        """Turn the suggestion into an RFQ when purchase can buy the product.

        :return: text naming the RFQ, or False
        """
        if not (self._purchase_enabled() and product.seller_ids):
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

    @api.model
    def _purchase_enabled(self):
        """Whether an RFQ can be suggested: needs purchase_stock, which is not a dependency."""
        return "buy_pull_id" in self.env["stock.warehouse"]._fields
