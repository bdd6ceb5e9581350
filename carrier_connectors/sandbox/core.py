"""What provider modules need from the sandbox: request, response, routes, credentials."""

import json
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs

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
