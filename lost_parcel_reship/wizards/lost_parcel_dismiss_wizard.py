from odoo import fields, models


class LostParcelDismissWizard(models.TransientModel):
    _name = "lost.parcel.dismiss.wizard"
    _description = "Dismiss a Lost Parcel Case"

    case_ids = fields.Many2many("lost.parcel.case", required=True)
    reason = fields.Text(required=True)

    def action_dismiss(self):
        self.ensure_one()
        self.case_ids._dismiss(self.reason)
        return {"type": "ir.actions.act_window_close"}
