import re

import pytest
import requests
from stores.amazon import AmazonClient
from stores.base import ACTION_UPDATED, ApiError, TrackingUpdate

from ..conftest import load_fixture
from .helpers import CREDS, REFRESH, SHIP_DATE, inspect_order, make, seed_order, store_calls

AMAZON = {**CREDS, "refresh_token": REFRESH, "marketplace_id": "ATVPDKIKX0DER"}
ORDER = "902-1106328-1059050"


def client(sandbox, **options):
    return make(AmazonClient, sandbox, options.pop("credentials", AMAZON), **options)


def update(order=ORDER, number="1Z999AA10123456784", reference="7001", **values):
    return TrackingUpdate(
        order_ref=order,
        carrier_name=values.pop("carrier_name", "UPS"),
        carrier_code=values.pop("carrier_code", "ups"),
        tracking_number=number,
        ship_date=SHIP_DATE,
        package_reference=reference,
        **values,
    )


def test_confirm_shipment_adds_the_reship_package_with_the_samples_fields(sandbox):
    seed_order(sandbox, "amazon", ORDER, "LOSTPARCEL1")
    amazon, session, _waits = client(sandbox)
    result = amazon.push_tracking(update())
    assert result.ok and result.action == ACTION_UPDATED and result.store_reference == "7001", result.error
    packages = {p["packageReferenceId"]: p for p in inspect_order(sandbox, "amazon", ORDER)["packages"]}
    assert set(packages) == {"1", "7001"}  # the lost parcel's package and the reship's
    assert packages["7001"]["trackingNumber"] == "1Z999AA10123456784"
    assert packages["7001"]["orderItems"] == [
        {"orderItemId": "68828574383266", "quantity": 1},
        {"orderItemId": "68828574383267", "quantity": 1},
    ]  # every item, read over two pages of orderItems
    assert len(session.bodies("GET", "/orderItems")) == 2
    (body,) = session.bodies("POST", "/shipmentConfirmation")
    sample = load_fixture("spapi-models_ordersV0_confirmShipment_request.json")
    assert set(body) == set(sample)
    assert set(body["packageDetail"]) <= set(sample["packageDetail"])
    assert set(body["packageDetail"]["orderItems"][0]) <= set(sample["packageDetail"]["orderItems"][0])
    assert body["packageDetail"]["shipDate"] == "2026-11-30T08:15:00.000Z"  # the sample's ISO form
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", sample["packageDetail"]["shipDate"])
    assert (body["packageDetail"]["carrierCode"], body["packageDetail"]["carrierName"]) == ("UPS", "UPS")


def test_retrying_with_the_same_package_reference_edits_instead_of_adding(sandbox):
    seed_order(sandbox, "amazon", ORDER, "LOSTPARCEL1")
    amazon, _session, _waits = client(sandbox)
    assert amazon.push_tracking(update(lines=[("68828574383266", 1)])).ok
    assert amazon.push_tracking(update(number="1Z999AA10123456785", lines=[("68828574383266", 1)])).ok
    packages = inspect_order(sandbox, "amazon", ORDER)["packages"]
    assert [(p["packageReferenceId"], p["trackingNumber"]) for p in packages] == [
        ("1", "LOSTPARCEL1"),
        ("7001", "1Z999AA10123456785"),
    ]


def test_a_package_reference_is_required(sandbox):
    amazon, session, _waits = client(sandbox)
    result = amazon.push_tracking(update(reference=""))
    assert not result.ok and result.error_kind == "invalid" and "package reference" in result.error
    assert session.sent == []


def test_unknown_carrier_goes_as_other_with_its_name(sandbox):
    amazon, session, _waits = client(sandbox)
    assert amazon.push_tracking(update(carrier_code="yunexpress", carrier_name="YunExpress")).ok
    (body,) = session.bodies("POST", "/shipmentConfirmation")
    assert (body["packageDetail"]["carrierCode"], body["packageDetail"]["carrierName"]) == ("Other", "YunExpress")


def test_invalid_refresh_token_is_an_auth_failure(sandbox):
    amazon, _session, _waits = client(sandbox, credentials={**AMAZON, "refresh_token": "Atzr|wrong"})
    result = amazon.push_tracking(update())
    assert not result.ok and result.error_kind == "auth"
    assert "invalid grant parameter" in result.error and "Atzr|wrong" not in result.error
    assert store_calls(sandbox, "amazon") == 1  # only the token endpoint


