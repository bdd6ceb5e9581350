from datetime import datetime, timezone

import pytest
import stores
from stores.base import ApiError, TrackingUpdate, iso_z, parse_time
from stores.ebay import EbayClient
from stores.walmart import WalmartClient

from .helpers import CREDS, REFRESH


def test_registry_knows_the_four_stores_and_refuses_others():
    assert [code for code, _label in stores.store_selection()] == ["shopify", "amazon", "ebay", "walmart"]
    assert stores.get_store_client_class("ebay") is EbayClient
    with pytest.raises(ApiError) as caught:
        stores.get_store_client_class("wish")
    assert caught.value.kind == "config"


def test_missing_credentials_are_a_configuration_error():
    with pytest.raises(ApiError) as caught:
        EbayClient(credentials={"client_id": "x"})
    assert caught.value.kind == "config" and "client_secret, refresh_token" in str(caught.value)


def test_production_hosts_are_used_only_on_the_production_base_url():
    ebay = EbayClient(credentials={**CREDS, "refresh_token": REFRESH})
    assert ebay.token_path == "https://api.ebay.com/identity/v1/oauth2/token"
    assert ebay._url("disputes") == "https://apiz.ebay.com/sell/fulfillment/v1/payment_dispute_summary"
    assert ebay._url("graphql") == "https://graphqlapi.ebay.com/graphql"
    local = EbayClient(base_url="http://127.0.0.1:8079/", credentials={**CREDS, "refresh_token": REFRESH})
    assert local._url("graphql") == "http://127.0.0.1:8079/graphql"
    assert local.token_path == "http://127.0.0.1:8079/identity/v1/oauth2/token"


def test_unreachable_store_is_a_result_not_an_exception():
    walmart = WalmartClient(base_url="http://127.0.0.1:9", credentials=CREDS, sleep=lambda s: None, max_attempts=2)
    update = TrackingUpdate("1815367951431", "FedEx", "fedex", "911001572321619861")
    result = walmart.push_tracking(update)
    assert not result.ok and result.error_kind == "carrier_down" and "cannot connect" in result.error


def test_dates_in_the_stores_formats():
    assert iso_z(datetime(2022, 2, 11, 1, 0, tzinfo=timezone.utc)) == "2022-02-11T01:00:00.000Z"
    assert parse_time("2099-12-29T19:00:00-05:00") == datetime(2099, 12, 30, 0, 0)
    assert parse_time(1623835855000) == datetime(2021, 6, 16, 9, 30, 55)
    assert parse_time("") is None
    with pytest.raises(ApiError):
        parse_time("29/12/2099")
