from odoo.tests import TransactionCase, tagged

from odoo.addons.carrier_connectors.clients import provider_selection

from ..models.lost_parcel_case import STATES


@tagged("post_install", "-at_install")
class TestDemo(TransactionCase):
    """The demo data as installed (tests/run.sh and tests/demo.sh install it): the story a
    visitor of the demo sees. It asserts on the database, so it needs the module's demo data."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.ref("lost_parcel_reship.demo_product_vase")  # fails clearly without demo data
        cls.shipped = cls.env["stock.picking"].search(
            [
                ("picking_type_code", "=", "outgoing"),
                ("state", "=", "done"),
                ("carrier_tracking_ref", "!=", False),
                ("sale_id", "!=", False),
            ]
        )
        cls.Case = cls.env["lost.parcel.case"]

    def test_orders_shipped_to_many_countries_with_every_provider(self):
        self.assertGreaterEqual(len(self.shipped.sale_id), 200, "a few hundred shipped orders")
        self.assertGreaterEqual(len(self.shipped.partner_id.country_id), 10)
        providers = {key for key, _label in provider_selection()}
        self.assertEqual(set(self.shipped.tracking_account_id.mapped("provider")), providers)
        self.assertEqual(len(self.shipped.picking_type_id.warehouse_id), 1, "one warehouse ships everything")
        dates = self.shipped.mapped("date_done")
        self.assertGreaterEqual((max(dates) - min(dates)).days, 50, "spread over the last two months")

    def test_parcels_have_tracking_histories(self):
        statuses = set(self.shipped.mapped("tracking_status"))
        self.assertLessEqual({"delivered", "in_transit", "exception", "returned"}, statuses)
        delivered = self.shipped.filtered(lambda p: p.tracking_status == "delivered")
        self.assertTrue(all(p.tracking_event_count >= 4 for p in delivered))
        late = delivered.filtered(lambda p: p.tracking_delivered_date > p.tracking_eta)
        self.assertTrue(late, "some parcels arrived after the carrier's promise")

    def test_a_case_in_every_state(self):
        counts = dict(self.Case._read_group([], ["state"], ["__count"]))
        for state, label in STATES:
            self.assertTrue(counts.get(state), f"no demo case is {label}")

    def test_a_reship_waits_for_stock(self):
        vase = self.env.ref("lost_parcel_reship.demo_product_vase")
        waiting = self.Case.search([("state", "=", "reshipped"), ("reship_shortage", "ilike", vase.name)])
        self.assertTrue(waiting, "a reship of the vase waits for stock")
        vase_moves = waiting.reship_move_ids.filtered(lambda m: m.product_id == vase)
        self.assertTrue(vase_moves)
        self.assertFalse(vase_moves.filtered(lambda m: m.state in ("assigned", "done", "cancel")))

    def test_a_claim_in_progress(self):
        claims = self.env["lost.parcel.claim"].search([])
        self.assertIn("submitted", claims.mapped("state"))
        # One to three claims (one per carrier of the last claimable cases, which the install
        # date decides), each filed with the carrier's reference.
        submitted = claims.filtered(lambda c: c.state == "submitted")
        self.assertTrue(all(submitted.mapped("carrier_claim_ref")), submitted.mapped("name"))

    def test_carrier_report_shows_different_loss_rates(self):
        cards = self.env["lost.parcel.carrier.scorecard"].search([("carrier_id.tracking_account_id", "!=", False)])
        rates = {card.carrier_id.tracking_account_id.provider: card.loss_rate for card in cards if card.shipped >= 10}
        self.assertGreaterEqual(len(rates), 8)
        self.assertGreater(max(rates.values()), 2 * min(rates.values()))
        # 4PX loses far more parcels to Brazil than to anywhere else.
        report = self.env["lost.parcel.shipment.report"]
        fourpx = self.env.ref("carrier_connectors.demo_carrier_fourpx")
        brazil = self.env.ref("base.br")
        groups = report._read_group(
            [("carrier_id", "=", fourpx.id)], ["country_id"], ["lost_count:sum", "parcel_count:sum"]
        )
        to_brazil = [(lost, sent) for country, lost, sent in groups if country == brazil]
        elsewhere = [(lost, sent) for country, lost, sent in groups if country != brazil]
        rate_brazil = to_brazil[0][0] / to_brazil[0][1]
        rate_elsewhere = sum(lost for lost, _ in elsewhere) / sum(sent for _, sent in elsewhere)
        self.assertGreaterEqual(rate_brazil, 4 * rate_elsewhere)
