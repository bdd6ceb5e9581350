import psycopg2

from odoo import fields, models
from odoo.exceptions import UserError


class LostParcelCase(models.Model):
    """Reship: a new delivery of the lost goods through Odoo procurement."""

    _inherit = "lost.parcel.case"

    def action_reship(self):
        """Reship confirmed cases: one new delivery each, reserved from stock."""
        cases = self
        cases._ensure_can_be_reshipped()
        # Lock the cases so two users (or a double click) cannot reship the same case twice.
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    "SELECT id FROM lost_parcel_case WHERE id IN %s FOR UPDATE NOWAIT", [tuple(cases.ids)]
                )
        except psycopg2.errors.LockNotAvailable:
            raise UserError(self.env._("Another user is reshipping %s right now.", ", ".join(cases.mapped("name"))))
        cases.invalidate_recordset(["reship_picking_id", "state"])
        cases._ensure_can_be_reshipped()
        for case in cases:
            case._create_reship()
        if len(cases) == 1:
            return cases.action_view_reship()
        return True

    def action_reship_batch(self):
        """Reship many cases; a case that fails (no stock route, wrong state, locked) is
        reported and does not stop the others."""
        done, failures = self.browse(), []
        for case in self:
            try:
                with self.env.cr.savepoint():
                    case.action_reship()
                done |= case
            except UserError as exc:
                failures.append(f"{case.name}: {exc.args[0]}")
        message = self.env._("%s case(s) reshipped.", len(done))
        if failures:
            message += " " + self.env._("Not reshipped: %s", "; ".join(failures))
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "warning" if failures else "success",
                "sticky": bool(failures),
                "message": message,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def _reship_moves(self):
        self.ensure_one()
        return self.picking_id.move_ids.filtered(lambda m: m.state == "done" and m.quantity > 0)

    def _prepare_reship_proc_values(self, move):
        """Procurement values of one reshipped line: the exchange pattern of
        ``stock.return.picking._get_proc_values`` (same group, so the sale order lists the
        reship), without ``sale_line_id`` so the order's delivered quantity stays right."""
        self.ensure_one()
        picking = self.picking_id
        return {
            "group_id": picking.group_id,
            "date_planned": fields.Datetime.now(),
            "warehouse_id": picking.picking_type_id.warehouse_id,
            "partner_id": picking.partner_id.id,
            "location_final_id": move.location_final_id or picking.location_dest_id,
            "company_id": picking.company_id,
            "lost_parcel_case_id": self.id,
        }

    def _create_reship(self):
        self.ensure_one()
        picking = self.picking_id
        moves = self._reship_moves()
        if not moves:
            raise UserError(self.env._("Case %s: the lost delivery has no delivered product to reship.", self.name))
        Procurement = self.env["procurement.group"].Procurement
        procurements = [
            Procurement(
                move.product_id,
                move.quantity,
                move.product_uom,
                picking.location_dest_id,
                move.product_id.display_name,
                f"{self.name} ({picking.origin or picking.name})",
                picking.company_id,
                self._prepare_reship_proc_values(move),
            )
            for move in moves
        ]
        self.env["procurement.group"].run(procurements)
        new_moves = self.env["stock.move"].search([("lost_parcel_case_id", "=", self.id), ("state", "!=", "cancel")])
        pickings = new_moves.picking_id
        reship = pickings.filtered(lambda p: p.location_dest_id.usage == "customer")[:1]
        if not reship:
            raise UserError(
                self.env._("Case %s: no delivery route reaches the customer from this warehouse.", self.name)
            )
        reship.write(self._prepare_reship_picking_vals())
        pickings.action_assign()
        self.write({"reship_picking_id": reship.id, "state": "reshipped"})
        reship.message_post_with_source(
            "mail.message_origin_link",
            render_values={"self": reship, "origin": picking},
            subtype_xmlid="mail.mt_note",
        )
        self.message_post(
            body=self.env._(
                "Reship delivery %(picking)s created (%(availability)s).",
                picking=reship._get_html_link(),
                availability=reship._reship_availability(),
            )
        )
        return reship

    def _prepare_reship_picking_vals(self):
        self.ensure_one()
        return {"carrier_id": self.reship_carrier_id.id, "lost_parcel_case_id": self.id}

    def _notify_customer_reshipped(self):
        """Tell the customer the replacement is on its way, in their language."""
        template = self.env.ref("lost_parcel_reship.mail_template_reship_shipped")
        for case in self.filtered(lambda c: not c.customer_notified):
            case.message_post_with_source(template, message_type="comment", subtype_xmlid="mail.mt_comment")
            case.customer_notified = True
