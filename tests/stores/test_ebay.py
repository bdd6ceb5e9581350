from datetime import datetime, timedelta

import pytest
from stores.base import ACTION_CREATED, ACTION_UNCHANGED, ApiError, TrackingUpdate
from stores.ebay import EbayClient

from ..conftest import FIXTURES, load_fixture
from .helpers import CREDS, REFRESH, SHIP_DATE, inspect_order, make, seed_claims, seed_order, set_faults

EBAY = {**CREDS, "refresh_token": REFRESH}
ORDER = "01-03955-36441"


def client(sandbox, **options):
    return make(EbayClient, sandbox, options.pop("credentials", EBAY), **options)


def update(order=ORDER, number="9405509699937003457459", **values):
    return TrackingUpdate(
        order_ref=order,
        carrier_name="USPS",
        carrier_code="usps",
        tracking_number=number,
        ship_date=SHIP_DATE,
        previous_tracking_number="LOSTPARCEL1",
        **values,
    )


def oas_schema(name):
    return load_fixture("ebay-oas-mirror_sell_fulfillment_v1_oas3.json")["components"]["schemas"][name]["properties"]


def test_write_back_adds_one_shipping_fulfillment_with_the_specs_fields(sandbox):
    seed_order(sandbox, "ebay", ORDER, "LOSTPARCEL1")
    ebay, session, _waits = client(sandbox)
    result = ebay.push_tracking(update())
    assert result.ok and result.action == ACTION_CREATED and result.store_reference == "9405509699937003457459"
    fulfillments = inspect_order(sandbox, "ebay", ORDER)["fulfillments"]
    assert [f["shipmentTrackingNumber"] for f in fulfillments] == ["LOSTPARCEL1", "9405509699937003457459"]
    (body,) = session.bodies("POST", "/shipping_fulfillment")
    assert set(body) == set(oas_schema("ShippingFulfillmentDetails"))
    assert set(body["lineItems"][0]) == set(oas_schema("LineItemReference"))
    assert body["lineItems"] == [
        {"lineItemId": "10000000001", "quantity": 1},
        {"lineItemId": "10000000002", "quantity": 1},
    ]
    assert (body["shippingCarrierCode"], body["shippedDate"]) == ("USPS", "2026-11-30T08:15:00.000Z")
    assert session.sent[1]["headers"]["X-EBAY-C-MARKETPLACE-ID"] == "EBAY_US"  # [0] is the token call


def test_second_write_does_not_add_a_second_package(sandbox):
    seed_order(sandbox, "ebay", ORDER, "LOSTPARCEL1")
    ebay, session, _waits = client(sandbox)
    first = ebay.push_tracking(update())
    again = ebay.push_tracking(update(number=" 9405 5096 9993 7003 457459 "))  # typed with spaces
    assert again.ok and again.action == ACTION_UNCHANGED and again.store_reference == first.store_reference
    assert len(inspect_order(sandbox, "ebay", ORDER)["fulfillments"]) == 2
    assert len(session.bodies("POST", "/shipping_fulfillment")) == 1


def test_sandbox_fulfillments_carry_the_specs_fields(sandbox):
    ebay, _session, _waits = client(sandbox)
    answer = ebay._request("GET", f"/sell/fulfillment/v1/order/{ORDER}/shipping_fulfillment").json()
    assert set(answer) <= set(oas_schema("ShippingFulfillmentPagedCollection"))
    assert set(answer["fulfillments"][0]) <= set(oas_schema("ShippingFulfillment"))


def test_invalid_refresh_token_is_an_auth_failure(sandbox):
    ebay, _session, _waits = client(sandbox, credentials={**EBAY, "refresh_token": "v^1.1#wrong"})
    result = ebay.push_tracking(update())
    assert not result.ok and result.error_kind == "auth"
    assert "refresh token is invalid" in result.error and "wrong" not in result.error.replace(
        "refresh token is invalid", ""
    )
    with pytest.raises(ApiError) as caught:
        ebay.test_connection()
    assert caught.value.kind == "auth"


def test_connection_test(sandbox):
    ebay, _session, _waits = client(sandbox)
    assert ebay.test_connection() == 0


def test_too_many_requests_is_retried(sandbox):
    ebay, _session, waits = client(sandbox)
    assert ebay.push_tracking(update(order="FLAKY429-01")).ok
    assert waits == [0.5]  # eBay's 429 has no Retry-After: backoff
    limited = ebay.push_tracking(update(order="RATELIMIT-02"))
    assert not limited.ok and limited.error_kind == "rate_limited" and "Too many requests" in limited.error
    raw = (FIXTURES / "ebay_api-rb_too_many_requests_429.http").read_text()
    assert '"errorId":2001' in raw and "Retry-After" not in raw  # the sandbox answers like this sample


def test_refused_tracking_number_comes_back_with_ebays_text(sandbox):
    ebay, _session, _waits = client(sandbox)
    result = ebay.push_tracking(update(order="REJECT-03"))
    assert not result.ok and result.error_kind == "rejected"
    assert result.error == "eBay: Invalid shipment tracking number or carrier"
    envelope = load_fixture("hendt-ebay-api_error_envelopes.json")["restful"]["errors"][0]
    assert set(result.raw["errors"][0]) <= set(envelope)
    assert "32300" in str(load_fixture("ebay-oas-mirror_sell_fulfillment_v1_oas3.json")["paths"])


def test_outage_and_unknown_order(sandbox):
    ebay, _session, _waits = client(sandbox)
    assert ebay.push_tracking(update(order="OUTAGE-04")).error_kind == "carrier_down"
    assert ebay.push_tracking(update(order="NOTFOUND-05")).error_kind == "not_found"