def test_connection_test_checks_the_marketplace(sandbox):
    amazon, _session, _waits = client(sandbox)
    assert "ATVPDKIKX0DER" in amazon.test_connection()
    other, _session, _waits = client(sandbox, credentials={**AMAZON, "marketplace_id": "A1VC38T7YXB528"})
    with pytest.raises(ApiError) as caught:
        other.test_connection()
    assert caught.value.kind == "auth" and "A1VC38T7YXB528" in str(caught.value)


def test_quota_exceeded_waits_the_plans_rate_and_retries(sandbox):
    amazon, _session, waits = client(sandbox)
    assert amazon.push_tracking(update(order="FLAKY429-0000001", lines=[("68828574383266", 1)])).ok
    assert waits == [0.5]  # 1 / x-amzn-RateLimit-Limit (2.0): SP-API sends no Retry-After
    limited = amazon.push_tracking(update(order="RATELIMIT-0000002", lines=[("68828574383266", 1)]))
    assert not limited.ok and limited.error_kind == "rate_limited" and limited.retry_after == 0.5
    assert "You exceeded your quota" in limited.error


def test_refused_tracking_number_comes_back_with_amazons_text(sandbox):
    amazon, _session, _waits = client(sandbox)
    result = amazon.push_tracking(update(order="REJECT-0000003"))
    assert not result.ok and result.error_kind == "rejected"
    assert "is not valid for carrier UPS" in result.error
    assert result.raw["errors"][0]["code"] == "InvalidInput"


def test_outage_and_unknown_order(sandbox):
    amazon, _session, _waits = client(sandbox)
    down = amazon.push_tracking(update(order="OUTAGE-0000004", lines=[("1", 1)]))
    assert not down.ok and down.error_kind == "carrier_down"
    missing = amazon.push_tracking(update(order="NOTFOUND-0000005"))
    assert not missing.ok and missing.error_kind == "not_found"


def test_sandbox_answers_a_bad_ship_date_as_the_sample(sandbox):
    amazon, _session, _waits = client(sandbox)
    sample = load_fixture("spapi-models_ordersV0_confirmShipment_400_sandbox.json")
    headers = {"x-amz-access-token": amazon._access_token()}
    body = sample["request"]["parameters"]["body"]["value"]
    body["packageDetail"]["orderItems"][0]["orderItemId"] = "68828574383266"
    order = sample["request"]["parameters"]["orderId"]["value"]
    response = requests.post(
        f"{sandbox.url}/orders/v0/orders/{order}/shipmentConfirmation", json=body, headers=headers, timeout=5
    )
    assert (response.status_code, response.json()) == (400, sample["response"])


def test_sandbox_order_items_carry_the_samples_fields(sandbox):
    sample = load_fixture("spapi-models_ordersV0_getOrderItems_response.json")["payload"]
    amazon, _session, _waits = client(sandbox)
    response = amazon._request("GET", f"/orders/v0/orders/{ORDER}/orderItems")
    payload = response.json()["payload"]
    assert set(payload) <= set(sample) and payload["NextToken"]
    assert set(payload["OrderItems"][0]) <= set(sample["OrderItems"][0])


def test_amazon_has_no_buyer_claims_api():
    assert not AmazonClient.supports_buyer_claims()
    assert "no public API" in AmazonClient.claims_unavailable_reason


def test_partial_reship_names_only_its_items_with_their_quantities(sandbox):
    """Two items lost in one parcel, only the teapots reshipped: the package names that item only."""
    seed_order(
        sandbox,
        "amazon",
        ORDER,
        "LOSTPARCEL1",
        lines=[{"sku": "TEAPOT", "quantity": 2}, {"sku": "CUPS", "quantity": 1}],
    )
    amazon, session, _waits = client(sandbox)
    items = amazon.order_lines(ORDER)
    assert [(i.ref, i.quantity, i.sku) for i in items] == [
        ("68828574383266", 2, "TEAPOT"),
        ("68828574383267", 1, "CUPS"),
    ]
    result = amazon.push_tracking(update(lines=[("68828574383266", 2)]))
    assert result.ok, result.error
    package = next(p for p in inspect_order(sandbox, "amazon", ORDER)["packages"] if p["packageReferenceId"] == "7001")
    assert package["orderItems"] == [{"orderItemId": "68828574383266", "quantity": 2}]
    assert len(session.bodies("GET", "/orderItems")) == 2, "the items are read once, by order_lines"
