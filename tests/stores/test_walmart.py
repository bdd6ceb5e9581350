import pytest
from stores.base import ACTION_UNCHANGED, ACTION_UPDATED, ApiError, TrackingUpdate
from stores.walmart import WalmartClient, _shipped_numbers, walmart_error_text

from ..conftest import load_fixture
from .helpers import CREDS, SHIP_DATE, inspect_order, make, seed_order, store_calls

ORDER = "1815367951431"


def client(sandbox, **options):
    return make(WalmartClient, sandbox, options.pop("credentials", CREDS), **options)


def update(order=ORDER, number="911001572321619861", **values):
    return TrackingUpdate(
        order_ref=order,
        carrier_name=values.pop("carrier_name", "FedEx"),
        carrier_code=values.pop("carrier_code", "fedex"),
        tracking_number=number,
        ship_date=SHIP_DATE,
        previous_tracking_number="LOSTPARCEL1",
        **values,
    )


def shipped(order):
    return {
        line["lineNumber"]: [s["trackingInfo"]["trackingNumber"] for s in line["orderLineStatuses"]["orderLineStatus"]]
        for line in order["order"]["orderLines"]["orderLine"]
    }


def test_write_back_replaces_the_lost_number_on_each_shipped_line(sandbox):
    seed_order(sandbox, "walmart", ORDER, "LOSTPARCEL1")
    walmart, session, _waits = client(sandbox)
    result = walmart.push_tracking(update())
    assert result.ok and result.action == ACTION_UPDATED and result.store_reference == ORDER, result.error
    assert shipped(inspect_order(sandbox, "walmart", ORDER)) == {
        "1": ["911001572321619861"],
        "2": ["911001572321619861"],
    }
    (body,) = session.bodies("POST", "/shipping")
    sample = load_fixture("walmart-oas_orders_shippingUpdates_request.json")["orderShipment"]["orderLines"][
        "orderLine"
    ][0]
    line = body["orderShipment"]["orderLines"]["orderLine"][0]
    assert set(line) <= set(sample)
    status = line["orderLineStatuses"]["orderLineStatus"][0]
    sample_status = sample["orderLineStatuses"]["orderLineStatus"][0]
    assert set(status) - set(sample_status) == {"currentTrackingInfo"}  # the spec field no sample shows
    assert status["currentTrackingInfo"] == {"trackingNumber": "LOSTPARCEL1"}
    # A change after shipment says so (spec: processMode PARTIAL_UPDATE); Walmart refuses it otherwise.
    assert body["orderShipment"]["processMode"] == "PARTIAL_UPDATE"
    assert set(status["trackingInfo"]) <= set(sample_status["trackingInfo"])
    assert status["trackingInfo"]["shipDateTime"] == 1796026500000  # 2026-11-30 08:15 UTC in epoch ms, as the sample
    assert status["trackingInfo"]["carrierName"] == {"carrier": "FedEx"}
    assert status["trackingInfo"]["methodCode"] == "Value"  # the order's own shipping method
    headers = session.sent[-1]["headers"]
    assert headers["WM_SVC.NAME"] and headers["WM_QOS.CORRELATION_ID"] and headers["WM_SEC.ACCESS_TOKEN"]


def test_second_write_sends_nothing_and_leaves_one_number(sandbox):
    seed_order(sandbox, "walmart", ORDER, "LOSTPARCEL1")
    walmart, session, _waits = client(sandbox)
    assert walmart.push_tracking(update()).ok
    again = walmart.push_tracking(update())
    assert again.ok and again.action == ACTION_UNCHANGED
    assert len(session.bodies("POST", "/shipping")) == 1
    assert shipped(inspect_order(sandbox, "walmart", ORDER)) == {
        "1": ["911001572321619861"],
        "2": ["911001572321619861"],
    }


