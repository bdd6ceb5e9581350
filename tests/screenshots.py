"""Take the README's screenshots from a running demo (bash tests/demo.sh, or any Odoo with
the demo data), with headless Chromium driven over the DevTools protocol.

    python3 tests/screenshots.py [--url http://127.0.0.1:8069] [--db lost_parcel_demo]
                                 [--out REPOSITORY]

Logs in as admin/admin through JSON-RPC, hands the session cookie to Chromium, opens each
screen, waits until Odoo has drawn it, and saves a PNG (reduced to a palette when large).
Needs: chromium, requests, websocket-client (requirements.txt) and Pillow (an Odoo dependency).
"""

import argparse
import base64
import io
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
import websocket
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
WIDTH, HEIGHT = 1400, 900
MAX_BYTES = 300 * 1024
# Addon whose Apps page shows it, name, Odoo URL ({case}, {picking}, {portal} filled in), what must
# be on the page once drawn, and what to click first (a notebook tab).
ACTION = "/odoo/action-lost_parcel_reship.action_lost_parcel_case"
REPORT = "/odoo/action-lost_parcel_reship.action_lost_parcel_shipment_report"
SCREENS = [
    ("lost_parcel_reship", "review_queue", ACTION, ".o_list_view .o_data_row", None),
    ("lost_parcel_reship", "case_form", ACTION + "/{case}", ".o_form_view .o-mail-Chatter", None),
    ("lost_parcel_reship", "case_kanban", ACTION + "?view_type=kanban", ".o_kanban_record", None),
    (
        "lost_parcel_reship",
        "carrier_scorecards",
        "/odoo/action-lost_parcel_reship.action_lost_parcel_carrier_scorecard",
        ".o_kanban_record",
        None,
    ),
    ("lost_parcel_reship", "carrier_report", REPORT, ".o_pivot table", None),
    ("lost_parcel_reship", "carrier_report_graph", REPORT + "?view_type=graph", ".o_graph_renderer canvas", None),
    ("lost_parcel_reship", "portal_case", "{portal}", "main", None),
    (
        "carrier_connectors",
        "delivery_tracking",
        "/odoo/action-stock.action_picking_tree_all/{picking}",
        ".o_form_view .o_notebook",
        "a[name=carrier_tracking]",
    ),
    (
        "carrier_connectors",
        "tracking_accounts",
        "/odoo/action-carrier_connectors.action_carrier_tracking_account",
        ".o_list_view .o_data_row",
        None,
    ),
]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def call(session, url, model, method, *args, **kwargs):
    answer = session.post(
        f"{url}/web/dataset/call_kw",
        json={
            "jsonrpc": "2.0",
            "method": "call",
            "params": {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        },
        timeout=60,
    ).json()
    if "error" in answer:
        raise RuntimeError(answer["error"]["data"]["message"])
    return answer["result"]


def login(url, db, user, password):
    session = requests.Session()
    answer = session.post(
        f"{url}/web/session/authenticate",
        json={"jsonrpc": "2.0", "method": "call", "params": {"db": db, "login": user, "password": password}},
        timeout=60,
    ).json()
    if "error" in answer:
        sys.exit(f"screenshots: cannot log in to {url} ({db}): {answer['error']['data']['message']}")
    return session


class Chrome:
    """Just enough DevTools protocol: navigate, evaluate, capture."""

    def __init__(self):
        binary = shutil.which("chromium") or shutil.which("google-chrome") or shutil.which("chromium-browser")
        if not binary:
            sys.exit("screenshots: no Chromium on PATH")
        self.profile = tempfile.mkdtemp(prefix="lpr-shots-")
        port = free_port()
        self.proc = subprocess.Popen(
            [
                binary,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--window-size={WIDTH},{HEIGHT}",
                f"--remote-debugging-port={port}",
                f"--user-data-dir={self.profile}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _attempt in range(100):
            try:
                targets = requests.get(f"http://127.0.0.1:{port}/json", timeout=2).json()
                page = next(t for t in targets if t["type"] == "page")
                break
            except (requests.RequestException, StopIteration):
                time.sleep(0.2)
        else:
            self.close()
            sys.exit("screenshots: Chromium did not start")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60, suppress_origin=True)
        self.next_id = 0
        self.send("Page.enable")
        self.send("Emulation.setDeviceMetricsOverride", width=WIDTH, height=HEIGHT, deviceScaleFactor=1, mobile=False)

    def send(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression):
        return self.send("Runtime.evaluate", expression=expression, returnByValue=True)["result"].get("value")

    def open(self, url, ready, click=None, timeout=180):
        self.send("Page.navigate", url=url)
        deadline = time.time() + timeout
        check = f"!!document.querySelector({json.dumps(ready)})"
        while time.time() < deadline:
            if self.evaluate(check):
                if click:
                    time.sleep(0.5)
                    self.evaluate(f"document.querySelector({json.dumps(click)}).click()")
                # Let charts animate and fonts settle.
                time.sleep(1.5)
                return
            time.sleep(0.3)
        where = self.evaluate("document.location.href + ' | ' + document.title")
        raise RuntimeError(f"{url}: nothing matching {ready!r} after {timeout}s (on {where})")

    def capture(self):
        return base64.b64decode(self.send("Page.captureScreenshot", format="png")["data"])

    def close(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        shutil.rmtree(self.profile, ignore_errors=True)


def small_png(data):
    """The PNG as is when small enough, else reduced to 256 colours (UI screens lose nothing visible)."""
    if len(data) <= MAX_BYTES:
        return data
    image = Image.open(io.BytesIO(data)).convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8069")
    parser.add_argument("--db", default="lost_parcel_demo")
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--out", default=str(REPO), help="the repository the addons' static/description are in")
    args = parser.parse_args()
    url = args.url.rstrip("/")
    session = login(url, args.db, args.login, args.password)
    # The case shown: a reshipped one with a claim, the richest chatter of the demo.
    cases = call(
        session,
        url,
        "lost.parcel.case",
        "search_read",
        [("state", "=", "reshipped"), ("claim_count", ">", 0)],
        ["id"],
        limit=1,
    ) or call(session, url, "lost.parcel.case", "search_read", [("state", "=", "reshipped")], ["id"], limit=1)
    case_id = cases[0]["id"]
    portal = call(session, url, "lost.parcel.case", "read", [case_id], ["access_url", "access_token"])[0]
    token = portal["access_token"]
    portal_path = portal["access_url"] + (f"?access_token={token}" if token else "")
    case = call(session, url, "lost.parcel.case", "read", [case_id], ["picking_id"])[0]
    picking_id = case["picking_id"][0]
    chrome = Chrome()
    try:
        chrome.send("Network.enable")
        chrome.send(
            "Network.setCookie",
            name="session_id",
            value=session.cookies["session_id"],
            url=url,
            path="/",
        )
        for addon, name, path, ready, click in SCREENS:
            path = path.format(case=case_id, picking=picking_id, portal=portal_path)
            chrome.open(url + path, ready, click)
            data = small_png(chrome.capture())
            target = Path(args.out) / addon / "static" / "description" / f"{name}.png"
            target.write_bytes(data)
            print(f"{target.relative_to(args.out)}  {len(data) // 1024} KB  {path}")
    finally:
        chrome.close()


if __name__ == "__main__":
    main()
