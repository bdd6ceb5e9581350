"""What provider modules need from the sandbox: request, response, routes, credentials."""

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import parse_qs

from . import scenarios as sc

ROUTES = []

# Credentials the sandbox accepts; every provider module reads them from here.
CREDENTIALS = {
    "api_key": "sandbox-key",
    "client_id": "sandbox-client",
    "client_secret": "sandbox-secret",
    "partner_id": "sandbox-partner",
    "checkword": "sandbox-checkword",
    "app_key": "sandbox-app",
    "app_secret": "sandbox-app-secret",
    "webhook_secret": "sandbox-webhook-secret",
}


@dataclass
class Request:
    method: str
    path: str
    query: dict
    headers: dict
    body: bytes

    def arg(self, name, default=None):
        values = self.query.get(name)
        return values[0] if values else default

    def header(self, name, default=None):
        return self.headers.get(name.lower(), default)

    def json(self):
        return json.loads(self.body.decode() or "null")

    def form(self):
        return {key: values[0] for key, values in parse_qs(self.body.decode(), keep_blank_values=True).items()}


@dataclass
class Response:
    status: int = 200
    body: object = None  # dict/list → JSON; str/bytes as they are
    headers: dict = field(default_factory=dict)
    content_type: str = "application/json"

    def encode(self):
        if isinstance(self.body, (dict, list)):
            return json.dumps(self.body).encode()
        if isinstance(self.body, str):
            return self.body.encode()
        return self.body or b""


def route(provider, method, path):
    """Decorator for provider handlers: ``@route("dhl", "GET", r"/track/shipments")``."""

    def decorator(func):
        ROUTES.append((method, re.compile(f"^{path}$"), func, provider))
        return func

    return decorator


@lru_cache(maxsize=1)
def _huge_body():
    # Valid JSON, so only a size cap can stop a client from reading it all.
    return json.dumps({"padding": "x" * sc.HUGE_BODY_BYTES}).encode()


def generic_fault(fault):
    """The answer to a fault every provider gives the same way (sc.GENERIC_FAULTS), or None."""
    if fault == sc.BAD_JSON:
        return Response(200, '{"status": "ok", "data": [{"number": "')
    if fault == sc.HTML_BODY:
        page = "<!DOCTYPE html><html><head><title>503</title></head><body>Service maintenance</body></html>"
        return Response(200, page, content_type="text/html; charset=utf-8")
    if fault == sc.EMPTY_BODY:
        return Response(200, b"")
    if fault == sc.HUGE_BODY:
        return Response(200, _huge_body())
    return None
