import psycopg2
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, float_compare, float_is_zero

from odoo.addons.stock.models.stock_rule import ProcurementException

MARKETPLACES = [
    ("amazon", "Amazon"),
    ("ebay", "eBay"),
    ("shopify", "Shopify"),
    ("walmart", "Walmart"),
    ("wish", "Wish"),
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


def _marketplace_depends(model):
    fields_present = model.env["sale.order"]._fields
    names = [name for names in MARKETPLACE_REF_FIELDS.values() for name in names if name in fields_present]
    return ["sale_id.team_id.name", "sale_id.client_order_ref", *(f"sale_id.{name}" for name in names)]


class LostParcelCase(models.Model):
    """Reship: a new delivery of the lost goods through Odoo procurement, set-based for batches."""

    _inherit = "lost.parcel.case"  # pylint: disable=consider-merging-classes-inherited

    reship_picking_ids = fields.One2many(
        "stock.picking", "lost_parcel_case_id", string="Reship Transfers", readonly=True
    )
    reship_move_ids = fields.One2many("stock.move", "lost_parcel_case_id", string="Reship Moves", readonly=True)
    sales_channel = fields.Selection(
        [*MARKETPLACES, ("other", "Other")],
        compute="_compute_marketplace",
        store=True,
        help="Where the order came from.",
    )
    marketplace_order_ref = fields.Char(
        "Marketplace Order Ref.", compute="_compute_marketplace", store=True, index="btree_not_null"
    )

    # ------------------------------------------------------------------ computes
    @api.depends(_marketplace_depends)
    def _compute_marketplace(self):
        for case in self:
            case.sales_channel, case.marketplace_order_ref = case._marketplace_of(case.sale_id)

    @api.model
    def _marketplace_of(self, order):
        if not order:
            return False, False
        for channel, names in MARKETPLACE_REF_FIELDS.items():
            for name in names:
                if name in order._fields and order[name]:
                    return channel, str(order[name])
        team = (order.team_id.name or "").lower()
        for channel, label in MARKETPLACES:
            if label.lower() in team:
                return channel, order.client_order_ref or False
        return "other", False

    # ------------------------------------------------------------------ actions
    def action_reship(self):
        """One click: reship everything that was lost. All cases or none; a case already
        reshipped is not reshipped again (double click, double submit)."""
        active = self.filtered(lambda c: c.state == "reshipped" and c.reship_picking_id.state != "cancel")
        cases = self - active
        if cases:
            cases._lock_for_reship(nowait=True)
            errors = cases._reship()
            if errors:
                raise UserError("\n".join(errors.values()))
        if len(self) == 1:
            return self.action_view_reship()
        return True

    def _action_reship_quantities(self, quantities):
        """Reship part of what was lost (the reship wizard).

        :param dict quantities: {lost stock.move id: quantity to reship, in the move's unit}
        """
        self.ensure_one()
        self._lock_for_reship(nowait=True)
        errors = self._reship(quantities)
        if errors:
            raise UserError("\n".join(errors.values()))
        return self.action_view_reship()

    def action_reship_batch(self):
        """Reship many cases; a case that fails (wrong state, no carrier, no route, locked by
        another user) is reported and does not stop the others."""
        return self._reship_notification(self._reship_many())

    def action_open_reship_wizard(self):
        self.ensure_one()
        self._ensure_can_be_reshipped()
        action = self.env["ir.actions.act_window"]._for_xml_id("lost_parcel_reship.action_lost_parcel_reship_wizard")
        action["context"] = {"default_case_id": self.id}
        return action

    # ------------------------------------------------------------------ business methods
    def _lock_for_reship(self, nowait=False):
        """Row-lock the cases so two users (or two requests) never reship one case twice.

        :param nowait: raise when a case is locked; otherwise skip it
        :return: the cases this transaction holds
        """
        if not self:
            return self
        if nowait:
            try:
                with self.env.cr.savepoint(flush=False):
                    self.env.cr.execute(
                        SQL("SELECT id FROM lost_parcel_case WHERE id IN %s FOR UPDATE NOWAIT", tuple(self.ids))
                    )
            except psycopg2.errors.LockNotAvailable:
                raise UserError(self.env._("Another user is reshipping %s right now.", ", ".join(self.mapped("name"))))
            return self
        self.env.cr.execute(
            SQL("SELECT id FROM lost_parcel_case WHERE id IN %s FOR UPDATE SKIP LOCKED", tuple(self.ids))
        )
        return self.browse(row[0] for row in self.env.cr.fetchall())

    def _reship_many(self, quantities=None):
        """Reship what can be; the others are skipped and said why.

        :return: {case: error message}
        """
        locked = self._lock_for_reship()
        errors = {
            case: self.env._("Case %s: another user is reshipping it right now.", case.name) for case in self - locked
        }
        try:
            with self.env.cr.savepoint():
                errors.update(locked._reship(quantities))
        except UserError:
            # Something the batch did not foresee failed for some case: reship case by case,
            # each on its own, so the others still go.
            for case in locked:
                try:
                    with self.env.cr.savepoint():
                        errors.update(case._reship(quantities))
                except UserError as exc:
                    errors[case] = self.env._("Case %(case)s: %(error)s", case=case.name, error=exc.args[0])
        return errors

    def _reship(self, quantities=None):
        """Create the reship deliveries of locked cases in one procurement run.

        :param dict quantities: {lost stock.move id: quantity in the move's unit}; default all
        :return: {case: error message} for the cases that could not be reshipped
        """
        errors = {}
        self.invalidate_recordset(["state", "reship_picking_id"])
        cases = self.browse()
        for case in self:
            try:
                case._ensure_can_be_reshipped()
                case._reship_lines(quantities)
            except UserError as exc:
                errors[case] = exc.args[0]
            else:
                cases |= case
        cache = {}
        # The carrier chosen at confirmation (or set by hand) stands; the rules run for cases
        # confirmed before any rule could choose.
        to_choose = cases.filtered(
            lambda c: not c.reship_carrier_manual and (not c.reship_carrier_id or not c.reship_carrier_reason)
        )
        errors.update(to_choose._choose_reship_carrier(cache, quantities))
        for case in cases.filtered(lambda c: c not in errors and not c.reship_carrier_id):
            errors[case] = self.env._("Case %s: choose the carrier of the reship.", case.name)
        cases = cases.filtered(lambda c: c not in errors)
        procurements = {case: case._prepare_reship_procurements(quantities) for case in cases}
        cases = self._run_reship_procurements(procurements, errors)
        cases._finish_reships()
        return errors

    def _run_reship_procurements(self, procurements, errors):
        """Run every case's procurements at once; a case whose procurement fails is taken out
        and the run is retried without it.

        :return: the cases whose reship was created
        """
        pending = dict(procurements)
        # The reship transfers get one chatter line each from _finish_reships, not a creation log.
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
                    case = self.browse(procurement.values["lost_parcel_case_id"])
                    failed.setdefault(case, []).append(message)
                for case, messages in failed.items():
                    errors[case] = self.env._("Case %(case)s: %(error)s", case=case.name, error=" ".join(messages))
                    pending.pop(case, None)
                if not failed:
                    raise
            else:
                break
        return self.browse([case.id for case in pending])

    def _reship_moves(self):
        self.ensure_one()
        return self.picking_id.move_ids.filtered(lambda m: m.state == "done" and m.quantity > 0)

    def _reship_lines(self, quantities=None):
        """The lost moves to send again and how much of each (in the move's unit).

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

    def _prepare_reship_procurements(self, quantities=None):
        self.ensure_one()
        picking = self.picking_id
        Procurement = self.env["procurement.group"].Procurement
        origin = f"{self.name} ({picking.origin or picking.name})"
        return [
            Procurement(
                move.product_id,
                qty,
                move.product_uom,
                picking.location_dest_id,
                move.product_id.display_name,
                origin,
                picking.company_id,
                self._prepare_reship_proc_values(move),
            )
            for move, qty in self._reship_lines(quantities)
        ]

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

    def _finish_reships(self):
        """After the procurement run: reserve, link, log, and handle shortages, in batch."""
        if not self:
            return
        moves = self.env["stock.move"].search([("lost_parcel_case_id", "in", self.ids), ("state", "!=", "cancel")])
        moves.picking_id.action_assign()
        moves_by_case = moves.grouped("lost_parcel_case_id")
        self.write({"state": "reshipped"})
        for case in self:
            case.reship_picking_id = case._main_reship_picking(moves_by_case[case].picking_id)
        self.flush_recordset(["reship_shortage"])
        bodies = {}
        for case in self:
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
        self._message_log_batch(bodies=bodies)
        pickings = moves.picking_id
        pickings._message_log_batch(
            bodies={
                picking.id: Markup("%s %s")
                % (self.env._("Reship of lost parcel"), picking.lost_parcel_case_id._get_html_link())
                for picking in pickings
            }
        )
        self.filtered("reship_shortage")._handle_reship_shortage()

    def _reopen_cancelled_reship(self):
        """A reship whose transfers are all cancelled leaves its case confirmed, to reship again
        or refund."""
        for case in self.filtered(lambda c: c.state == "reshipped"):
            if all(picking.state == "cancel" for picking in case.reship_picking_ids):
                case.write({"state": "confirmed", "reship_picking_id": False})
                case.message_post(body=self.env._("The reship was cancelled: the case can be reshipped again."))

    @api.model
    def _main_reship_picking(self, pickings):
        """The transfer that takes the reship to the customer, or its first step while the
        next steps of a multi-step route are not created yet."""
        to_customer = pickings.filtered(lambda p: p.location_dest_id.usage == "customer")
        return (to_customer or pickings).sorted("id")[:1]

    # ------------------------------------------------------------------ reporting
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
        """Tell the customer the replacement is on its way, in their language."""
        template = self.env.ref("lost_parcel_reship.mail_template_reship_shipped")
        for case in self.filtered(lambda c: not c.customer_notified):
            case.message_post_with_source(template, message_type="comment", subtype_xmlid="mail.mt_comment")
            case.customer_notified = True
