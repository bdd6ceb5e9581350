"""Stores: the reship's tracking number goes back to the store the order came from, and buyers'
"not received" claims come in as a detection signal. Real flow (sale order, delivery, case,
reship, validation) and real HTTP to the store sandbox."""

from datetime import timedelta

import requests

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import Form, new_test_user, tagged

from odoo.addons.carrier_connectors.tests.test_marketplace_account import CREDENTIALS

from .reship_common import ReshipCommon

# The customer reference a connector leaves on the order, and the store's own order id in it.
ORDER_REFS = {
    "shopify": ("SHOPIFY-5001", "5001"),
    "amazon": ("112-5001000-5001000", "112-5001000-5001000"),
    "ebay": ("EBAY-12-50010-50010", "12-50010-50010"),
    "walmart": ("WALMART-1085000000001", "1085000000001"),
}


def _lines_showing(store, view, number):
    """{SKU: quantity} of the sandbox order's lines that show ``number`` (Amazon, eBay, Walmart)."""
    shown = {}
    if store == "amazon":
        skus = {item["OrderItemId"]: item["SellerSKU"] for item in view["items"]}
        for package in view["packages"]:
            if package["trackingNumber"] == number:
                for item in package["orderItems"]:
                    shown[skus[item["orderItemId"]]] = item["quantity"]
    elif store == "ebay":
        skus = {line["lineItemId"]: line["sku"] for line in view["lineItems"]}
        for fulfillment in view["fulfillments"]:
            if fulfillment["shipmentTrackingNumber"] == number:
                for line in fulfillment["lineItems"]:
                    shown[skus[line["lineItemId"]]] = line["quantity"]
    else:
        for line in view["order"]["orderLines"]["orderLine"]:
            for status in line["orderLineStatuses"]["orderLineStatus"]:
                if (status.get("trackingInfo") or {}).get("trackingNumber") == number:
                    shown[line["item"]["sku"]] = int(status["statusQuantity"]["amount"])
    return shown


def _packages_showing(store, view, number):
    """How many packages / fulfillments / lines of the sandbox's order show ``number``."""
    if store == "shopify":
        return sum(1 for f in view["fulfillments"] for t in f["trackingInfo"] if t["number"] == number)
    if store == "amazon":
        return sum(1 for p in view["packages"] if p["trackingNumber"] == number)
    if store == "ebay":
        return sum(1 for f in view["fulfillments"] if f["shipmentTrackingNumber"] == number)
    return sum(
        1
        for line in view["order"]["orderLines"]["orderLine"]
        for status in line["orderLineStatuses"]["orderLineStatus"]
        if (status.get("trackingInfo") or {}).get("trackingNumber") == number
    )


