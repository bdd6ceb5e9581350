from odoo import fields, models


class LostParcelClaimDecisionWizard(models.TransientModel):
    _name = "lost.parcel.claim.decision.wizard"
    _description = "Record a Claim Decision or Payment"

    claim_id = fields.Many2one("lost.parcel.claim", required=True, ondelete="cascade")
    currency_id = fields.Many2one(related="claim_id.currency_id")
    amount_requested = fields.Monetary(related="claim_id.amount_requested")
    decision = fields.Selection(
        [
            ("accepted", "Accepted"),
            ("partially_accepted", "Partially accepted"),
            ("rejected", "Rejected"),
            ("paid", "Paid"),
        ],
        required=True,
        default="accepted",
    )
    amount = fields.Monetary(help="Approved, or received when paid, in the claim's currency.")
    date = fields.Date(default=fields.Date.context_today, required=True)
    reason = fields.Text(help="Why the carrier rejected the claim (kept for the carrier report), or a note.")

    def action_apply(self):
        self.ensure_one()
        if self.decision == "paid":
            self.claim_id._record_payment(self.amount, self.date)
        else:
            self.claim_id._record_decision(self.decision, self.amount, self.reason, self.date)
        return {"type": "ir.actions.act_window_close"}
