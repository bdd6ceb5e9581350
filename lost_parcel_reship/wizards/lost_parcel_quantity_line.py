from odoo import fields, models


class LostParcelQuantityLine(models.AbstractModel):
    """A lost move and how much of it a wizard acts on: the lines of the reship and refund
    wizards (``lost.parcel.case._prepare_quantity_line_commands`` fills them)."""

    _name = "lost.parcel.quantity.line"
    _description = "Lost Parcel Wizard Line"

    move_id = fields.Many2one("stock.move", "Lost Move", required=True, readonly=True)
    product_id = fields.Many2one(related="move_id.product_id")
    shipped_quantity = fields.Float(related="move_id.quantity", string="Shipped")
    quantity = fields.Float(digits="Product Unit of Measure")
    uom_id = fields.Many2one(related="move_id.product_uom")