def test_inquiries_and_not_received_disputes_over_every_page(sandbox):
    now = datetime.utcnow().replace(microsecond=0)
    iso = lambda when: when.isoformat() + ".000Z"  # noqa: E731
    seed_claims(
        sandbox,
        "ebay",
        [
            {"type": "inquiry", "inquiryId": "I1", "createdAt": iso(now - timedelta(days=1))},
            {"type": "inquiry", "inquiryId": "I2", "createdAt": iso(now - timedelta(days=2))},
            {"type": "inquiry", "inquiryId": "I3", "createdAt": iso(now - timedelta(days=3))},
            {"type": "inquiry", "inquiryId": "I4", "createdAt": iso(now - timedelta(days=40))},  # before since
            {
                "type": "inquiry",
                "inquiryId": "I5",
                "createdAt": iso(now - timedelta(days=4)),
                "preset": "AWAITING_ACTION_FROM_EBAY",
            },
            {"paymentDisputeId": "D1", "orderId": "12-1", "openDate": iso(now - timedelta(days=5))},
            {
                "paymentDisputeId": "D2",
                "orderId": "12-2",
                "reason": "SIGNIFICANTLY_NOT_AS_DESCRIBED",
                "openDate": iso(now - timedelta(days=5)),
            },
            {
                "paymentDisputeId": "D3",
                "orderId": "12-3",
                "openDate": iso(now - timedelta(days=6)),
                "respondByDate": "2026-12-20T07:00:00.000Z",
            },
        ],
    )
    ebay, session, _waits = client(sandbox)
    ebay.dispute_page_size = 2
    claims = ebay.fetch_buyer_claims(now - timedelta(days=30))
    assert [(c.claim_ref, c.kind) for c in claims] == [
        ("I1", "inquiry"),
        ("I2", "inquiry"),
        ("I3", "inquiry"),
        ("I5", "inquiry"),
        ("D1", "payment_dispute"),
        ("D3", "payment_dispute"),
    ]
    assert len(session.bodies("POST", "/graphql")) == 3  # two pages for the seller's, one for eBay's
    assert len([s for s in session.sent if "payment_dispute_summary" in s["url"]]) == 2
    inquiry = claims[0]
    assert (inquiry.status, inquiry.line_refs, inquiry.order_ref) == ("WAITING_SELLER_RESPONSE", ("10000000001",), "")
    assert inquiry.opened_at == now - timedelta(days=1)
    dispute = claims[-1]
    assert (dispute.order_ref, dispute.amount, dispute.currency, dispute.status) == (
        "12-3",
        24.99,
        "USD",
        "ACTION_NEEDED",
    )
    assert dispute.respond_by == datetime(2026, 12, 20, 7, 0)
    assert set(dispute.raw) <= set(oas_schema("PaymentDisputeSummary"))


def test_dispute_windows_stay_within_90_days(sandbox):
    ebay, session, _waits = client(sandbox)
    ebay.fetch_buyer_claims(datetime.utcnow() - timedelta(days=200))
    windows = [s for s in session.sent if "payment_dispute_summary" in s["url"]]
    assert len(windows) == 3  # 90 + 90 + 20 days, each accepted by the sandbox's 90-day rule


def test_claims_outage_raises(sandbox):
    set_faults(sandbox, {"ebay:inquiries": "outage"})
    ebay, _session, _waits = client(sandbox, max_attempts=2)
    with pytest.raises(ApiError) as caught:
        ebay.fetch_buyer_claims(None)
    assert caught.value.kind == "carrier_down"


def test_partial_reship_names_only_its_line_items(sandbox):
    seed_order(
        sandbox, "ebay", ORDER, "LOSTPARCEL1", lines=[{"sku": "TEAPOT", "quantity": 2}, {"sku": "CUPS", "quantity": 1}]
    )
    ebay, session, _waits = client(sandbox)
    lines = ebay.order_lines(ORDER)
    assert [(li.ref, li.quantity, li.sku) for li in lines] == [("10000000001", 2, "TEAPOT"), ("10000000002", 1, "CUPS")]
    result = ebay.push_tracking(update(lines=[("10000000001", 2)]))
    assert result.ok, result.error
    (body,) = session.bodies("POST", "/shipping_fulfillment")
    assert body["lineItems"] == [{"lineItemId": "10000000001", "quantity": 2}]
    added = inspect_order(sandbox, "ebay", ORDER)["fulfillments"][-1]
    assert added["lineItems"] == [{"lineItemId": "10000000001", "quantity": 2}]


def test_closed_inquiries_are_read_back_when_asked(sandbox):
    """An inquiry recorded open is closed on eBay: the CLOSED preset, read only with
    ``closed_since``, gives it back marked closed."""
    now = datetime.utcnow().replace(microsecond=0)
    created = (now - timedelta(days=20)).isoformat() + ".000Z"
    seed_claims(sandbox, "ebay", [{"type": "inquiry", "inquiryId": "C1", "createdAt": created}])
    seed_claims(
        sandbox,
        "ebay",
        [
            {
                "type": "inquiry",
                "inquiryId": "C1",
                "createdAt": created,
                "preset": "CLOSED",
                "status": {"code": "CLOSED", "displayText": "Closed"},
                "closedAt": now.isoformat() + ".000Z",
            }
        ],
    )
    ebay, _session, _waits = client(sandbox)
    assert not ebay.fetch_buyer_claims(now - timedelta(days=2)), "no open inquiry, and closed ones not asked for"
    (claim,) = [
        c
        for c in ebay.fetch_buyer_claims(now - timedelta(days=2), closed_since=now - timedelta(days=21))
        if c.kind == "inquiry"
    ]
    assert (claim.claim_ref, claim.closed, claim.respond_by) == ("C1", True, None)
