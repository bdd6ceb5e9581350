from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import format_date

from .claim_common import ClaimCommon, make_pdf


@tagged("post_install", "-at_install")
class TestClaimWindows(ClaimCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        creds = {"client_id": "sandbox-client", "client_secret": "sandbox-secret"}
        usps_account = cls._create_account("usps", "USPS test", **creds)
        cls.usps = cls._create_carrier("USPS Ground Advantage (test)", usps_account)
        cls.usps_express = cls._create_carrier("USPS Priority Mail Express (test)", usps_account)
        cls.ups_ground = cls._create_carrier("UPS Ground (test)", cls._create_account("ups", "UPS test", **creds))
        cls.fedex = cls._create_carrier("FedEx Ground (test)", cls._create_account("fedex", "FedEx test", **creds))

    def _parcel(self, ref, carrier, partner=None, eta_days=None):
        _order, picking = self._ship_order(ref, carrier=carrier, partner=partner or self.customer_us)
        shipped = self._shipped_on(picking, 10)
        if eta_days is not None:
            # What polling writes from the carrier's answer.
            picking.tracking_eta = datetime.combine(shipped, datetime.min.time()) + timedelta(days=eta_days, hours=17)
        return picking, shipped

    def test_deadlines_follow_each_carriers_published_window(self):
        expectations = []
        picking, shipped = self._parcel("9400USPS0001", self.usps)
        expectations.append(("USPS", picking, shipped + timedelta(days=15), shipped + timedelta(days=60), False))
        picking, shipped = self._parcel("9400USPS0002", self.usps_express)
        expectations.append(
            ("USPS Priority Mail Express", picking, shipped + timedelta(days=7), shipped + timedelta(days=60), False)
        )
        picking, shipped = self._parcel("1ZUPS0000003", self.ups_ground, eta_days=4)
        promised = shipped + timedelta(days=4)
        expectations.append(("UPS", picking, promised, promised + relativedelta(months=9), False))
        picking, shipped = self._parcel("FX0000000004", self.fedex)
        expectations.append(("FedEx", picking, shipped, shipped + relativedelta(months=9), False))
        picking, shipped = self._parcel("FX0000000005", self.fedex, partner=self.customer_nl, eta_days=6)
        expectations.append(
            (
                "FedEx International",
                picking,
                shipped,
                shipped + relativedelta(months=9),
                shipped + timedelta(days=6 + 21),
            )
        )
        picking, shipped = self._parcel("JD0000000006", self.carrier, partner=self.customer_nl)
        expectations.append(("DHL Express", picking, shipped, shipped + timedelta(days=30), False))

        for name, picking, earliest, deadline, notice in expectations:
            window = self.Window._find_window(picking)
            self.assertEqual(window.name, name, picking.carrier_id.name)
            dates = window._claim_dates(picking)
            self.assertEqual(
                (dates["earliest"], dates["deadline"], dates["notice"]), (earliest, deadline, notice), name
            )

    def test_without_a_promised_date_the_declared_transit_days_count(self):
        self.ups_ground.transit_days = 3
        picking, shipped = self._parcel("1ZUPS0000010", self.ups_ground)
        dates = self.Window._find_window(picking)._claim_dates(picking)
        self.assertEqual(dates["promised"], shipped + timedelta(days=3))
        self.assertEqual(dates["deadline"], shipped + timedelta(days=3) + relativedelta(months=9))
        self.ups_ground.transit_days = 0
        self.assertEqual(
            self.Window._find_window(picking)._claim_dates(picking)["deadline"], shipped + relativedelta(months=9)
        )

    def test_a_companys_own_window_wins_and_managers_edit_the_defaults(self):
        picking, shipped = self._parcel("JD0000000020", self.carrier, partner=self.customer_nl)
        own = self.Window.create(
            {
                "name": "Our DHL contract",
                "company_id": self.company.id,
                "carrier_ids": [fields.Command.set(self.carrier.ids)],
                "deadline_number": 45,
            }
        )
        self.assertEqual(self.Window._find_window(picking), own)
        self.assertEqual(own._claim_dates(picking)["deadline"], shipped + timedelta(days=45))
        own.active = False
        self.dhl_window.deadline_number = 35
        self.assertEqual(self.Window._find_window(picking), self.dhl_window)
        self.assertEqual(self.dhl_window._claim_dates(picking)["deadline"], shipped + timedelta(days=35))
        with self.assertRaises(ValidationError):
            self.dhl_window.deadline_number = 0

    def _usps_claim(self, tracking_ref, shipped_days_ago):
        """A USPS parcel lost through the real flow, shipped that many days ago, and its claim."""
        case = self._lost_case(tracking_ref, carrier=self.usps, partner=self.customer_us)
        shipped = self._shipped_on(case.picking_id, shipped_days_ago)
        claim = self._claim_for(case)
        self.assertEqual(claim.window_id, self.env.ref("lost_parcel_reship.claim_window_usps"))
        return claim, shipped

    def test_usps_claim_before_its_earliest_filing_date_is_refused(self):
        claim, shipped = self._usps_claim("9400STALLED7401", 3)
        claim.document_line_ids.note = "Ready on usps.com"
        earliest = shipped + timedelta(days=15)
        self.assertEqual(claim.earliest_filing_date, earliest, "USPS takes claims 15 days after mailing")

        self.assertFalse(claim.can_be_submitted)
        message = f"Claim {claim.name}: USPS takes claims from {format_date(self.env, earliest)} on."
        with self.assertRaises(UserError) as refused:
            claim.action_submit()
        self.assertEqual(refused.exception.args[0], message)
        self.assertEqual(claim.state, "draft")
        self.assertFalse(claim.submitted_date)
        # From that day on, nothing else holds it back.
        self.assertFalse(claim._transition_blockers(today=earliest)["submit"])

    def test_claim_form_shows_the_carriers_guide(self):
        claim, _shipped = self._usps_claim("9400STALLED7402", 20)

        form = Form(claim)
        self.assertEqual(form.guide_id, self.env.ref("lost_parcel_reship.claim_guide_usps"))
        self.assertEqual(form.guide_url, "https://www.usps.com/help/claims.htm")
        self.assertIn("Wait until the filing period opens: 15 days after mailing", form.guide_steps)
        self.assertIn("start a domestic claim with the tracking number", form.guide_steps)


@tagged("post_install", "-at_install")
class TestClaimFlow(ClaimCommon):
    def test_create_claim_for_many_cases_one_claim_per_carrier(self):
        postnl_window = self.Window.create(
            {
                "name": "PostNL",
                "company_id": self.company.id,
                "carrier_ids": [fields.Command.set(self.postnl.ids)],
                "deadline_number": 3,
                "deadline_unit": "months",
            }
        )
        case_a = self._lost_case("JD0STALLED7001")
        case_b = self._lost_case("JD0STALLED7002", lines=[(self.product_b, 2)])
        case_c = self._lost_case("JD0STALLED7003", carrier=self.postnl)
        _order, picking = self._shipped_and_polled("JD0STALLED7004")
        under_review = self._detect().filtered(lambda c: c.picking_id == picking)
        cases = case_a | case_b | case_c | under_review
        self.assertEqual((case_a | case_b | case_c).mapped("can_be_claimed"), [True] * 3)
        self.assertFalse(under_review.can_be_claimed)

        action = cases.action_create_claim()
        self.assertEqual(action["params"]["type"], "warning")
        self.assertIn("only a parcel confirmed lost is claimed", action["params"]["message"])
        claims = self.Claim.search([("case_ids", "in", cases.ids)])
        self.assertEqual(len(claims), 2)
        dhl_claim = claims.filtered(lambda c: c.carrier_id == self.carrier)
        self.assertEqual(dhl_claim.case_ids, case_a | case_b)
        self.assertEqual(dhl_claim.window_id, self.dhl_window)
        self.assertEqual(dhl_claim.amount_requested, 40.0 + 2 * 25.0)
        self.assertEqual(dhl_claim.state, "draft")
        self.assertTrue(dhl_claim.name.startswith("CLM/"))
        self.assertEqual(claims.filtered(lambda c: c.carrier_id == self.postnl).window_id, postnl_window)
        self.assertEqual(case_a.claim_ids, dhl_claim)
        self.assertEqual(case_a.claim_count, 1)
        self.assertFalse(case_a.can_be_claimed)
        with self.assertRaisesRegex(UserError, "already claimed in " + dhl_claim.name):
            case_a.action_create_claim()
        self.assertIn(dhl_claim.name, case_a.message_ids[0].body)

        # Shipped 40 days ago: DHL Express's 30 days are over, the claim shows as overdue.
        shipped = case_a.picking_id.date_done.date()
        self.assertEqual(dhl_claim.deadline_date, shipped + timedelta(days=30))
        self.assertTrue(dhl_claim.is_overdue)
        self.assertEqual(self.Claim.search([("is_overdue", "=", True), ("id", "in", claims.ids)]), dhl_claim)
        listed = self.Claim.get_views([(False, "list")])["views"]["list"]["arch"]
        self.assertIn("deadline_date &lt; current_date", listed)

    def test_no_window_no_claim_and_the_case_says_why(self):
        case = self._lost_case("JD0STALLED7051", carrier=self.postnl)
        with self.assertRaisesRegex(UserError, "no claim window applies to PostNL"):
            case.action_create_claim()
        self.assertFalse(case.claim_ids)

    def test_documents_checklist_is_ticked_from_attachments(self):
        case = self._lost_case("JD0STALLED7101")
        claim = self._claim_for(case)
        # DHL Express wants a commercial invoice, a proof of value and the tracking record; the
        # tracking record is what polling stored. Packaging photos are for damage only.
        self.assertEqual(
            self._checklist(claim), {"commercial_invoice": False, "proof_of_value": False, "tracking_record": True}
        )
        self.assertFalse(claim.can_be_submitted)
        with self.assertRaisesRegex(UserError, "documents missing: Commercial invoice, Proof of value"):
            claim.action_submit()

        self._attachment("receipt-7101.pdf", make_pdf("Receipt 7101"), "application/pdf", claim)
        claim.action_refresh_documents()
        self.assertEqual(
            self._checklist(claim), {"commercial_invoice": False, "proof_of_value": True, "tracking_record": True}
        )
        line = claim.document_line_ids.filtered(lambda ln: ln.document_id == self.commercial_invoice)
        line.attachment_ids = self._attachment("CI 7101.pdf", make_pdf("Commercial invoice"), "application/pdf")
        self.assertTrue(claim.documents_complete)

        claim.claim_type = "damage"
        self.assertIn("packaging_photos", self._checklist(claim))
        self.assertEqual(claim.missing_documents, "Packaging photos")
        claim.claim_type = "loss"
        self.assertTrue(claim.documents_complete, "photos are optional again for a loss")

        self.assertTrue(claim.can_be_submitted)
        claim.action_submit()
        self.assertEqual(claim.state, "submitted")
        self.assertEqual(claim.submitted_date, fields.Date.context_today(claim))

    def test_posted_invoice_pdf_is_copied_to_the_claim_as_proof_of_value(self):
        case = self._lost_case("JD0STALLED7151")
        invoice = case.sale_id._create_invoices()
        invoice.action_post()
        # Where Odoo keeps an invoice's PDF once printed or sent.
        self.env["ir.attachment"].create(
            {
                "name": f"{invoice.name}.pdf",
                "raw": make_pdf(f"Invoice {invoice.name}"),
                "mimetype": "application/pdf",
                "res_model": "account.move",
                "res_id": invoice.id,
                "res_field": "invoice_pdf_report_file",
            }
        )
        invoice.invalidate_recordset(["invoice_pdf_report_id"])
        self.assertTrue(invoice.invoice_pdf_report_id)
        claim = self._claim_for(case)
        line = claim.document_line_ids.filtered(lambda ln: ln.document_id == self.proof_of_value)
        self.assertTrue(line.is_provided)
        copy = line.attachment_ids
        self.assertEqual((copy.res_model, copy.res_id), (claim._name, claim.id))
        self.assertEqual(copy.checksum, invoice.invoice_pdf_report_id.checksum)
        # A warehouse user without invoicing rights reads it on the claim.
        self.assertTrue(copy.with_user(self.responsible).datas)
        claim.action_refresh_documents()
        self.assertEqual(line.attachment_ids, copy, "copied once")

    def test_decision_and_payment_flow_into_the_cases(self):
        case_a = self._lost_case("JD0STALLED7201")
        case_b = self._lost_case("JD0STALLED7202", lines=[(self.product_b, 2)])
        case_a.action_reship()
        claim = self._claim_for(case_a | case_b)
        claim.document_line_ids.note = "Sent by post on the DHL claim form"
        claim.action_submit()

        action = claim.action_record_decision()
        wizard = Form(self.env[action["res_model"]].with_context(**action["context"]))
        wizard.decision = "partially_accepted"
        wizard.amount = 45.0
        wizard.save().action_apply()
        self.assertEqual(claim.state, "partially_accepted")
        self.assertEqual(claim.amount_approved, 45.0)
        self.assertEqual(claim.line_ids.sorted("id").mapped("amount_approved"), [20.0, 25.0])
        self.assertFalse(case_a.recovered_amount, "approved is not recovered")

        action = claim.action_record_payment()
        wizard = Form(self.env[action["res_model"]].with_context(**action["context"]))
        self.assertEqual(wizard.amount, 45.0)
        wizard.save().action_apply()
        self.assertEqual(claim.state, "paid")
        self.assertEqual(claim.payment_date, fields.Date.context_today(claim))
        self.assertEqual((case_a.recovered_amount, case_b.recovered_amount), (20.0, 25.0))
        self.assertEqual(case_a.total_cost, 12.0 + 6.0)
        self.assertEqual(case_a.net_loss, 18.0 - 20.0)
        [(recovered, net)] = self.Case._read_group(
            [("id", "in", (case_a | case_b).ids)], [], ["recovered_amount:sum", "net_loss:sum"]
        )
        self.assertEqual(
            (recovered, net), (45.0, 18.0 - 45.0), "only case A was reshipped: its cost, minus both shares"
        )
        self.assertIn("recovered by claim", case_b.message_ids[0].body)
        # The carrier report reads what was recovered.
        stats = self.env["lost.parcel.shipment.report"]._lane_statistics(False, group_by=("carrier_id",), gaps=False)
        self.assertEqual(stats[(self.carrier.id,)]["money_recovered"], 45.0)
        with self.assertRaises(UserError):
            claim.unlink()

    def test_rejection_keeps_its_reason_for_the_carrier_report(self):
        case = self._lost_case("JD0STALLED7301")
        claim = self._claim_for(case)
        claim.document_line_ids.note = "On DHL's portal"
        claim.action_submit()
        scorecard = self.env["lost.parcel.carrier.scorecard"]
        self.assertEqual(
            scorecard.search([("carrier_id", "=", self.carrier.id), ("company_id", "=", self.company.id)]).mapped(
                "claims_rejected"
            ),
            [0],
            "a filed claim is not rejected",
        )
        with self.assertRaisesRegex(UserError, "Say why"):
            claim._record_decision("rejected")
        claim._record_decision("rejected", reason="Scanned as delivered to a parcel locker")
        self.assertEqual(claim.state, "rejected")
        self.assertEqual(claim.rejection_reason, "Scanned as delivered to a parcel locker")
        rows = self.Claim._read_group([("state", "=", "rejected"), ("id", "=", claim.id)], ["carrier_id"], ["__count"])
        self.assertEqual(rows, [(self.carrier, 1)])
        # The carrier scorecard counts it, and opens it with its reason (a new request: read again).
        self.env["lost.parcel.carrier.scorecard"].invalidate_model()
        card = self.env["lost.parcel.carrier.scorecard"].search(
            [("carrier_id", "=", self.carrier.id), ("company_id", "=", self.company.id)]
        )
        self.assertEqual(card.claims_rejected, 1)
        rejected = self.Claim.search(card.action_open_rejected_claims()["domain"])
        self.assertEqual(rejected, claim)
        self.assertEqual(rejected.rejection_reason, "Scanned as delivered to a parcel locker")
        self.assertFalse(case.recovered_amount)
        self.assertTrue(case.can_be_claimed, "a rejected claim frees the case for an appeal or an insurer")

    def test_cancelled_claim_goes_back_to_draft_and_frees_its_case(self):
        case = self._lost_case("JD0STALLED7351")
        claim = self._claim_for(case)
        claim.action_cancel()
        self.assertEqual(claim.state, "cancelled")
        self.assertTrue(case.can_be_claimed)
        claim.action_reset_to_draft()
        self.assertEqual(claim.state, "draft")
        self.assertFalse(case.can_be_claimed)

    def test_amount_claimed_is_capped_by_the_carriers_liability_or_declared_value(self):
        account = self._create_account("usps", "USPS test", client_id="sandbox-client", client_secret="sandbox-secret")
        usps = self._create_carrier("USPS Priority Mail (test)", account)
        case = self._lost_case("9400STALLED7401", carrier=usps, partner=self.customer_us, lines=[(self.product, 3)])
        claim = self._claim_for(case)
        self.assertEqual(claim.window_id.name, "USPS")
        line = claim.line_ids
        self.assertEqual((line.base_amount, line.cap_amount, line.cap_reason), (120.0, 100.0, "liability"))
        self.assertEqual(claim.amount_requested, 100.0)
        line.amount_requested = 90.0
        self.assertEqual(claim.amount_requested, 90.0)
        with self.assertRaisesRegex(ValidationError, "up to"):
            line.amount_requested = 110.0

        claim.action_cancel()
        case.picking_id.write(
            {
                "lost_parcel_insured": True,
                "lost_parcel_insurance_provider": "carrier",
                "lost_parcel_insured_value": 150.0,
            }
        )
        claim = self._claim_for(case).filtered(lambda c: c.state == "draft")
        self.assertEqual((claim.line_ids.cap_amount, claim.line_ids.cap_reason), (150.0, "declared_value"))
        self.assertEqual(claim.amount_requested, 120.0)


@tagged("post_install", "-at_install")
class TestClaimReminders(ClaimCommon):
    def test_responsible_is_reminded_before_the_deadline_once(self):
        case = self._lost_case("JD0STALLED7501", shipped_days_ago=20)
        claim = self._claim_for(case)
        claim.user_id = self.responsible
        deadline = case.picking_id.date_done.date() + timedelta(days=30)
        self.assertEqual(claim.deadline_date, deadline)
        self.assertFalse(claim.is_overdue)

        soon = self._lost_case("JD0STALLED7502", shipped_days_ago=3)
        later_claim = self._claim_for(soon)
        reminded = self.Claim._cron_remind_claim_deadlines()
        self.assertIn(claim, reminded)
        self.assertNotIn(later_claim, reminded, "27 days left: beyond the window's 14 days")
        activity = claim.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(
            activity.activity_type_id, self.env.ref("lost_parcel_reship.mail_activity_type_claim_deadline")
        )
        self.assertEqual(activity.user_id, self.responsible)
        self.assertEqual(activity.date_deadline, deadline)
        self.assertIn(f"File claim {claim.name}", activity.summary)
        self.assertFalse(self.Claim._cron_remind_claim_deadlines(), "one reminder per date")
        self.assertEqual(len(claim.activity_ids), 1)

        # Two weeks later the other claim's turn comes.
        reminded = self.Claim._cron_remind_claim_deadlines(today=later_claim.deadline_date - timedelta(days=10))
        self.assertIn(later_claim, reminded)
        # Filing closes the reminder.
        claim.document_line_ids.note = "By post"
        claim.action_submit()
        self.assertFalse(claim.activity_ids)

    def test_a_notice_date_is_reminded_before_the_deadline(self):
        self.Window.create(
            {
                "name": "DHL with notice",
                "company_id": self.company.id,
                "carrier_ids": [fields.Command.set(self.carrier.ids)],
                "deadline_number": 60,
                "notice_days": 25,
                "notice_from": "shipped",
            }
        )
        case = self._lost_case("JD0STALLED7601", shipped_days_ago=20)
        claim = self._claim_for(case)
        shipped = case.picking_id.date_done.date()
        self.assertEqual(
            (claim.notice_date, claim.deadline_date), (shipped + timedelta(days=25), shipped + timedelta(days=60))
        )
        self.Claim._cron_remind_claim_deadlines()
        self.assertIn("Send the notice of claim", claim.activity_ids.summary)
        self.assertEqual(claim.activity_ids.date_deadline, shipped + timedelta(days=25))
        # Once the notice date is behind, the deadline is next.
        self.Claim._cron_remind_claim_deadlines(today=shipped + timedelta(days=50))
        self.assertEqual(claim.activity_ids.date_deadline, shipped + timedelta(days=60))
        self.assertIn("File claim", claim.activity_ids.summary)


@tagged("post_install", "-at_install")
class TestClaimAccess(ClaimCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = new_test_user(cls.env, "claim_user", groups="lost_parcel_reship.group_lost_parcel_user")
        cls.manager = new_test_user(cls.env, "claim_manager", groups="lost_parcel_reship.group_lost_parcel_manager")
        cls.outsider = new_test_user(cls.env, "claim_outsider", groups="stock.group_stock_user")

    def test_lost_parcel_users_claim_and_managers_configure(self):
        case = self._lost_case("JD0STALLED7701").with_user(self.user)
        case.action_create_claim()
        claim = case.claim_ids
        self.assertEqual(claim.create_uid, self.user)
        claim.document_line_ids.note = "By post"
        claim.action_submit()
        claim._record_decision("accepted")
        claim._record_payment(40.0)
        self.assertEqual(self.env["lost.parcel.case"].browse(case.id).recovered_amount, 40.0)

        self.assertTrue(self.Window.with_user(self.user).search([]))
        for model, vals in (
            ("lost.parcel.claim.window", {"name": "Mine"}),
            ("lost.parcel.claim.document", {"name": "Mine", "code": "mine"}),
            ("lost.parcel.claim.guide", {"name": "Mine"}),
            ("lost.parcel.insurance.rule", {"name": "Mine", "min_goods_value": 10, "insurance_provider": "carrier"}),
            ("lost.parcel.packaging.rule", {"name": "Mine", "advice": "Bubble wrap"}),
        ):
            with self.assertRaises(AccessError, msg=model):
                self.env[model].with_user(self.user).create(vals)
            self.env[model].with_user(self.manager).create(vals)
        with self.assertRaises(AccessError):
            self.dhl_window.with_user(self.user).deadline_number = 90
        with self.assertRaises(AccessError):
            self.Claim.with_user(self.outsider).search([])

    def test_claims_and_windows_stay_in_their_company(self):
        other = self.env["res.company"].create({"name": "Other Shop", "currency_id": self.usd.id})
        foreign_user = new_test_user(
            self.env,
            "claim_other",
            groups="lost_parcel_reship.group_lost_parcel_manager",
            company_id=other.id,
            company_ids=[other.id],
        )
        case = self._lost_case("JD0STALLED7801")
        ours = self._claim_for(case)
        foreign_window = self.Window.create(
            {"name": "Other Shop DHL", "company_id": other.id, "tracking_provider": "dhl", "deadline_number": 90}
        )
        theirs = self.Claim.create({"company_id": other.id, "window_id": foreign_window.id, "currency_id": self.usd.id})

        self.assertEqual(
            self.Window._find_window(case.picking_id), self.dhl_window, "another company's window never applies"
        )
        as_foreign = self.Claim.with_user(foreign_user)
        self.assertEqual(as_foreign.search([]), theirs)
        with self.assertRaises(AccessError):
            ours.with_user(foreign_user).read(["name"])
        self.assertFalse(self.env["lost.parcel.claim.line"].with_user(foreign_user).search([]))
        self.assertNotIn(foreign_window, self.Window.with_user(self.user).search([]))
        self.assertIn(self.dhl_window, self.Window.with_user(foreign_user).search([]), "shared windows serve everyone")
        with self.assertRaises(AccessError):
            theirs.with_user(self.user).read(["name"])
