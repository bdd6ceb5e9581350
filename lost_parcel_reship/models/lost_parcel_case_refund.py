from collections import defaultdict

from markupsafe import Markup

from odoo import Command, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare, float_is_zero


class LostParcelCase(models.Model):
    """Refund instead of reship: the lost goods leave the customer location for the inventory
    loss location (so the order no longer counts them delivered), the invoiced part gets a
    credit note through Odoo's invoice reversal, and the order's quantities are lowered."""

    _inherit = "lost.parcel.case"  # pylint: disable=consider-merging-classes-inherited

    state = fields.Selection(selection_add=[("refunded", "Refunded")], ondelete={"refunded": "set default"})
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

    # ------------------------------------------------------------------ guards
    def _ensure_can_be_refunded(self):
        for case in self:
            if case.state not in ("confirmed", "reshipped"):
                raise UserError(
                    self.env._(
                        "Case %(case)s is %(state)s: only a parcel confirmed lost is refunded.",
                        case=case.name,
                        state=case._state_label(),
                    )
                )
            if not case.sale_id:
                raise UserError(self.env._("Case %s: the lost delivery has no sale order to refund.", case.name))
            left = case.reship_picking_ids.filtered(
                lambda p: p.state == "done" and p.location_dest_id.usage == "customer"
            )
            if left:
                raise UserError(
                    self.env._(
                        "Case %(case)s: the replacement %(picking)s has left already; it cannot be refunded instead.",
                        case=case.name,
                        picking=left[0].name,
                    )
                )

    # ------------------------------------------------------------------ actions
    def action_refund(self):
        self.ensure_one()
        self._ensure_can_be_refunded()
        action = self.env["ir.actions.act_window"]._for_xml_id("lost_parcel_reship.action_lost_parcel_refund_wizard")
        action["context"] = {"default_case_id": self.id}
        return action

    def action_view_refunds(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_move_out_refund_type")
        action["domain"] = [("id", "in", self.refund_move_ids.ids)]
        if len(self.refund_move_ids) == 1:
            action.update(res_id=self.refund_move_ids.id, views=[(False, "form")], view_mode="form")
        return action

    # ------------------------------------------------------------------ business methods
    def _refund(self, reason, quantities=None):
        """Refund the lost goods instead of reshipping them.

        :param str reason: why the customer gets a refund (required)
        :param dict quantities: {lost stock.move id: quantity}; default everything lost
        :return: the credit notes created (none for an order not invoiced)
        """
        self.ensure_one()
        if not (reason or "").strip():
            raise UserError(self.env._("Say why the customer is refunded instead of reshipped."))
        self._lock_for_reship(nowait=True)
        self.invalidate_recordset(["state"])
        self._ensure_can_be_refunded()
        lines = self._reship_lines(quantities)
        cancelled = self._cancel_pending_reship()
        order_lines = self.env["sale.order.line"].union(*[move.sale_line_id for move, _qty in lines])
        delivered_before = {line: line.qty_delivered for line in order_lines}
        write_offs = self._write_off_lost_goods(lines)
        order_lines.invalidate_recordset(["qty_delivered"])
        refund_qty = {}
        for line in order_lines:
            qty = delivered_before[line] - line.qty_delivered
            if float_compare(qty, 0.0, precision_rounding=line.product_uom.rounding) > 0:
                refund_qty[line] = qty
        credit_notes = self._create_refund_credit_notes(refund_qty, reason)
        invoiced_amount = sum(-note.amount_untaxed_signed for note in credit_notes)
        adjusted_amount = self._adjust_refunded_order_lines(refund_qty, credit_notes)
        self.write(
            {
                "state": "refunded",
                "refund_reason": reason.strip(),
                "refund_move_ids": [Command.link(note.id) for note in credit_notes],
                "refund_write_off_move_ids": [Command.link(move.id) for move in write_offs],
                "refund_amount": self.company_id.currency_id.round(invoiced_amount + adjusted_amount),
                "closed_date": fields.Datetime.now(),
            }
        )
        self.activity_unlink(["lost_parcel_reship.mail_activity_type_shortage"])
        self._log_refund(reason.strip(), credit_notes, cancelled)
        return credit_notes

    def _cancel_pending_reship(self):
        self.ensure_one()
        pending = self.reship_picking_ids.filtered(lambda p: p.state not in ("done", "cancel"))
        pending.action_cancel()
        return pending

    def _write_off_lost_goods(self, lines):
        """Move the lost goods from the customer location to the inventory loss location, as
        returns that update the order (``to_refund``): Odoo then no longer counts them delivered,
        kits included. Neither location is valued, so the stock valuation does not change."""
        self.ensure_one()
        Move = self.env["stock.move"]
        has_bom_line = "bom_line_id" in Move._fields
        vals_list = []
        for move, qty in lines:
            loss_location = move.product_id.with_company(self.company_id).property_stock_inventory
            vals = {
                "name": self.env._("Lost parcel %s", self.name),
                "origin": self.name,
                "product_id": move.product_id.id,
                "product_uom": move.product_uom.id,
                "product_uom_qty": qty,
                "location_id": move.location_dest_id.id,
                "location_dest_id": loss_location.id,
                "company_id": self.company_id.id,
                "partner_id": move.partner_id.id,
                "sale_line_id": move.sale_line_id.id,
                "origin_returned_move_id": move.id,
                "to_refund": True,
                "picked": True,
                "move_line_ids": self._prepare_write_off_move_lines(move, qty, loss_location),
            }
            if has_bom_line:
                vals["bom_line_id"] = move.bom_line_id.id
            vals_list.append(vals)
        moves = Move.create(vals_list)
        moves._action_done()
        return moves

    def _prepare_write_off_move_lines(self, move, qty, loss_location):
        """Same lots/serials as the lost delivery, up to ``qty`` (in the move's unit)."""
        commands, remaining = [], qty
        for line in move.move_line_ids:
            if float_is_zero(remaining, precision_rounding=move.product_uom.rounding):
                break
            take = min(remaining, line.product_uom_id._compute_quantity(line.quantity, move.product_uom))
            remaining -= take
            commands.append(
                Command.create(
                    {
                        "product_id": move.product_id.id,
                        "product_uom_id": move.product_uom.id,
                        "quantity": take,
                        "lot_id": line.lot_id.id,
                        "location_id": move.location_dest_id.id,
                        "location_dest_id": loss_location.id,
                        "picked": True,
                    }
                )
            )
        return commands

    def _create_refund_credit_notes(self, refund_qty, reason):
        """Credit notes for the invoiced part of ``refund_qty``, through ``account.move.reversal``
        on the posted invoices, keeping only the lost lines and quantities."""
        self.ensure_one()
        to_credit = {}
        for line, qty in refund_qty.items():
            invoiced = line._lost_parcel_posted_invoiced_qty()
            credit = min(qty, invoiced)
            if float_compare(credit, 0.0, precision_rounding=line.product_uom.rounding) > 0:
                to_credit[line] = credit
        if not to_credit:
            return self.env["account.move"]
        invoices = (
            self.env["sale.order.line"]
            .union(*to_credit)
            .invoice_lines.move_id.filtered(lambda m: m.move_type == "out_invoice" and m.state == "posted")
        )
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=invoices.ids)
            .create(
                {
                    "move_ids": [Command.set(invoices.ids)],
                    "journal_id": invoices[0].journal_id.id,
                    "reason": self.env._("%(case)s: %(reason)s", case=self.name, reason=reason),
                }
            )
        )
        reversal.refund_moves()
        credit_notes = reversal.new_move_ids
        remaining = dict(to_credit)
        for note in credit_notes:
            commands = []
            for inv_line in note.invoice_line_ids.filtered(lambda aml: aml.display_type == "product"):
                sale_line = (inv_line.sale_line_ids & self.env["sale.order.line"].union(*to_credit))[:1]
                if not sale_line:
                    commands.append(Command.delete(inv_line.id))
                    continue
                wanted = sale_line.product_uom._compute_quantity(remaining[sale_line], inv_line.product_uom_id)
                take = min(inv_line.quantity, wanted)
                if float_is_zero(take, precision_rounding=inv_line.product_uom_id.rounding):
                    commands.append(Command.delete(inv_line.id))
                    continue
                remaining[sale_line] -= inv_line.product_uom_id._compute_quantity(take, sale_line.product_uom)
                commands.append(Command.update(inv_line.id, {"quantity": take}))
            note.write({"invoice_line_ids": commands})
        empty = credit_notes.filtered(
            lambda note: not note.invoice_line_ids.filtered(lambda aml: aml.display_type == "product")
        )
        empty.unlink()
        credit_notes -= empty
        credit_notes.action_post()
        return credit_notes

    def _adjust_refunded_order_lines(self, refund_qty, credit_notes):
        """Lower the ordered quantities by what was refunded, so the order neither delivers nor
        invoices the lost goods again.

        :return: value at sale price (company currency) of what was refunded without a credit note
        """
        self.ensure_one()
        credited = defaultdict(float)
        for inv_line in credit_notes.invoice_line_ids:
            for sale_line in inv_line.sale_line_ids:
                credited[sale_line] += inv_line.product_uom_id._compute_quantity(
                    inv_line.quantity, sale_line.product_uom
                )
        company = self.company_id
        amount = 0.0
        for order, lines in self.env["sale.order.line"].union(*refund_qty).grouped("order_id").items():
            locked = order.locked
            if locked:
                order.action_unlock()
            for line in lines:
                uncredited = max(refund_qty[line] - credited[line], 0.0)
                amount += line.currency_id._convert(
                    uncredited * line.price_reduce_taxexcl,
                    company.currency_id,
                    company,
                    fields.Date.context_today(self),
                )
                line.product_uom_qty = max(line.product_uom_qty - refund_qty[line], line.qty_delivered)
            if locked:
                order.action_lock()
        return amount

    def _log_refund(self, reason, credit_notes, cancelled):
        self.ensure_one()
        parts = [self.env._("Refunded instead of reshipped: %s", reason)]
        if credit_notes:
            parts.append(
                self.env._("Credit note %s.", Markup(", ").join(note._get_html_link() for note in credit_notes))
            )
        else:
            parts.append(self.env._("The order was not invoiced: its quantities were lowered."))
        if cancelled:
            parts.append(
                self.env._("Pending reship cancelled: %s.", Markup(", ").join(p._get_html_link() for p in cancelled))
            )
        self.message_post(body=Markup("<br/>").join(parts))
        self.sale_id.message_post(
            body=self.env._("Lost parcel %(case)s refunded: %(reason)s", case=self._get_html_link(), reason=reason)
        )
