"""The carrier sandbox: one HTTP server answering in each provider's real format.

Standard library only, so it runs anywhere (``python3 carrier_connectors/sandbox``), in a
thread of a test, or in the docker-compose ``sandbox`` service. Each provider module in
``providers/`` declares ``ROUTES``: (method, path regex, handler). A handler gets a
``Request`` and the shared ``SandboxState`` and returns ``Response``.
"""

import logging
import random
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from . import (
    providers,  # noqa: F401 - importing registers every provider's routes
    scenarios,
)
from .core import ROUTES, Request, Response

_logger = logging.getLogger(__name__)


class SandboxState:
    """Scenario pins, per-number call counters and injected faults, shared by all threads."""

    def __init__(self, fail_rate=0.0, seed=0, timeout_delay=3.0, latency=0.0):
        self.lock = threading.Lock()
        self.pins = {}
        self.calls = Counter()
        self.fail_rate = fail_rate
        self.random = random.Random(seed)
        self.timeout_delay = timeout_delay
        # Seconds every carrier answer takes, as over a real network (benchmarks).
        self.latency = latency
        # Seconds every 429 asks the client to wait (Retry-After), whatever the provider's own
        # value; None keeps each provider's (benchmarks and tests of long waits set it).
        self.retry_after = None
        self.issued_tokens = set()
        self.requests = Counter()
        # When each number's timeline was first asked for: its events stay put afterwards, as a
        # real carrier's do, so polling twice gives the same events. Kept across reset(): a
        # parcel's history does not change when a test clears the counters.
        self.anchors = {}
        # Provider modules' own state (the stores' orders, packages and buyer claims), emptied by reset().
        self.extra = {}
        # Tracking numbers as read from URL paths (UPS, USPS), decoded: tests check the client escaped them.
        self.path_numbers = []
        self.revoked_for = set()

    def set_scenario(self, number, scenario):
        if scenario not in scenarios.SCENARIOS:
            raise ValueError(f"unknown scenario {scenario!r}; known: {', '.join(scenarios.SCENARIOS)}")
        with self.lock:
            self.pins[number] = scenario
            self.anchors.pop(number, None)

    def reset(self):
        with self.lock:
            self.pins.clear()
            self.calls.clear()
            self.requests.clear()
            self.issued_tokens.clear()
            self.extra.clear()
            self.path_numbers.clear()
            self.revoked_for.clear()

    def scenario(self, number):
        with self.lock:
            return self.pins.get(number) or scenarios.scenario_from_number(number)

    def fault(self, numbers):
        """The fault to answer for this call, or None. Counts the call for each number."""
        with self.lock:
            for number in numbers:
                self.calls[number] += 1
            injected = self.fail_rate and self.random.random() < self.fail_rate
            if injected:
                return self.random.choice([scenarios.RATE_LIMITED, scenarios.SERVER_ERROR])
        for number in numbers:
            scenario = self.scenario(number)
            if scenario in (scenarios.RATE_LIMITED, scenarios.SERVER_ERROR, scenarios.TIMEOUT, scenarios.MALFORMED):
                return scenario
            if scenario in scenarios.GENERIC_FAULTS:
                return scenario
            if scenario == scenarios.FLAKY_429 and self.calls[number] == 1:
                return scenarios.RATE_LIMITED
            if scenario == scenarios.FLAKY_500 and self.calls[number] == 1:
                return scenarios.SERVER_ERROR
        return None

    def tracking(self, number):
        """The timeline of a number, or None when the carrier does not know it."""
        scenario = self.scenario(number)
        if scenario == scenarios.NOT_FOUND:
            return None
        if scenario not in scenarios.TIMELINES:
            scenario = "in_transit"
        with self.lock:
            anchor = self.anchors.setdefault(number, scenarios.utcnow())
        return scenarios.build_tracking(number, scenario, now=anchor)

    def issue_token(self):
        token = f"sbx-{self.random.getrandbits(64):016x}"
        with self.lock:
            self.issued_tokens.add(token)
        return token

    def token_valid(self, authorization):
        token = (authorization or "").removeprefix("Bearer ").strip()
        with self.lock:
            return token in self.issued_tokens

    def token_revoked(self, numbers, authorization):
        """True once per ``token_expired`` number: its first call finds the token revoked (the carrier
        expired it early), so the client must get a new one."""
        token = (authorization or "").removeprefix("Bearer ").strip()
        with self.lock:
            for number in numbers:
                pinned = self.pins.get(number) or scenarios.scenario_from_number(number)
                if pinned == scenarios.TOKEN_EXPIRED and number not in self.revoked_for:
                    self.revoked_for.add(number)
                    self.issued_tokens.discard(token)
                    return True
        return False

    def note_path_number(self, number):
        with self.lock:
            self.path_numbers.append(number)

    def wait_for_timeout(self):
        time.sleep(self.timeout_delay)


