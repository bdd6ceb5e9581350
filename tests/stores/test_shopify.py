import re
from datetime import datetime

import pytest
from sandbox.providers import shopify as sandbox_shopify
from stores.base import ACTION_UNCHANGED, ACTION_UPDATED, ApiError, TrackingUpdate
from stores.shopify import ShopifyClient

from ..conftest import FIXTURES, load_fixture
from .helpers import SHIP_DATE, SHOPIFY_TOKEN, inspect_order, make, seed_claims, seed_order, set_faults

CREDS = {"shop_domain": "sandbox-shop.myshopify.com", "access_token": SHOPIFY_TOKEN}


def client(sandbox, **options):
    return make(ShopifyClient, sandbox, options.pop("credentials", CREDS), **options)


def update(order, number="1Z001985YW99744790", previous="LOSTPARCEL1", **values):
    return TrackingUpdate(
        order_ref=order,
        carrier_name=values.pop("carrier_name", "UPS"),
        carrier_code="ups",
        tracking_number=number,
        ship_date=SHIP_DATE,
        previous_tracking_number=previous,
        **values,
    )


def test_base_url_is_the_shops_own_domain():
    assert ShopifyClient(credentials=CREDS).base_url == "https://sandbox-shop.myshopify.com"


def test_write_back_edits_the_lost_parcels_fulfillment_as_the_docs_sample(sandbox):
    seed_order(sandbox, "shopify", "450789469", "LOSTPARCEL1")
    shopify, session, _waits = client(sandbox)
    result = shopify.push_tracking(update("450789469"))
    assert result.ok and result.action == ACTION_UPDATED, result.error
    (fulfillment,) = inspect_order(sandbox, "shopify", "450789469")["fulfillments"]
    assert result.store_reference == fulfillment["id"]
    assert fulfillment["trackingInfo"] == [{"company": "UPS", "number": "1Z001985YW99744790", "url": None}]
    # The mutation and its variables are the shopify.dev example's.
    (sent,) = session.bodies("POST", "/graphql.json")[1:]
    sample = (FIXTURES / "shopify-dev-docs_graphql_fulfillmentTrackingInfoUpdate_mutation.graphql").read_text()
    assert re.sub(r"\s", "", sent["query"]) == re.sub(r"\s", "", sample)
    expected = load_fixture("shopify-dev-docs_graphql_fulfillmentTrackingInfoUpdate_variables.json")
    assert sent["variables"] == {**expected, "fulfillmentId": fulfillment["id"]}
    assert set(result.raw["fulfillmentTrackingInfoUpdate"]) == set(
        load_fixture("shopify-dev-docs_graphql_fulfillmentTrackingInfoUpdate_response.json")[
            "fulfillmentTrackingInfoUpdate"
        ]
    )


def test_second_write_of_the_same_reship_leaves_one_number(sandbox):
    seed_order(sandbox, "shopify", "1002", "LOSTPARCEL1")
    shopify, _session, _waits = client(sandbox)
    first = shopify.push_tracking(update("1002"))
    again = shopify.push_tracking(update("1002"))
    assert first.ok and again.ok
    assert again.action == ACTION_UNCHANGED and again.store_reference == first.store_reference
    (fulfillment,) = inspect_order(sandbox, "shopify", "1002")["fulfillments"]
    assert [t["number"] for t in fulfillment["trackingInfo"]] == ["1Z001985YW99744790"]
    assert fulfillment["edits"] == 1
    # With the fulfillment id known, a correction (naming the number it replaces) edits in place.
    fixed = shopify.push_tracking(
        update("1002", "1Z001985YW99744791", previous="1Z001985YW99744790", store_fulfillment_ref=first.store_reference)
    )
    assert fixed.ok and fixed.store_reference == first.store_reference
    (fulfillment,) = inspect_order(sandbox, "shopify", "1002")["fulfillments"]
    assert [t["number"] for t in fulfillment["trackingInfo"]] == ["1Z001985YW99744791"]


def test_wrong_access_token_is_an_auth_failure_with_shopifys_text(sandbox):
    shopify, _session, _waits = client(sandbox, credentials={**CREDS, "access_token": "shpat_wrong"})
    result = shopify.push_tracking(update("1003"))
    assert not result.ok and result.error_kind == "auth"
    assert "Invalid API key or access token" in result.error
    assert "shpat_wrong" not in result.error
    with pytest.raises(ApiError) as caught:
        shopify.test_connection()
    assert caught.value.kind == "auth"


def test_connection_test_reads_the_shop(sandbox):
    shopify, _session, _waits = client(sandbox)
    assert shopify.test_connection() == "Sandbox Shop"


def test_throttled_graphql_call_is_retried(sandbox):
    shopify, _session, waits = client(sandbox)
    result = shopify.push_tracking(update("FLAKY429-1004"))
    assert result.ok, result.error
    assert waits == [0.5]  # one backoff after the THROTTLED answer
    limited = shopify.push_tracking(update("RATELIMIT-1005"))
    assert not limited.ok and limited.error_kind == "rate_limited"


def test_refused_tracking_number_comes_back_with_shopifys_user_error(sandbox):
    shopify, _session, _waits = client(sandbox)
    result = shopify.push_tracking(update("REJECT-1006"))
    assert not result.ok and result.error_kind == "rejected"
    assert "is not valid for UPS" in result.error and "(trackingInfoInput.number)" in result.error


def test_outage_and_unknown_order_do_not_raise(sandbox):
    shopify, _session, _waits = client(sandbox)
    down = shopify.push_tracking(update("OUTAGE-1007"))
    assert not down.ok and down.error_kind == "carrier_down" and "503" in down.error
    missing = shopify.push_tracking(update("NOTFOUND-1008"))
    assert not missing.ok and missing.error_kind == "not_found"