def test_a_line_not_shipped_yet_takes_the_number_plainly(sandbox):
    seed_order(sandbox, "walmart", "1815367951432", "LOSTPARCEL1", lines=1)
    walmart, session, _waits = client(sandbox)
    assert walmart.push_tracking(update(order="1815367951432", lines=[("1", 1)])).ok
    status = session.bodies("POST", "/shipping")[0]["orderShipment"]["orderLines"]["orderLine"][0]
    assert status["lineNumber"] == "1"
    unknown = walmart.push_tracking(update(order="1815367951432", number="X1", lines=[("9", 1)]))
    assert not unknown.ok and unknown.error_kind == "invalid" and "no line 9" in unknown.error


def test_other_carrier_needs_a_tracking_url(sandbox):
    walmart, session, _waits = client(sandbox)
    result = walmart.push_tracking(update(carrier_code="yunexpress", carrier_name="YunExpress"))
    assert not result.ok and result.error_kind == "invalid" and "tracking URL" in result.error
    assert not session.bodies("POST", "/shipping")
    with_url = walmart.push_tracking(
        update(
            carrier_code="yunexpress", carrier_name="YunExpress", tracking_url="https://www.yuntrack.com/track?id=YT1"
        )
    )
    assert with_url.ok, with_url.error
    tracking = session.bodies("POST", "/shipping")[0]["orderShipment"]["orderLines"]["orderLine"][0]
    info = tracking["orderLineStatuses"]["orderLineStatus"][0]["trackingInfo"]
    assert info["carrierName"] == {"otherCarrier": "YunExpress"} and info["trackingURL"].startswith("https://")


def test_wrong_client_secret_is_an_auth_failure(sandbox):
    walmart, _session, _waits = client(sandbox, credentials={**CREDS, "client_secret": "wrong"})
    result = walmart.push_tracking(update())
    assert not result.ok and result.error_kind == "auth" and "Unauthorized token or client id" in result.error
    assert store_calls(sandbox, "walmart") == 1
    with pytest.raises(ApiError):
        walmart.test_connection()


def test_connection_test(sandbox):
    walmart, _session, _waits = client(sandbox)
    assert walmart.test_connection()["list"]["meta"]["totalCount"] == 0


def test_rate_limit_waits_the_retry_after(sandbox):
    walmart, _session, waits = client(sandbox)
    assert walmart.push_tracking(update(order="FLAKY429-1")).ok
    assert waits == [1.0]
    limited = walmart.push_tracking(update(order="RATELIMIT-2"))
    assert not limited.ok and limited.error_kind == "rate_limited" and limited.retry_after == 1.0


def test_refused_tracking_number_comes_back_with_walmarts_text(sandbox):
    walmart, _session, _waits = client(sandbox)
    result = walmart.push_tracking(update(order="REJECT-3"))
    assert not result.ok and result.error_kind == "rejected"
    assert "Invalid tracking number '911001572321619861'" in result.error
    assert "INVALID_REQUEST_CONTENT.GMP_ORDER_API" in result.error


def test_outage_and_unknown_order(sandbox):
    walmart, _session, _waits = client(sandbox)
    assert walmart.push_tracking(update(order="OUTAGE-4")).error_kind == "carrier_down"
    assert walmart.push_tracking(update(order="NOTFOUND-5")).error_kind == "not_found"


def test_samples_read_as_shipped_lines():
    order = load_fixture("walmart-oas_orders_getAnOrder_response.json")["order"]
    assert _shipped_numbers(order["orderLines"]["orderLine"][0]) == ["435678956435467"]
    answer = load_fixture("walmart-oas_orders_shippingUpdates_response.json")["order"]
    assert _shipped_numbers(answer["orderLines"]["orderLine"][0], raw=True) == ["911001572321619861"]


def test_error_text_of_walmarts_error_model():
    body = {"errors": {"error": [{"code": "X.GMP_ORDER_API", "description": "Bad line", "info": "Fix it"}]}}
    assert walmart_error_text(body) == "Bad line Fix it (X.GMP_ORDER_API)"
    assert walmart_error_text({"error": [{"description": "Unauthorized"}]}) == "Unauthorized"