def _admin(request, state):
    """``/_sandbox`` endpoints: health, pin scenarios, set the injected failure rate and the latency."""
    if request.path == "/_sandbox/health":
        return Response(200, {"status": "ok", "providers": sorted({r[3] for r in ROUTES})})
    if request.path == "/_sandbox/scenarios" and request.method == "POST":
        try:
            for number, scenario in (request.json() or {}).items():
                state.set_scenario(number, scenario)
        except (ValueError, AttributeError) as exc:
            return Response(400, {"error": str(exc)})
        return Response(200, {"pinned": state.pins})
    if request.path == "/_sandbox/reset" and request.method == "POST":
        state.reset()
        return Response(200, {"status": "reset"})
    if request.path == "/_sandbox/config" and request.method == "POST":
        config = request.json() or {}
        state.fail_rate = float(config.get("fail_rate", state.fail_rate))
        state.latency = float(config.get("latency", state.latency))
        if "retry_after" in config:
            state.retry_after = None if config["retry_after"] is None else float(config["retry_after"])
        return Response(200, {"fail_rate": state.fail_rate, "retry_after": state.retry_after, "latency": state.latency})
    if request.path == "/_sandbox/stats":
        return Response(200, {"requests": dict(state.requests)})
    # Anything else under /_sandbox/ may be a provider's own test control (``/_sandbox/<provider>/...``).
    return None


class Handler(BaseHTTPRequestHandler):
    server_version = "CarrierSandbox/1.0"
    protocol_version = "HTTP/1.1"
    # TCP_NODELAY, as web servers set it: the status line and headers, then the body, leave at
    # once. Without it the body waited for the client's delayed acknowledgement of the headers
    # (Nagle's algorithm), 40 ms added to every answer to a POST, which no carrier adds.
    disable_nagle_algorithm = True

    def log_message(self, format, *args):
        _logger.debug("sandbox: " + format, *args)

    def _handle(self):
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        request = Request(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=self.rfile.read(length) if length else b"",
        )
        state = self.server.state
        response = _admin(request, state) if request.path.startswith("/_sandbox/") else None
        if response is None:
            response = Response(404, {"error": f"no sandbox route for {request.method} {request.path}"})
            for method, pattern, handler, provider in ROUTES:
                match = pattern.match(request.path)
                if method == request.method and match:
                    with state.lock:
                        state.requests[provider] += 1
                    if state.latency:
                        time.sleep(state.latency)
                    try:
                        response = handler(request, state, **match.groupdict())
                    except Exception as exc:  # a sandbox bug must show, not hang the client
                        _logger.exception("sandbox handler failed")
                        response = Response(500, {"error": f"sandbox bug: {exc}"})
                    break
        if response.status == 429 and state.retry_after is not None:
            response.headers["Retry-After"] = str(int(state.retry_after))
        body = response.encode()
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that gave up (the timeout scenario) closes the socket under us: not an error.
        _logger.debug("sandbox: client %s went away", client_address)


class SandboxServer:
    """Start with ``SandboxServer().start()``; ``url`` is then the base URL of every provider."""

    def __init__(self, host="127.0.0.1", port=0, **state_options):
        self.httpd = _Server((host, port), Handler)
        self.httpd.state = self.state = SandboxState(**state_options)
        self.thread = None

    @property
    def url(self):
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="carrier-sandbox", daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def serve_forever(self):
        self.httpd.serve_forever()
