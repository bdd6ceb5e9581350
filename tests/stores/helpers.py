"""Shared by the store client tests: a session that records what a client sent (still real HTTP),
and the sandbox's seeding endpoints."""

import json
from datetime import datetime

import requests

CREDS = {"client_id": "sandbox-client", "client_secret": "sandbox-secret"}
REFRESH = "sandbox-refresh"
SHOPIFY_TOKEN = "sandbox-shopify-token"


class RecordingSession(requests.Session):
    """A real ``requests`` session that keeps each request's method, URL, headers and JSON body."""

    def __init__(self):
        super().__init__()
        self.sent = []

    def request(self, method, url, **kwargs):
        self.sent.append({"method": method, "url": url, "json": kwargs.get("json"), "headers": kwargs.get("headers")})
        return super().request(method, url, **kwargs)

    def bodies(self, method, fragment):
        return [s["json"] for s in self.sent if s["method"] == method and fragment in s["url"]]


def make(cls, sandbox, credentials, **options):
    """A client on the sandbox that records its waits instead of sleeping; (client, session, waits)."""
    waits, session = [], RecordingSession()
    client = cls(
        base_url=sandbox.url, credentials=credentials, rate_limit=1000, sleep=waits.append, session=session, **options
    )
    return client, session, waits


def seed_order(sandbox, store, order, tracking_number, lines=2):
    response = requests.post(
        f"{sandbox.url}/_sandbox/stores/orders",
        json={"store": store, "order": order, "tracking_number": tracking_number, "lines": lines},
        timeout=5,
    )
    response.raise_for_status()
    return response.json()


def inspect_order(sandbox, store, order):
    response = requests.get(f"{sandbox.url}/_sandbox/stores/orders", params={"store": store, "order": order}, timeout=5)
    response.raise_for_status()
    return response.json()


def seed_claims(sandbox, store, claims):
    response = requests.post(
        f"{sandbox.url}/_sandbox/stores/claims", json={"store": store, "claims": claims}, timeout=5
    )
    response.raise_for_status()
    return response.json()["claims"]


def set_faults(sandbox, faults):
    requests.post(f"{sandbox.url}/_sandbox/stores/faults", json=faults, timeout=5).raise_for_status()


def store_calls(sandbox, store):
    return requests.get(f"{sandbox.url}/_sandbox/stats", timeout=5).json()["requests"].get(store, 0)


def dumps(value):
    return json.dumps(value, sort_keys=True)


SHIP_DATE = datetime(2026, 11, 30, 8, 15, 0)
