from odoo import api, fields, models


class LostParcelReshipWizard(models.TransientModel):
    _name = "lost.parcel.reship.wizard"
    _description = "Reship Part of a Lost Parcel"

    case_id = fields.Many2one("lost.parcel.case", required=True, readonly=True)
    currency_id = fields.Many2one(related="case_id.currency_id")
    carrier_id = fields.Many2one(
        "delivery.carrier", "Reship With", compute="_compute_carrier_id", store=True, readonly=False, required=True
    )
    carrier_reason = fields.Text(related="case_id.reship_carrier_reason")
    line_ids = fields.One2many(
        "lost.parcel.reship.wizard.line",
        "wizard_id",
        compute="_compute_line_ids",
        store=True,
        readonly=False,
        precompute=True,
    )

    @api.depends("case_id")
    def _compute_carrier_id(self):
        for wizard in self:
            wizard.carrier_id = wizard.case_id.reship_carrier_id

    @api.depends("case_id")
    def _compute_line_ids(self):
        for wizard in self:
            wizard.line_ids = wizard.case_id._prepare_quantity_line_commands()

    def action_reship(self):
        self.ensure_one()
        if self.carrier_id != self.case_id.reship_carrier_id:
            self.case_id.reship_carrier_id = self.carrier_id
        return self.case_id._action_reship_quantities({line.move_id.id: line.quantity for line in self.line_ids})


class LostParcelReshipWizardLine(models.TransientModel):
    _name = "lost.parcel.reship.wizard.line"
    _inherit = "lost.parcel.quantity.line"
    _description = "Reship Part of a Lost Parcel: Line"

    wizard_id = fields.Many2one("lost.parcel.reship.wizard", required=True, ondelete="cascade")
    quantity = fields.Float("To Reship")
