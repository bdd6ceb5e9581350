"""Base for the report tests: a known shipping history built through Odoo's own flow (sale
order, delivery validated with a tracking number, tracking stored as polling stores it, cases
opened by detection and handled through the case methods)."""

from datetime import timedelta

from odoo import Command, fields

from odoo.addons.carrier_connectors.clients.base import TrackingEvent, TrackingResult

from .common import LostParcelCommon


class ReportCommon(LostParcelCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Report = cls.env["lost.parcel.shipment.report"]
        cls.now = fields.Datetime.now().replace(microsecond=0)
        # Only our carriers: other modules' shipping methods never compete for "safer carrier".
        cls.env["delivery.carrier"].search([("id", "!=", cls.carrier.id)]).active = False
        cls.postnl = cls._create_carrier(
            "PostNL (test)", cls._create_account("seventeen_track", "17TRACK test", api_key="sandbox-key")
        )
        cls.nl, cls.de = cls.env.ref("base.nl"), cls.env.ref("base.de")
        cls.customer_rotterdam = cls.env["res.partner"].create(
            {
                "name": "Sem Bakker",
                "email": "sem@example.nl",
                "country_id": cls.nl.id,
                "city": "Rotterdam",
                "street": "Coolsingel 40",
                "zip": "3011 AD",
            }
        )
        cls.customer_de = cls.env["res.partner"].create(
            {
                "name": "Jonas Weber",
                "email": "jonas@example.de",
                "country_id": cls.de.id,
                "city": "Berlin",
                "street": "Unter den Linden 1",
                "zip": "10117",
            }
        )

    # ------------------------------------------------------------------ history
    @classmethod
    def _sell_and_ship(cls, tracking_ref, partner=None, carrier=None, shipped=None, order_vals=None, price=None):
        """Sell one teapot, confirm, pick and validate the delivery with ``tracking_ref``; the
        parcel left at ``shipped``."""
        line = {"product_id": cls.product.id, "product_uom_qty": 1}
        if price is not None:
            line["price_unit"] = price
        order = cls.env["sale.order"].create(
            {
                "partner_id": (partner or cls.customer_nl).id,
                "carrier_id": (carrier or cls.carrier).id,
                "order_line": [Command.create(line)],
                **(order_vals or {}),
            }
        )
        order.action_confirm()
        picking = cls._validate(order.picking_ids.filtered(lambda p: p.picking_type_code == "outgoing"), tracking_ref)
        if shipped:
            picking.date_done = shipped
        return order, picking

    @classmethod
    def _store_tracking(cls, picking, status, events, eta=None, delivered_at=None, exception_kind=""):
        """What a poll stores for a carrier answer with these events ([(datetime, status)])."""
        result = TrackingResult(
            picking.carrier_tracking_ref,
            status=status,
            raw_status=status.upper(),
            events=[
                TrackingEvent(occurred_at=when, status=event_status, raw_code=event_status.upper(), description="x")
                for when, event_status in events
            ],
            eta=eta,
            delivered_at=delivered_at,
            exception_kind=exception_kind,
        )
        result.finalize()
        picking._apply_tracking_results({picking.id: result})
        return picking

    @staticmethod
    def _at(base, days=0, hours=0):
        return base + timedelta(days=days, hours=hours)

    def _case_of(self, cases, picking):
        case = cases.filtered(lambda c: c.picking_id == picking)
        self.assertEqual(len(case), 1, f"{picking.carrier_tracking_ref} opens one case")
        return case
