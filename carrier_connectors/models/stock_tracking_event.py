import hashlib

from odoo import api, fields, models

from ..clients.status import EXCEPTION_KINDS, STATUS_SELECTION


class StockTrackingEvent(models.Model):
    _name = "stock.tracking.event"
    _description = "Parcel Tracking Event"
    _order = "occurred_at desc, id desc"
    _rec_name = "description"

    picking_id = fields.Many2one("stock.picking", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="picking_id.company_id", store=True, index=True)
    carrier_id = fields.Many2one(related="picking_id.carrier_id", store=True)
    occurred_at = fields.Datetime(required=True, index=True)
    status = fields.Selection(STATUS_SELECTION, required=True)
    exception_kind = fields.Selection(EXCEPTION_KINDS)
    raw_code = fields.Char("Carrier Code")
    description = fields.Char()
    location = fields.Char()
    event_key = fields.Char(required=True, readonly=True, help="Identity of the event, so a repeat is stored once.")

    _sql_constraints = [
        ("event_key_unique", "UNIQUE(picking_id, event_key)", "This tracking event is already stored."),
    ]

    @api.model
    def _create_with_delivery_fields(self, vals_list):
        """Create events whose values give their delivery's company and carrier (read with the
        delivery): those two are not computed again at the flush, as the ORM does for the related
        fields it is given (7 % of the time storing first answers takes). Values without them get
        them computed, as ``create`` does."""
        events = self.create(vals_list)
        given = self.browse(
            event.id
            for event, vals in zip(events, vals_list, strict=True)
            if "company_id" in vals and "carrier_id" in vals
        )
        for name in ("company_id", "carrier_id"):
            self.env.remove_to_compute(self._fields[name], given)
        return events

    @api.model
    def _make_event_key(self, event):
        text = "|".join(
            [event.occurred_at.isoformat(), event.raw_code or "", event.description or "", event.location or ""]
        )
        return hashlib.sha1(text.encode()).hexdigest()

    @api.model
    def _events_digest(self, events_vals):
        """One digest of the keys of these events (``_prepare_event_vals``), whatever their
        order; False for none."""
        if not events_vals:
            return False
        return hashlib.sha1("\n".join(sorted(vals["event_key"] for vals in events_vals)).encode()).hexdigest()

    @api.model
    def _prepare_event_vals(self, picking_id, event):
        return {
            "picking_id": picking_id,
            "occurred_at": event.occurred_at,
            "status": event.status,
            "exception_kind": event.exception_kind or False,
            "raw_code": event.raw_code,
            "description": event.description,
            "location": event.location,
            "event_key": self._make_event_key(event),
        }

    def write(self, vals):
        moved = {"picking_id", "event_key"} & set(vals)
        if moved:
            self._forget_stored_answers()  # the deliveries they leave
        res = super().write(vals)
        if moved:
            self._forget_stored_answers()  # the deliveries they join
        return res

    def unlink(self):
        self._forget_stored_answers()
        return super().unlink()

    def _forget_stored_answers(self):
        """These events' deliveries no longer hold every event of their last answer: their next
        answer is compared with the stored events again (an event deleted by hand comes back if
        the carrier still reports it)."""
        pickings = self.picking_id.sudo().filtered("tracking_events_digest")
        if pickings:
            pickings.write({"tracking_events_digest": False})
