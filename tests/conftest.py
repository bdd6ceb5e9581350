"""Repository-level tests: carrier clients against the carrier sandbox over real HTTP.

The clients and the sandbox are plain Python (no ORM), so these tests import them from the
addon folder directly and need no database.
"""

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
sys.path.insert(0, str(ROOT / "carrier_connectors"))

from clients.base import TokenCache  # noqa: E402
from clients.registry import get_client_class  # noqa: E402
from sandbox.server import SandboxServer  # noqa: E402

# Every tracking provider with the sandbox's credentials and a prefix for its scenario numbers.
OAUTH = {"client_id": "sandbox-client", "client_secret": "sandbox-secret"}
API_KEY = {"api_key": "sandbox-key"}
PROVIDERS = {
    "fedex": (OAUTH, "FX"),
    "ups": (OAUTH, "1Z"),
    "usps": (OAUTH, "94"),
    "dhl": (API_KEY, "JD"),
    "aftership": (API_KEY, "AS"),
    "seventeen_track": (API_KEY, "ST"),
    "sf_express": ({"partner_id": "sandbox-partner", "checkword": "sandbox-checkword"}, "SF"),
    "fourpx": ({"app_key": "sandbox-app", "app_secret": "sandbox-app-secret"}, "4P"),
}


def provider_client(sandbox, provider, sleep=None, **kwargs):
    """A ``provider`` client talking to the sandbox, waits recorded by ``sleep`` (never slept)."""
    credentials, _prefix = PROVIDERS[provider]
    cls = get_client_class(provider)
    sleep = sleep or (lambda seconds: None)
    return cls(base_url=sandbox.url, credentials=credentials, rate_limit=1000, sleep=sleep, **kwargs)


def scenario_number(provider, keyword, suffix="01"):
    return f"{PROVIDERS[provider][1]}{keyword}{suffix}"


@pytest.fixture(scope="session")
def sandbox_server():
    server = SandboxServer(timeout_delay=2.0).start()
    yield server
    server.stop()


@pytest.fixture
def sandbox(sandbox_server):
    """The running sandbox, with pins, counters, issued tokens and fail rate reset for each test;
    the clients' OAuth2 token cache is emptied with it."""
    sandbox_server.state.reset()
    sandbox_server.state.fail_rate = 0.0
    TokenCache._tokens.clear()
    yield sandbox_server
    TokenCache._tokens.clear()


@pytest.fixture
def no_sleep():
    """Record the waits a client asks for instead of sleeping through them."""
    waits = []
    return waits.append, waits


def load_fixture(name):
    return json.loads((FIXTURES / name).read_text())
