"""The poll's carrier calls (``clients.calls.TrackingCalls``): each account at its own number of
requests in flight, a slow account never holding the threads another needs, every chunk handed
back as soon as it is answered, and every parcel asked about accounted for."""

import http.server
import threading
import time

import pytest
import requests
from clients import status as st
from clients.base import ERROR_MALFORMED, TrackingResult
from clients.calls import TrackingCalls
from clients.registry import get_client_class

from ..conftest import PROVIDERS, scenario_number


class FakeClient:
    """A carrier client whose ``track`` is given per test (no HTTP: the pool is under test here)."""

    label = "Fake"
    answer = None

    def __init__(self, **options):
        self.options = options

    def track(self, numbers):
        return type(self).answer(numbers)


def client_class(answer):
    return type("Client", (FakeClient,), {"answer": staticmethod(answer)})


def in_transit(numbers):
    return {n: TrackingResult(tracking_number=n, status=st.IN_TRANSIT) for n in numbers}


def plan(account_id, client_cls, numbers, size=1, limit=1, options=None):
    """What ``_prepare_tracking_calls`` plans: one task per ``size`` numbers, picking id = index."""
    by_number = {number: [account_id * 1000 + i] for i, number in enumerate(numbers)}
    tasks = [
        (account_id, client_cls, options or {}, by_number, numbers[i : i + size]) for i in range(0, len(numbers), size)
    ]
    return {"results": {}, "tasks": tasks, "limits": {account_id: limit}}


def test_a_blocked_account_does_not_hold_the_threads_of_another():
    release = threading.Event()
    in_flight, most = [0], [0]
    lock = threading.Lock()

    def slow(numbers):
        with lock:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
        release.wait(10)
        with lock:
            in_flight[0] -= 1
        return in_transit(numbers)

    with TrackingCalls(max_threads=2) as calls:
        # Two threads, the slow account first in line with five chunks and one request at a time.
        calls.add(plan(1, client_class(slow), [f"S{i}" for i in range(5)], limit=1))
        calls.add(plan(2, client_class(in_transit), [f"F{i}" for i in range(10)], limit=1))
        answered, started = [], time.monotonic()
        while len(answered) < 10 and time.monotonic() - started < 5:
            answered += calls.collect(timeout=0.5)
        fast = {pid for asked, _found in answered for pid in asked}
        assert fast == {2000 + i for i in range(10)}, "the fast account's chunks wait behind the blocked account"
        assert calls.backlog[1] == 5 and calls.backlog[2] == 0
        release.set()
        while calls.busy() or answered:
            answered = calls.collect()
    assert most[0] == 1, "the slow account had more requests in flight than its limit"
    assert calls.backlog[1] == 0


def test_each_chunk_comes_back_with_the_parcels_it_asked_about():
    def fails_on_b(numbers):
        if "B" in numbers:
            raise OverflowError("date value out of range")
        return in_transit(numbers)

    deadline = time.monotonic() - 1  # already passed: the third account is not asked at all
    with TrackingCalls(max_threads=4) as calls:
        calls.add(plan(1, client_class(fails_on_b), ["A", "B", "C", "D"], size=2, limit=2))
        calls.add(plan(3, client_class(in_transit), ["E"], options={"deadline": deadline}))
        answered = []
        while chunk := calls.collect():
            answered += chunk
    found = {pid: result for _asked, results in answered for pid, result in results.items()}
    asked = sorted(pid for ids, _results in answered for pid in ids)
    assert asked == [1000, 1001, 1002, 1003, 3000]
    assert found[1000].error_kind == ERROR_MALFORMED and "OverflowError" in found[1000].error
    assert found[1001].error_kind == ERROR_MALFORMED  # the whole chunk of B
    assert found[1002].status == st.IN_TRANSIT and found[1003].status == st.IN_TRANSIT
    assert 3000 not in found  # not asked before the deadline: no result, given back due by the poll


# ----------------------------------------------------------------- the calls' HTTP sessions
def ask_in_pool(sandbox, provider, numbers, base_url=None):
    """``numbers`` asked as the poll asks them: one chunk through ``TrackingCalls`` (threads of
    its own, hence sessions made for this call), with the options the account would give."""
    credentials, _prefix = PROVIDERS[provider]
    options = {"base_url": base_url or sandbox.url, "credentials": credentials, "rate_limit": 1000}
    task = plan(7, get_client_class(provider), numbers, size=len(numbers), options=options)
    with TrackingCalls(max_threads=1) as calls:
        calls.add(task)
        answered = []
        while calls.busy() or not answered:
            answered += calls.collect(timeout=5)
    return {pid: result for _asked, found in answered for pid, result in found.items()}


def test_a_netrc_entry_for_the_carriers_host_does_not_replace_the_clients_credentials(sandbox, tmp_path, monkeypatch):
    # requests applies a ~/.netrc entry for the host over an Authorization header: FedEx's OAuth
    # bearer token would be replaced by the entry's login and refused.
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password something\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    found = ask_in_pool(sandbox, "fedex", [scenario_number("fedex", "INTRANSIT")])
    assert [(r.ok, r.status, r.error) for r in found.values()] == [(True, st.IN_TRANSIT, "")]


class ForwardingProxy(http.server.BaseHTTPRequestHandler):
    """A plain HTTP proxy: forwards the absolute URL it is asked for and keeps what it forwarded."""

    protocol_version = "HTTP/1.1"
    seen = []

    def _forward(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).seen.append(self.path)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "proxy-connection")}
        with requests.Session() as session:
            session.trust_env = False
            answer = session.request(self.command, self.path, headers=headers, data=body, timeout=10)
        self.send_response(answer.status_code)
        self.send_header("Content-Type", answer.headers.get("Content-Type", "application/json"))
        self.send_header("Content-Length", str(len(answer.content)))
        self.end_headers()
        self.wfile.write(answer.content)

    do_GET = do_POST = _forward

    def log_message(self, *args):
        pass


@pytest.fixture
def forwarding_proxy():
    ForwardingProxy.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), ForwardingProxy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_calls_go_through_the_proxy_the_environment_names_and_not_where_no_proxy_says(
    sandbox, forwarding_proxy, monkeypatch
):
    # The environment is read once per session, for the account's address: still honoured.
    number = scenario_number("aftership", "INTRANSIT")
    monkeypatch.setenv("HTTP_PROXY", forwarding_proxy)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    found = ask_in_pool(sandbox, "aftership", [number])
    assert [r.status for r in found.values()] == [st.IN_TRANSIT]
    assert ForwardingProxy.seen and all(path.startswith(sandbox.url) for path in ForwardingProxy.seen)

    ForwardingProxy.seen.clear()
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    found = ask_in_pool(sandbox, "aftership", [number])
    assert [r.status for r in found.values()] == [st.IN_TRANSIT]
    assert ForwardingProxy.seen == [], "a host NO_PROXY names was asked through the proxy"
