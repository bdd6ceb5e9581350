"""Claims client tests: the claims package imported without Odoo.

``claims`` imports the HTTP base from its sibling package (``..clients.api``), so it cannot be
imported as a top-level package like ``clients``. The addon folder is mounted here as a bare
package, ``lpr_carrier_connectors``, whose ``__init__`` (the Odoo models) is never run.
"""

import sys
import types

import pytest
import requests

from ..conftest import ROOT

PACKAGE = "lpr_carrier_connectors"
if PACKAGE not in sys.modules:
    package = types.ModuleType(PACKAGE)
    package.__path__ = [str(ROOT / "carrier_connectors")]
    sys.modules[PACKAGE] = package


class RecordingSession(requests.Session):
    """A real session that also keeps what was sent: (method, url, headers, body)."""

    def __init__(self):
        super().__init__()
        self.sent = []

    def send(self, request, **kwargs):
        self.sent.append((request.method, request.url, dict(request.headers), request.body))
        return super().send(request, **kwargs)


@pytest.fixture
def session():
    return RecordingSession()
