"""Repository-level tests: carrier clients against the carrier sandbox over real HTTP.

The clients and the sandbox are plain Python (no ORM), so these tests import them from the
addon folder directly and need no database.
"""

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT.parent / "shared" / "carrier-samples"
FIXTURES = ROOT / "tests" / "fixtures"
sys.path.insert(0, str(ROOT / "carrier_connectors"))

from clients.base import TokenCache  # noqa: E402
from sandbox.server import SandboxServer  # noqa: E402


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
