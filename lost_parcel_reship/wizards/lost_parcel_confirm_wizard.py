from odoo import fields, models


class LostParcelConfirmWizard(models.TransientModel):
    _name = "lost.parcel.confirm.wizard"
    _description = "Confirm a Parcel Lost"

    case_ids = fields.Many2many("lost.parcel.case", required=True)
    confirmed_date = fields.Date("Confirmation Date", required=True, default=fields.Date.context_today)
    carrier_confirmation_ref = fields.Char("Carrier Confirmation Ref.")
    attachment_ids = fields.Many2many("ir.attachment", string="Carrier Documents")

    def action_confirm(self):
        self.ensure_one()
        self.case_ids._confirm_lost(self.confirmed_date, self.carrier_confirmation_ref, self.attachment_ids)
        return {"type": "ir.actions.act_window_close"}

    def action_confirm_and_reship(self):
        """The common case in one step: confirm, then reship everything that was lost."""
        self.action_confirm()
        if len(self.case_ids) == 1:
            return self.case_ids.action_reship()
        return self.case_ids.action_reship_batch()
