from odoo import api, fields, models


class LostParcelRefundWizard(models.TransientModel):
    _name = "lost.parcel.refund.wizard"
    _description = "Refund a Lost Parcel Instead of Reshipping"

    case_id = fields.Many2one("lost.parcel.case", required=True, readonly=True)
    reason = fields.Text(required=True, help="Why the customer is refunded instead of reshipped.")
    invoiced = fields.Boolean(compute="_compute_invoiced")
    reship_left = fields.Boolean(compute="_compute_invoiced", help="The replacement has left already.")
    line_ids = fields.One2many(
        "lost.parcel.refund.wizard.line",
        "wizard_id",
        compute="_compute_line_ids",
        store=True,
        readonly=False,
        precompute=True,
    )

    @api.depends("case_id")
    def _compute_invoiced(self):
        for wizard in self:
            wizard.invoiced = wizard.case_id._lost_lines_invoiced()
            wizard.reship_left = wizard.case_id.reship_left

    @api.depends("case_id")
    def _compute_line_ids(self):
        for wizard in self:
            wizard.line_ids = wizard.case_id._prepare_quantity_line_commands()

    def action_refund(self):
        """Refund; then the customer's mail when the policy leaves it to a person (composer
        prefilled, as for a reship), else the credit notes."""
        self.ensure_one()
        case = self.case_id
        credit_notes = case._refund(self.reason, {line.move_id.id: line.quantity for line in self.line_ids})
        if case.customer_notice_step == "refunded":
            return self.env["lost.parcel.communication"]._composer_action(case, "refunded")
        if credit_notes:
            return case.action_view_refunds()
        return {"type": "ir.actions.act_window_close"}


class LostParcelRefundWizardLine(models.TransientModel):
    _name = "lost.parcel.refund.wizard.line"
    _inherit = "lost.parcel.quantity.line"
    _description = "Refund a Lost Parcel: Line"

    wizard_id = fields.Many2one("lost.parcel.refund.wizard", required=True, ondelete="cascade")
    quantity = fields.Float("To Refund")