@tagged("post_install", "-at_install")
class TestMarketplace(ReshipCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["marketplace.account"].search([]).active = False
        cls.accounts = {
            store: cls.env["marketplace.account"].create(
                {"name": f"{store} shop", "store": store, "base_url": cls.sandbox.url, "rate_limit": 500, **creds}
            )
            for store, creds in CREDENTIALS.items()
        }
        cls.Update = cls.env["lost.parcel.store.update"]
        cls.Claim = cls.env["lost.parcel.buyer.claim"]
        cls.send_cron = cls.env.ref("lost_parcel_reship.ir_cron_send_store_updates")
        cls.responsible = new_test_user(cls.env, "store_case_owner", groups="lost_parcel_reship.group_lost_parcel_user")

    # ------------------------------------------------------------------ helpers
    def _sandbox(self, method, path, **kwargs):
        response = requests.request(method, f"{self.sandbox.url}{path}", timeout=5, **kwargs)
        response.raise_for_status()
        return response.json()

    def _store_order(self, store, order_ref):
        return self._sandbox("GET", "/_sandbox/stores/orders", params={"store": store, "order": order_ref})

    def _store_case(self, store, tracking_ref, customer_ref=None, lines=None, store_lines=None):
        """A lost parcel of an order from ``store``, confirmed lost; the store has the order with
        the lost parcel's number (``store_lines``: its lines' SKUs and quantities)."""
        case = self._lost_case(tracking_ref, **({"lines": lines} if lines else {}))
        customer_ref = customer_ref or ORDER_REFS[store][0]
        case.sale_id.client_order_ref = customer_ref
        case.user_id = self.responsible
        self.assertEqual(case.sales_channel, store)
        order_ref = self.Update._store_order_ref(case)
        self._sandbox(
            "POST",
            "/_sandbox/stores/orders",
            json={"store": store, "order": order_ref, "tracking_number": tracking_ref, "lines": store_lines or 2},
        )
        return case, order_ref

    def _reship_and_validate(self, case, new_number):
        case.action_reship()
        return self._process_chain(case.reship_picking_id, new_number)

    # ------------------------------------------------------------------ write-back
    def test_reship_of_each_store_order_sends_the_new_number_once(self):
        for index, store in enumerate(("shopify", "amazon", "ebay", "walmart")):
            with self.subTest(store=store):
                case, order_ref = self._store_case(store, f"JD0STALLED71{index}1")
                new_number = f"JD0INTRANSIT71{index}1"
                reship = self._reship_and_validate(case, new_number)
                self.assertEqual(reship.state, "done")

                update = case.store_update_ids
                self.assertEqual(len(update), 1)
                self.assertTrue(
                    self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.send_cron.id)]),
                    "the queue runs right after the validation",
                )
                self.assertEqual((update.state, update.account_id), ("pending", self.accounts[store]))
                self.assertEqual((update.order_ref, update.tracking_number), (order_ref, new_number))
                self.assertEqual(
                    _packages_showing(store, self._store_order(store, order_ref), new_number),
                    0,
                    "nothing is sent inside the validation",
                )

                self.Update._cron_send_store_updates()
                self.assertEqual(update.state, "sent", update.last_error)
                self.assertEqual(case.store_update_state, "sent")
                self.assertTrue(update.store_reference)
                shown = _packages_showing(store, self._store_order(store, order_ref), new_number)
                self.assertGreaterEqual(shown, 1)
                self.assertIn(new_number, case.message_ids[0].body)

                # Validating again, re-running the queue or retrying sends nothing new.
                self.env["lost.parcel.store.update"]._queue_for_reships(reship)
                update.action_retry()
                self.Update._cron_send_store_updates()
                self.assertEqual(len(case.store_update_ids), 1)
                self.assertEqual(update.state, "sent")
                self.assertEqual(update.attempts, 1, "an update that was sent is never sent again")
                self.assertEqual(_packages_showing(store, self._store_order(store, order_ref), new_number), shown)
                # Even a lost answer (the update sent again by hand) adds no second package.
                result = update.account_id._push_tracking(update._prepare_tracking_update())
                self.assertTrue(result.ok, result.error)
                self.assertEqual(_packages_showing(store, self._store_order(store, order_ref), new_number), shown)

    def test_store_outage_leaves_the_reship_done_and_the_update_pending_until_the_cron_sends_it(self):
        account = self.accounts["ebay"]
        account.write({"base_url": "http://127.0.0.1:9", **CREDENTIALS["ebay"]})  # nothing listens there
        case, order_ref = self._store_case("ebay", "JD0STALLED7201")
        reship = self._reship_and_validate(case, "JD0INTRANSIT7201")
        self.assertEqual(reship.state, "done", "the warehouse is never blocked by the store")
        update = case.store_update_ids
        self.assertEqual(update.state, "pending")

        self.Update._cron_send_store_updates()
        self.assertEqual(update.state, "pending", "an outage is retried by itself")
        self.assertEqual((update.attempts, update.error_kind), (1, "carrier_down"))
        self.assertIn("cannot connect", update.last_error)
        self.assertGreater(update.next_try, fields.Datetime.now(), "with backoff")
        self.Update._cron_send_store_updates()
        self.assertEqual(update.attempts, 1, "not before its next try")

        account.write({"base_url": self.sandbox.url, **CREDENTIALS["ebay"]})  # the store is back
        update.next_try = fields.Datetime.now() - timedelta(seconds=1)
        self.Update._cron_send_store_updates()
        self.assertEqual(update.state, "sent", update.last_error)
        self.assertFalse(update.last_error)
        self.assertEqual(_packages_showing("ebay", self._store_order("ebay", order_ref), "JD0INTRANSIT7201"), 1)

    def test_rejected_tracking_number_fails_with_the_store_error_on_the_case(self):
        case, _order_ref = self._store_case("walmart", "JD0STALLED7301", customer_ref="WALMART-REJECT-7301")
        self._reship_and_validate(case, "JD0INTRANSIT7301")
        other_case, _ref = self._store_case("shopify", "JD0STALLED7302", customer_ref="SHOPIFY-7302")
        self._reship_and_validate(other_case, "JD0INTRANSIT7302")

        self.Update._cron_send_store_updates()

        update = case.store_update_ids
        self.assertEqual((update.state, update.error_kind), ("failed", "rejected"))
        self.assertIn("Invalid tracking number", update.last_error)
        self.assertEqual(case.store_update_state, "failed")
        self.assertIn("Invalid tracking number", case.message_ids[0].body)
        activity = case.activity_ids.filtered(lambda a: "refused" in (a.summary or ""))
        self.assertEqual(activity.user_id, self.responsible)
        self.assertEqual(other_case.store_update_ids.state, "sent", "one failing update never stops the others")

        # Retry puts it back in the queue; the store still refuses it.
        update.with_user(self.env.ref("base.user_admin")).action_retry()
        self.assertEqual(update.state, "pending")
        self.Update._cron_send_store_updates()
        self.assertEqual(update.state, "failed")

    def test_warehouse_user_validates_a_reship_and_reads_its_write_back(self):
        case, order_ref = self._store_case("amazon", "JD0STALLED7801")
        case.action_reship()
        user = self.responsible
        picking = case.reship_picking_id.with_user(user)
        self._process_chain(picking, "JD0INTRANSIT7801")
        update = case.with_user(user).store_update_ids
        self.assertEqual(update.state, "pending", "queued for a user who cannot read store credentials")
        with self.assertRaises(AccessError):
            update.write({"tracking_number": "OTHER"})
        with self.assertRaises(AccessError):
            self.env["lost.parcel.store.update"].with_user(user).create(
                {"case_id": case.id, "account_id": self.accounts["amazon"].id, "order_ref": "x", "tracking_number": "y"}
            )
        self.Update._cron_send_store_updates()
        self.assertEqual(update.state, "sent", update.last_error)
        package = next(
            p for p in self._store_order("amazon", order_ref)["packages"] if p["trackingNumber"] == "JD0INTRANSIT7801"
        )
        self.assertEqual(package["packageReferenceId"], update.store_reference)
        self.assertEqual(
            update.store_reference, str(900000000 + case.reship_picking_id.id), "one stable reference per delivery"
        )

    def test_no_account_or_inactive_account_queues_nothing(self):
        self.accounts["amazon"].active = False
        case, _order_ref = self._store_case("amazon", "JD0STALLED7401")
        self._reship_and_validate(case, "JD0INTRANSIT7401")
        self.assertFalse(case.store_update_ids)
        plain = self._lost_case("JD0STALLED7402")
        self._reship_and_validate(plain, "JD0INTRANSIT7402")
        self.assertFalse(plain.store_update_ids, "an order that came from no store")

    # ------------------------------------------------------------------ buyer claims
    def test_shopify_dispute_and_ebay_inquiry_feed_the_case_of_the_right_parcel(self):
        shopify_case, shopify_ref = self._store_case("shopify", "JD0STALLED7501")
        # Another Shopify order's parcel, on its way: the dispute is not about it.
        other_order, other_picking = self._ship_order("JD0INTRANSIT7509")
        other_order.client_order_ref = "SHOPIFY-7509"
        due = (fields.Datetime.now() + timedelta(days=6)).replace(microsecond=0)
        self._sandbox(
            "POST",
            "/_sandbox/stores/claims",
            json={
                "store": "shopify",
                "claims": [
                    {"id": 7501, "order_id": int(shopify_ref), "evidence_due_by": due.isoformat() + "Z"},
                    {"id": 7502, "order_id": 7509, "reason": "fraudulent"},  # not about a parcel
                ],
            },
        )
        # The sandbox gives every eBay order the same line ids (eBay's are unique): other eBay
        # parcels on their way (demo data) would make the inquiry's line ambiguous.
        self.env["stock.picking"].search(
            [("sale_id.lost_parcel_sales_channel", "=", "ebay"), ("state", "=", "done")]
        ).tracking_status = "delivered"
        ebay_order, ebay_picking = self._shipped_and_polled("JD0INTRANSIT7503")
        ebay_order.client_order_ref = "EBAY-12-75030-75030"
        self._sandbox("POST", "/_sandbox/stores/orders", json={"store": "ebay", "order": "12-75030-75030"})
        self._sandbox(
            "POST",
            "/_sandbox/stores/claims",
            json={
                "store": "ebay",
                "claims": [
                    {
                        "type": "inquiry",
                        "inquiryId": "5307503",
                        "lineItems": [{"orderLineItem": {"orderLineItemId": "10000000001"}, "quantity": 1}],
                    }
                ],
            },
        )

        self.Claim._cron_pull_buyer_claims()

        claim = shopify_case.buyer_claim_ids
        self.assertEqual(claim.claim_ref, "7501")
        self.assertEqual((claim.picking_id, claim.state), (shopify_case.picking_id, "open"))
        self.assertEqual(shopify_case.buyer_claim_deadline, due)
        self.assertIn("Answer by", shopify_case.message_ids[0].body)
        self.assertFalse(self.Claim.search([("claim_ref", "=", "7502")]), "only product_not_received disputes")
        self.assertFalse(other_picking.lost_parcel_buyer_claim_ids)

        inquiry = self.Claim.search([("claim_ref", "=", "5307503")])
        self.assertEqual((inquiry.order_ref, inquiry.picking_id), ("12-75030-75030", ebay_picking))
        self.assertFalse(inquiry.case_id, "a parcel in transit has no case yet")
        self.assertTrue(inquiry.respond_by, "eBay's three days to answer an inquiry")

        # Pulled again: the same claims, not twice.
        self.Claim._cron_pull_buyer_claims()
        self.assertEqual(self.Claim.search_count([("claim_ref", "in", ("7501", "5307503"))]), 2)

        # The claim is the strongest inquiry: detection opens a case for the parcel.
        cases = self._detect()
        case = cases.filtered(lambda c: c.picking_id == ebay_picking)
        self.assertEqual(len(case), 1)
        self.assertIn("buyer_claim", case.reason_ids.mapped("signal"))
        self.assertEqual(inquiry.case_id, case)
        self.assertEqual(case.buyer_claim_deadline, inquiry.respond_by)
        reason = case.reason_ids.filtered(lambda r: r.signal == "buyer_claim")
        self.assertIn("5307503", reason.evidence)
        self.assertIn("eBay", reason.evidence)

    def test_amazon_claim_recorded_by_hand_on_the_case(self):
        case, _ref = self._store_case("amazon", "JD0STALLED7601")
        action = case.action_record_buyer_claim()
        form = Form(self.env[action["res_model"]].with_context(**action["context"]), view=action["views"][0][0])
        self.assertEqual(form.store, "amazon")
        form.respond_by = fields.Datetime.now() + timedelta(days=2)
        form.reason = "A-to-z: item not received"
        claim = form.save()
        self.assertTrue(claim.manual)
        self.assertEqual(claim.case_id, case)
        self.assertEqual(case.buyer_claim_deadline, claim.respond_by)
        self.assertIn("A-to-z", case.message_ids[0].body)

    # ------------------------------------------------------------------ companies
    def test_nothing_crosses_companies(self):
        other = self.env["res.company"].create({"name": "Other Store Co", "country_id": self.env.ref("base.us").id})
        self.accounts["shopify"].active = False
        foreign = self.env["marketplace.account"].create(
            {
                "name": "Other company's Shopify",
                "store": "shopify",
                "company_id": other.id,
                "base_url": self.sandbox.url,
                **CREDENTIALS["shopify"],
            }
        )
        case, shopify_ref = self._store_case("shopify", "JD0STALLED7701")
        self._reship_and_validate(case, "JD0INTRANSIT7701")
        self.assertFalse(case.store_update_ids, "another company's account never writes back our reship")

        self._sandbox(
            "POST",
            "/_sandbox/stores/claims",
            json={"store": "shopify", "claims": [{"id": 7701, "order_id": int(shopify_ref)}]},
        )
        self.Claim._cron_pull_buyer_claims()
        claim = self.Claim.search([("claim_ref", "=", "7701")])
        self.assertEqual((claim.company_id, claim.account_id), (other, foreign))
        self.assertFalse(claim.picking_id, "another company's claim is not matched to our parcel")
        self.assertFalse(case.buyer_claim_ids)

        # Our active account: the update is ours; the other company's users see none of it.
        self.accounts["shopify"].active = True
        self.env["lost.parcel.store.update"]._queue_for_reships(case.reship_picking_id)
        self.assertEqual(case.store_update_ids.account_id, self.accounts["shopify"])
        outsider = new_test_user(
            self.env,
            "store_outsider",
            groups="lost_parcel_reship.group_lost_parcel_manager",
            company_id=other.id,
            company_ids=[other.id],
        )
        self.assertFalse(self.Update.with_user(outsider).search([]))
        self.assertEqual(self.Claim.with_user(outsider).search([]), claim)
        manager = new_test_user(
            self.env,
            "store_insider",
            groups="lost_parcel_reship.group_lost_parcel_manager",
            company_id=self.company.id,
            company_ids=[self.company.id],
        )
        self.assertEqual(self.Update.with_user(manager).search([]), case.store_update_ids)
        self.assertFalse(self.Claim.with_user(manager).search([("claim_ref", "=", "7701")]))

    # ------------------------------------------------------------------ lines of a reship
    def _name_products(self):
        """The seller's SKUs, as the store knows them, on the products' Internal Reference."""
        self.product.default_code = "TEAPOT-T"
        self.product_b.default_code = "CUPS-T"
        return [{"sku": "TEAPOT-T", "quantity": 2}, {"sku": "CUPS-T", "quantity": 1}]

    def test_partial_reship_shows_the_new_number_on_the_reshipped_line_only(self):
        """Two lines lost in one parcel, only the teapots reshipped: the store shows the new
        number on the teapot line, with its quantity, and not on the cups."""
        store_lines = self._name_products()
        for index, store in enumerate(("amazon", "ebay", "walmart")):
            with self.subTest(store=store):
                customer_ref = {"amazon": "AMAZON-PART-%s", "ebay": "EBAY-PART-%s", "walmart": "WALMART-PART-%s"}
                case, order_ref = self._store_case(
                    store,
                    f"JD0STALLED79{index}1",
                    customer_ref=customer_ref[store] % index,
                    lines=[(self.product, 2), (self.product_b, 1)],
                    store_lines=store_lines,
                )
                teapots = case.picking_id.move_ids.filtered(lambda m, case=case: m.product_id == self.product)
                case._action_reship_quantities({teapots.id: 2})
                new_number = f"JD0INTRANSIT79{index}1"
                self._process_chain(case.reship_picking_id, new_number)

                self.Update._cron_send_store_updates()

                update = case.store_update_ids
                self.assertEqual(update.state, "sent", update.last_error)
                view = self._store_order(store, order_ref)
                self.assertEqual(_lines_showing(store, view, new_number), {"TEAPOT-T": 2})
                self.assertEqual(_lines_showing(store, view, f"JD0STALLED79{index}1").get("CUPS-T"), 1)
                self.assertIn(": 2", update.store_lines)

    def test_reship_product_missing_on_the_store_waits_for_a_person(self):
        """A partial reship whose product the store order does not list is not written on every
        line: it fails with what to fix."""
        self._name_products()
        case, _order_ref = self._store_case(
            "amazon",
            "JD0STALLED7951",
            customer_ref="AMAZON-PART-NOSKU",
            lines=[(self.product, 2), (self.product_b, 1)],
            store_lines=[{"sku": "SOMETHING-ELSE", "quantity": 2}, {"sku": "CUPS-T", "quantity": 1}],
        )
        teapots = case.picking_id.move_ids.filtered(lambda m: m.product_id == self.product)
        case._action_reship_quantities({teapots.id: 2})
        self._process_chain(case.reship_picking_id, "JD0INTRANSIT7951")
        self.Update._cron_send_store_updates()
        update = case.store_update_ids
        self.assertEqual((update.state, update.error_kind), ("failed", "invalid"), update.last_error)
        self.assertIn("Ceramic Teapot", update.last_error)
        self.assertEqual(_packages_showing("amazon", self._store_order("amazon", "PART-NOSKU"), "JD0INTRANSIT7951"), 0)

    def test_reship_split_into_a_backorder_sends_each_number_once(self):
        """The reship leaves in two deliveries (a backorder): each number reaches the store once,
        with the quantity it carries; re-running the queue sends nothing more."""
        self.product.default_code = "TEAPOT-T"
        for index, store in enumerate(("shopify", "amazon", "ebay", "walmart")):
            with self.subTest(store=store):
                customer_ref = {
                    "shopify": "SHOPIFY-78%s0",
                    "amazon": "AMAZON-SPLIT-%s",
                    "ebay": "EBAY-SPLIT-%s",
                    "walmart": "WALMART-SPLIT-%s",
                }[store] % index
                case, order_ref = self._store_case(
                    store,
                    f"JD0STALLED78{index}5",
                    customer_ref=customer_ref,
                    lines=[(self.product, 2)],
                    store_lines=[{"sku": "TEAPOT-T", "quantity": 2}],
                )
                case.action_reship()
                first, second = f"JD0INTRANSIT78{index}5", f"JD0INTRANSIT78{index}6"
                reship = case.reship_picking_id
                reship.carrier_tracking_ref = first
                reship.move_ids.quantity = 1
                reship.move_ids.picked = True
                reship.with_context(skip_backorder=True, picking_ids_not_to_backorder=[]).button_validate()
                backorder = reship.backorder_ids
                self.assertEqual((reship.state, len(backorder)), ("done", 1))
                self.Update._cron_send_store_updates()
                self._validate(backorder, second)
                self.Update._cron_send_store_updates()
                self.Update._cron_send_store_updates()

                updates = case.store_update_ids.sorted("id")
                self.assertEqual(updates.mapped("tracking_number"), [first, second])
                self.assertEqual(updates.mapped("state"), ["sent", "sent"], updates.mapped("last_error"))
                self.assertEqual(updates.mapped("attempts"), [1, 1])
                view = self._store_order(store, order_ref)
                self.assertEqual(_packages_showing(store, view, first), 1)
                self.assertEqual(_packages_showing(store, view, second), 1)
                if store in ("shopify", "walmart"):  # they replace the lost number; Amazon and eBay add
                    self.assertEqual(_packages_showing(store, view, f"JD0STALLED78{index}5"), 0)
                if store != "shopify":
                    self.assertEqual(_lines_showing(store, view, first), {"TEAPOT-T": 1})
                    self.assertEqual(_lines_showing(store, view, second), {"TEAPOT-T": 1})

    def test_rejected_tracking_number_on_amazon_and_ebay(self):
        for index, (store, customer_ref) in enumerate((("amazon", "AMAZON-REJECT-7321"), ("ebay", "EBAY-REJECT-7322"))):
            with self.subTest(store=store):
                case, _order_ref = self._store_case(store, f"JD0STALLED732{index}", customer_ref=customer_ref)
                self._reship_and_validate(case, f"JD0INTRANSIT732{index}")
                self.Update._cron_send_store_updates()
                update = case.store_update_ids
                self.assertEqual((update.state, update.error_kind), ("failed", "rejected"))
                self.assertIn("tracking number", update.last_error.lower())
                self.assertIn(update.last_error, case.message_ids[0].body)
                self.assertEqual(case.store_update_state, "failed")

    # ------------------------------------------------------------------ buyer claims, more
    def test_walmart_claim_recorded_by_hand_on_the_case(self):
        case, _ref = self._store_case("walmart", "JD0STALLED7611")
        action = case.action_record_buyer_claim()
        form = Form(self.env[action["res_model"]].with_context(**action["context"]), view=action["views"][0][0])
        self.assertEqual(form.store, "walmart")
        due = (fields.Datetime.now() + timedelta(days=3)).replace(microsecond=0)
        form.respond_by = due
        form.reason = "Customer contact: item not received"
        claim = form.save()
        self.assertTrue(claim.manual)
        self.assertFalse(claim.respond_by_estimated)
        self.assertEqual((claim.case_id, claim.picking_id), (case, case.picking_id))
        self.assertEqual(case.buyer_claim_deadline, due)
        self.assertIn("Customer contact", case.message_ids[0].body)
        # A claim typed by hand is never touched by the pull.
        self.Claim._cron_pull_buyer_claims()
        self.assertEqual(claim.state, "open")

    def _ebay_inquiry(self, inquiry_id, created, **values):
        return {
            "type": "inquiry",
            "inquiryId": inquiry_id,
            "createdAt": created.isoformat() + "Z",
            "lineItems": [{"orderLineItem": {"orderLineItemId": "10000000001"}, "quantity": 1}],
            **values,
        }

    def test_ebay_inquiry_deadline_is_estimated_and_old_open_claims_are_followed(self):
        """An eBay inquiry's deadline is marked estimated; an inquiry opened before the pull's
        window is still matched once its order reaches Odoo, and closed once eBay closes it."""
        self.env["stock.picking"].search(
            [("sale_id.lost_parcel_sales_channel", "=", "ebay"), ("state", "=", "done")]
        ).tracking_status = "delivered"
        now = fields.Datetime.now().replace(microsecond=0)
        old = now - timedelta(days=10)
        self._sandbox(
            "POST", "/_sandbox/stores/claims", json={"store": "ebay", "claims": [self._ebay_inquiry("7901", old)]}
        )
        self.Claim._cron_pull_buyer_claims()
        claim = self.Claim.search([("claim_ref", "=", "7901")])
        self.assertFalse(claim.picking_id, "no eBay order on its way yet")
        self.assertEqual((claim.respond_by, claim.respond_by_estimated), (old + timedelta(days=3), True))
        # A newer inquiry moves the pull's window past the old one.
        other_line = [{"orderLineItem": {"orderLineItemId": "99999999999"}, "quantity": 1}]
        self._sandbox(
            "POST",
            "/_sandbox/stores/claims",
            json={"store": "ebay", "claims": [self._ebay_inquiry("7902", now, lineItems=other_line)]},
        )
        self.Claim._cron_pull_buyer_claims()

        # The order reaches Odoo (a connector imports it late): the old claim finds its parcel.
        order, picking = self._shipped_and_polled("JD0INTRANSIT7901")
        order.client_order_ref = "EBAY-12-79010-79010"
        self._sandbox("POST", "/_sandbox/stores/orders", json={"store": "ebay", "order": "12-79010-79010"})
        self.Claim._cron_pull_buyer_claims()
        self.assertEqual((claim.order_ref, claim.picking_id), ("12-79010-79010", picking))
        case = self._detect().filtered(lambda c: c.picking_id == picking)
        self.assertEqual(case.buyer_claim_deadline, claim.respond_by)
        self.assertTrue(case.buyer_claim_deadline_estimated)
        self.assertIn("estimated", claim._describe())

        # eBay closes it: the next pull closes it here too, and the deadline leaves the case.
        closed = self._ebay_inquiry(
            "7901",
            old,
            preset="CLOSED",
            status={"code": "CLOSED", "displayText": "Closed"},
            closedAt=now.isoformat() + "Z",
        )
        self._sandbox("POST", "/_sandbox/stores/claims", json={"store": "ebay", "claims": [closed]})
        self.Claim._cron_pull_buyer_claims()
        self.assertEqual((claim.state, claim.store_status), ("closed", "CLOSED"))
        self.assertFalse(case.buyer_claim_deadline)
        self.assertEqual(self.Claim.search_count([("claim_ref", "=", "7901")]), 1)

    def test_shopify_dispute_deadline_is_the_stores_own(self):
        case, _ref = self._store_case("shopify", "JD0STALLED7921", customer_ref="SHOPIFY-7921")
        self._sandbox(
            "POST", "/_sandbox/stores/claims", json={"store": "shopify", "claims": [{"id": 7921, "order_id": 7921}]}
        )
        self.Claim._cron_pull_buyer_claims()
        self.assertTrue(case.buyer_claim_deadline)
        self.assertFalse(case.buyer_claim_deadline_estimated)
        self.assertNotIn("estimated", case.message_ids[0].body)

    def test_reshipped_kit_is_written_on_the_kit_line(self):
        """A kit leaves as its components: the store shows the new number on the kit's line."""
        kit = self._create_kit()
        kit.default_code = "KIT-T"
        self.product.default_code = "TEAPOT-T"
        case, order_ref = self._store_case(
            "amazon",
            "JD0STALLED7961",
            customer_ref="AMAZON-KIT-7961",
            lines=[(kit, 1), (self.product, 1)],
            store_lines=[{"sku": "KIT-T", "quantity": 1}, {"sku": "TEAPOT-T", "quantity": 1}],
        )
        kit_line = case.sale_id.order_line.filtered(lambda line: line.product_id == kit)
        components = case.picking_id.move_ids.filtered(lambda m: m.sale_line_id == kit_line)
        self.assertEqual(len(components), 2)
        case._action_reship_quantities({move.id: move.quantity for move in components})
        self._process_chain(case.reship_picking_id, "JD0INTRANSIT7961")
        self.Update._cron_send_store_updates()
        self.assertEqual(case.store_update_ids.state, "sent", case.store_update_ids.last_error)
        view = self._store_order("amazon", order_ref)
        self.assertEqual(_lines_showing("amazon", view, "JD0INTRANSIT7961"), {"KIT-T": 1})