def test_walmart_has_no_buyer_claims_api():
    assert not WalmartClient.supports_buyer_claims()
    assert "no public API" in WalmartClient.claims_unavailable_reason


def test_partial_reship_shows_the_number_on_its_line_only_with_its_quantity(sandbox):
    seed_order(
        sandbox,
        "walmart",
        ORDER,
        "LOSTPARCEL1",
        lines=[{"sku": "TEAPOT", "quantity": 2}, {"sku": "CUPS", "quantity": 1}],
    )
    walmart, session, _waits = client(sandbox)
    assert [(li.ref, li.quantity, li.sku) for li in walmart.order_lines(ORDER)] == [
        ("1", 2, "TEAPOT"),
        ("2", 1, "CUPS"),
    ]
    result = walmart.push_tracking(update(lines=[("1", 2)]))
    assert result.ok, result.error
    assert shipped(inspect_order(sandbox, "walmart", ORDER)) == {"1": ["911001572321619861"], "2": ["LOSTPARCEL1"]}
    (body,) = session.bodies("POST", "/shipping")
    (line,) = body["orderShipment"]["orderLines"]["orderLine"]
    assert line["orderLineStatuses"]["orderLineStatus"][0]["statusQuantity"]["amount"] == "2"


def test_a_line_that_does_not_show_the_lost_number_is_never_overwritten(sandbox):
    """The line shows another parcel's number: the reship's number is added beside it."""
    seed_order(sandbox, "walmart", ORDER, "OTHERPARCEL9")
    walmart, session, _waits = client(sandbox)
    result = walmart.push_tracking(update(lines=[("2", 1)]))
    assert result.ok, result.error
    assert shipped(inspect_order(sandbox, "walmart", ORDER)) == {
        "1": ["OTHERPARCEL9"],
        "2": ["OTHERPARCEL9", "911001572321619861"],
    }
    (body,) = session.bodies("POST", "/shipping")
    assert (
        "currentTrackingInfo"
        not in body["orderShipment"]["orderLines"]["orderLine"][0]["orderLineStatuses"]["orderLineStatus"][0]
    )


def test_a_change_past_walmarts_four_hours_comes_back_refused_with_its_text(sandbox):
    """Walmart takes a tracking change on a shipped line only within 4 hours of its first shipping
    information: a reship days later is refused, with Walmart's reason, and nothing changes."""
    order = "1815367951433-SHIPPEDDAYSAGO"
    seed_order(sandbox, "walmart", order, "LOSTPARCEL1")
    walmart, _session, _waits = client(sandbox)
    result = walmart.push_tracking(update(order=order))
    assert not result.ok and result.error_kind == "rejected"
    assert "within 4 hours of its first shipping information" in result.error
    assert shipped(inspect_order(sandbox, "walmart", order)) == {"1": ["LOSTPARCEL1"], "2": ["LOSTPARCEL1"]}


def test_lines_not_shipped_yet_are_shipped_without_process_mode(sandbox):
    order = "1815367951434-NOTSHIPPED"
    walmart, session, _waits = client(sandbox)
    result = walmart.push_tracking(update(order=order))
    assert result.ok, result.error
    (body,) = session.bodies("POST", "/shipping")
    assert "processMode" not in body["orderShipment"]
    assert shipped(inspect_order(sandbox, "walmart", order)) == {
        "1": ["911001572321619861"],
        "2": ["911001572321619861"],
    }


@pytest.mark.parametrize("code, name", [("sf_express", "SF Express"), ("fourpx", "4PX")])
def test_sf_express_and_4px_are_walmart_carriers(sandbox, code, name):
    """Both are in Walmart's carrier list: sent as such, no tracking URL needed (they were refused)."""
    walmart, session, _waits = client(sandbox)
    result = walmart.push_tracking(update(carrier_code=code, carrier_name=name))
    assert result.ok, result.error
    status = session.bodies("POST", "/shipping")[0]["orderShipment"]["orderLines"]["orderLine"][0]
    assert status["orderLineStatuses"]["orderLineStatus"][0]["trackingInfo"]["carrierName"] == {"carrier": name}