def test_incomplete_update_is_refused_before_sending(sandbox):
    shopify, session, _waits = client(sandbox)
    result = shopify.push_tracking(update("1009", number="  "))
    assert not result.ok and result.error_kind == "invalid" and "no tracking number" in result.error
    assert session.sent == []


def test_not_received_disputes_are_fetched_over_every_page(sandbox):
    seed_claims(
        sandbox,
        "shopify",
        [
            {
                "id": 5,
                "order_id": 1001,
                "initiated_at": "2026-11-20T10:00:00-05:00",
                "evidence_due_by": "2026-12-04T19:00:00-05:00",
            },
            {"id": 4, "order_id": 1002, "reason": "fraudulent", "initiated_at": "2026-11-21T10:00:00-05:00"},
            {"id": 3, "order_id": 1003, "type": "inquiry", "amount": "40.00", "initiated_at": "2026-11-22T10:00:00Z"},
            {"id": 2, "order_id": 1004, "initiated_at": "2026-10-01T10:00:00Z"},  # before `since`
            {"id": 1, "order_id": 1005, "initiated_at": "2026-11-25T10:00:00Z", "status": "won"},
        ],
    )
    shopify, session, _waits = client(sandbox)
    shopify.dispute_page_size = 2
    claims = shopify.fetch_buyer_claims(datetime(2026, 11, 1))
    assert len(session.bodies("GET", "disputes.json")) == 3
    assert [(c.claim_ref, c.order_ref, c.kind, c.status) for c in claims] == [
        ("5", "1001", "chargeback", "needs_response"),
        ("3", "1003", "inquiry", "needs_response"),
        ("1", "1005", "chargeback", "won"),
    ]
    first = claims[0]
    assert (first.opened_at, first.respond_by) == (datetime(2026, 11, 20, 15, 0), datetime(2026, 12, 5, 0, 0))
    assert (first.amount, first.currency, first.store) == (11.5, "USD", "shopify")
    assert claims[1].amount == 40.0


def test_disputes_rate_limit_waits_the_retry_after(sandbox):
    set_faults(sandbox, {"shopify:disputes": "flaky_429"})
    seed_claims(sandbox, "shopify", [{"id": 7, "order_id": 1}])
    shopify, _session, waits = client(sandbox)
    assert [c.claim_ref for c in shopify.fetch_buyer_claims(None)] == ["7"]
    assert waits == [2.0]


def test_disputes_outage_raises(sandbox):
    set_faults(sandbox, {"shopify:disputes": "outage"})
    shopify, _session, _waits = client(sandbox, max_attempts=2)
    with pytest.raises(ApiError) as caught:
        shopify.fetch_buyer_claims(None)
    assert caught.value.kind == "carrier_down"


def test_sample_disputes_parse_and_only_not_received_counts():
    disputes = load_fixture("shopify-api-ruby_rest_shopify_payments_disputes_list_response.json")["disputes"]
    shopify = ShopifyClient(credentials=CREDS)
    assert [shopify._parse_dispute(d) for d in disputes] == [None] * len(disputes)  # no such reason in the sample
    claim = shopify._parse_dispute(dict(disputes[1], reason="product_not_received"))
    assert (claim.claim_ref, claim.order_ref, claim.kind, claim.status) == (
        "815713555",
        "625362839",
        "chargeback",
        "needs_response",
    )
    assert claim.respond_by == datetime(2099, 12, 30, 0, 0)  # 2099-12-29T19:00:00-05:00
    assert claim.opened_at == datetime(2013, 5, 4, 0, 0)
    # The sandbox's disputes carry the sample's fields, no more, no fewer.
    assert set(sandbox_shopify._dispute_defaults({}, 0)) == set(disputes[0])


def test_split_reship_keeps_the_first_deliverys_number_beside_the_second(sandbox):
    """Two deliveries of one reship: the lost number is replaced once, the second number is added
    with the multi-tracking ``numbers`` field, and neither write is repeated."""
    seed_order(sandbox, "shopify", "1003", "LOSTPARCEL1")
    shopify, session, _waits = client(sandbox)
    first = shopify.push_tracking(update("1003", "1Z001985YW99744801"))
    second = shopify.push_tracking(update("1003", "1Z001985YW99744802", other_tracking_numbers=["1Z001985YW99744801"]))
    again = shopify.push_tracking(update("1003", "1Z001985YW99744802", other_tracking_numbers=["1Z001985YW99744801"]))
    assert first.ok and second.ok and again.ok, (first.error, second.error)
    assert (second.action, again.action) == (ACTION_UPDATED, ACTION_UNCHANGED)
    (fulfillment,) = inspect_order(sandbox, "shopify", "1003")["fulfillments"]
    assert [t["number"] for t in fulfillment["trackingInfo"]] == ["1Z001985YW99744801", "1Z001985YW99744802"]
    assert fulfillment["edits"] == 2
    sent = [body["variables"]["trackingInfoInput"] for body in session.bodies("POST", "/graphql.json")[1::2]]
    assert sent[1]["numbers"] == ["1Z001985YW99744801", "1Z001985YW99744802"]


def test_a_fulfillment_without_the_lost_number_keeps_its_own(sandbox):
    """The order's only fulfillment shows another number than the lost one: it is kept."""
    seed_order(sandbox, "shopify", "1004", "OTHERPARCEL9")
    shopify, _session, _waits = client(sandbox)
    result = shopify.push_tracking(update("1004", "1Z001985YW99744811"))
    assert result.ok, result.error
    (fulfillment,) = inspect_order(sandbox, "shopify", "1004")["fulfillments"]
    assert [t["number"] for t in fulfillment["trackingInfo"]] == ["OTHERPARCEL9", "1Z001985YW99744811"]
