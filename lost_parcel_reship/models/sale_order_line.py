from odoo import models


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    def _get_outgoing_incoming_moves(self, strict=True):
        # A reship replaces goods the line already delivered: it is neither a second delivery
        # (delivered quantity) nor a new need (procured quantity).
        outgoing, incoming = super()._get_outgoing_incoming_moves(strict=strict)
        return (
            outgoing.filtered(lambda m: not m.lost_parcel_case_id),
            incoming.filtered(lambda m: not m.lost_parcel_case_id),
        )

    def _lost_parcel_posted_invoiced_qty(self):
        """Quantity on posted customer invoices minus posted credit notes, in the line's unit."""
        self.ensure_one()
        qty = 0.0
        for inv_line in self.invoice_lines.filtered(lambda aml: aml.parent_state == "posted"):
            line_qty = inv_line.product_uom_id._compute_quantity(inv_line.quantity, self.product_uom)
            qty += line_qty if inv_line.move_id.move_type == "out_invoice" else -line_qty
        return qty
