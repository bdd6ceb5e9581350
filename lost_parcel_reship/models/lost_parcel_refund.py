from collections import defaultdict

from odoo import Command, api, fields, models
from odoo.tools import float_compare, float_is_zero


class LostParcelRefund(models.AbstractModel):
    """Refund instead of reship: the lost goods leave the customer location for the inventory
    loss location (so the order no longer counts them delivered), the invoiced part gets a
    credit note through Odoo's invoice reversal, and the order's quantities are lowered.

    A helper of ``lost.parcel.case``, which checks the case may be refunded, then writes what
    this returns (``_prepare_refund_vals``).
    """

    _name = "lost.parcel.refund"
    _description = "Lost Parcel Refund"

    @api.model
    def _refund(self, case, reason, lines, keep_reship=False):
        """Refund ``lines`` of ``case``.

        :param list lines: [(lost stock.move, quantity in the move's unit)]
        :param keep_reship: the replacement has left: only the invoiced part is credited, and stock
            and the order stay as they are (the customer has the replacement)
        :return: {"credit_notes": account.move, "write_offs": stock.move, "cancelled": stock.picking
                  (pending reship transfers cancelled), "amount": untaxed amount refunded in company currency,
                  "kept_reship": bool}
        """
        if keep_reship:
            refund_qty = {}
            for move, qty in lines:
                line = move.sale_line_id
                refund_qty[line] = refund_qty.get(line, 0.0) + move.product_uom._compute_quantity(qty, line.product_uom)
            credit_notes = self._create_credit_notes(case, refund_qty, reason)
            return {
                "credit_notes": credit_notes,
                "write_offs": self.env["stock.move"],
                "cancelled": self.env["stock.picking"],
                "amount": sum(-note.amount_untaxed_signed for note in credit_notes),
                "kept_reship": True,
            }
        pending = case.reship_picking_ids.filtered(lambda p: p.state not in ("done", "cancel"))
        pending.action_cancel()
        order_lines = self.env["sale.order.line"].union(*[move.sale_line_id for move, _qty in lines])
        delivered_before = {line: line.qty_delivered for line in order_lines}
        write_offs = self._write_off_lost_goods(case, lines)
        order_lines.invalidate_recordset(["qty_delivered"])
        refund_qty = {}
        for line in order_lines:
            qty = delivered_before[line] - line.qty_delivered
            if float_compare(qty, 0.0, precision_rounding=line.product_uom.rounding) > 0:
                refund_qty[line] = qty
        credit_notes = self._create_credit_notes(case, refund_qty, reason)
        invoiced_amount = sum(-note.amount_untaxed_signed for note in credit_notes)
        adjusted_amount = self._adjust_order_lines(case, refund_qty, credit_notes)
        return {
            "credit_notes": credit_notes,
            "write_offs": write_offs,
            "cancelled": pending,
            "amount": invoiced_amount + adjusted_amount,
            "kept_reship": False,
        }

    @api.model
    def _write_off_lost_goods(self, case, lines):
        """Move the lost goods from the customer location to the inventory loss location, as
        returns that update the order (``to_refund``): Odoo then no longer counts them delivered,
        kits included. Neither location is valued, so the stock valuation does not change."""
        Move = self.env["stock.move"]
        has_bom_line = "bom_line_id" in Move._fields
        vals_list = []
        for move, qty in lines:
            loss_location = move.product_id.with_company(case.company_id).property_stock_inventory
            vals = {
                "name": self.env._("Lost parcel %s", case.name),
                "origin": case.name,
                "product_id": move.product_id.id,
                "product_uom": move.product_uom.id,
                "product_uom_qty": qty,
                "location_id": move.location_dest_id.id,
                "location_dest_id": loss_location.id,
                "company_id": case.company_id.id,
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

    @api.model
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

    @api.model
    def _create_credit_notes(self, case, refund_qty, reason):
        """Credit notes for the invoiced part of ``refund_qty``, through ``account.move.reversal``
        on the posted invoices, keeping only the lost lines and quantities."""
        to_credit = {}
        for line, qty in refund_qty.items():
            credit = min(qty, line._lost_parcel_posted_invoiced_qty())
            if float_compare(credit, 0.0, precision_rounding=line.product_uom.rounding) > 0:
                to_credit[line] = credit
        if not to_credit:
            return self.env["account.move"]
        credited_lines = self.env["sale.order.line"].union(*to_credit)
        invoices = credited_lines.invoice_lines.move_id.filtered(
            lambda m: m.move_type == "out_invoice" and m.state == "posted"
        )
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=invoices.ids)
            .create(
                {
                    "move_ids": [Command.set(invoices.ids)],
                    "journal_id": invoices[0].journal_id.id,
                    "reason": self.env._("%(case)s: %(reason)s", case=case.name, reason=reason),
                }
            )
        )
        reversal.refund_moves()
        credit_notes = reversal.new_move_ids
        remaining = dict(to_credit)
        for note in credit_notes:
            commands = []
            for inv_line in note.invoice_line_ids.filtered(lambda aml: aml.display_type == "product"):
                sale_line = (inv_line.sale_line_ids & credited_lines)[:1]
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

    @api.model
    def _adjust_order_lines(self, case, refund_qty, credit_notes):
        """Lower the ordered quantities by what was refunded, so the order neither delivers nor
        invoices the lost goods again.

        :return: value at sale price (company currency) of what was refunded without a credit note
        """
        credited = defaultdict(float)
        for inv_line in credit_notes.invoice_line_ids:
            for sale_line in inv_line.sale_line_ids:
                credited[sale_line] += inv_line.product_uom_id._compute_quantity(
                    inv_line.quantity, sale_line.product_uom
                )
        company = case.company_id
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
