"""What the store sandboxes (Shopify, Amazon, eBay, Walmart) share: their in-memory orders and
buyer claims, scenario keywords in order references, and the ``/_sandbox/stores/...`` endpoints
tests use to seed and inspect them.

Any order reference is a known order, created on first use with two lines already shipped in one
parcel (the parcel that got lost). A keyword in the reference picks a scenario:
``REJECT`` (the store refuses the tracking number, in its own error format), ``OUTAGE`` (503 on
every call), ``RATELIMIT`` (429 on every call), ``FLAKY429`` (429 on the first call, then normal),
``NOTFOUND`` (no such order). State lives in ``SandboxState.extra`` and goes with ``/_sandbox/reset``.

- ``POST /_sandbox/stores/orders`` ``{"store": "ebay", "order": "12-345", "tracking_number": "X",
  "lines": 2}``: create an order with the given shipped number and number of lines (SKU-1, SKU-2,
  one unit each), or ``"lines": [{"sku": "TEAPOT", "quantity": 2}, ...]`` for lines of given SKUs
  and quantities; every line shipped in the one (lost) parcel.
- ``GET /_sandbox/stores/orders?store=ebay&order=12-345``: the order as the sandbox holds it
  (its packages / fulfillments / shipped lines), to check what a write-back did.
- ``POST /_sandbox/stores/claims`` ``{"store": "shopify", "claims": [{...}]}``: add buyer claims
  (Shopify disputes, eBay inquiries (``"type": "inquiry"``) or payment disputes), in the store's
  own field names; missing fields get defaults. A claim with the id of one already there replaces
  it (a claim that changed on the store: closed, won, ...).
- ``POST /_sandbox/stores/faults`` ``{"shopify:disputes": "flaky_429"}``: a scenario for an
  endpoint that has no order reference (claims lists, connection tests).
"""

import threading
from collections import Counter
from urllib.parse import urlsplit

from ..core import Response, route

REJECT, OUTAGE, RATE_LIMITED, FLAKY_429, NOT_FOUND = "reject", "outage", "rate_limited", "flaky_429", "not_found"
KEYWORDS = [("FLAKY429", FLAKY_429), ("RATELIMIT", RATE_LIMITED), ("OUTAGE", OUTAGE), ("REJECT", REJECT)]
KEYWORDS.append(("NOTFOUND", NOT_FOUND))
FAULTS = {REJECT, OUTAGE, RATE_LIMITED, FLAKY_429, NOT_FOUND}
# Accepted by every store sandbox, besides core.CREDENTIALS' client id and secret.
REFRESH_TOKEN = "sandbox-refresh"
SHOPIFY_TOKEN = "sandbox-shopify-token"


class StoreState:
    def __init__(self):
        self.lock = threading.Lock()
        self.orders = {}  # (store, order ref) → dict, each store module shapes its own
        self.claims = {}  # store → list of claims in the store's own format
        self.faults = {}  # "store:endpoint" → scenario
        self.calls = Counter()

    def order(self, store, ref, factory):
        with self.lock:
            key = (store, ref)
            if key not in self.orders:
                self.orders[key] = factory(ref)
            return self.orders[key]


def stores(state):
    with state.lock:
        return state.extra.setdefault("stores", StoreState())


def scenario(ref):
    upper = (ref or "").upper()
    return next((name for keyword, name in KEYWORDS if keyword in upper), None)


def fault_for(state, key, ref=None):
    """The fault to answer for this call (counted per key): outage, rate_limited (also the first
    call of flaky_429), not_found, reject, or None."""
    store_state = stores(state)
    with store_state.lock:
        store_state.calls[key] += 1
        count = store_state.calls[key]
        name = store_state.faults.get(key) or scenario(ref)
    if name == FLAKY_429:
        return RATE_LIMITED if count == 1 else None
    return name


def base_url(request):
    return f"http://{request.header('Host', '127.0.0.1')}"


def original_number(ref):
    """The number the lost parcel went out with, unless a test seeds another."""
    return "LOST" + "".join(ch for ch in ref.upper() if ch.isalnum())


def line_specs(lines):
    """``[{"sku", "quantity", "title"}]`` from a number of lines or a list of line specs."""
    if isinstance(lines, list):
        return [
            {
                "sku": str(spec.get("sku") or f"SKU-{i + 1}"),
                "quantity": int(spec.get("quantity") or 1),
                "title": spec.get("title") or f"Item {i + 1}",
            }
            for i, spec in enumerate(lines)
        ]
    return [{"sku": f"SKU-{i + 1}", "quantity": 1, "title": f"Item {i + 1}"} for i in range(int(lines or 2))]


# Handlers registered by each store module: (store → factory(ref, tracking_number, lines) and
# view(order)); the seeding endpoints below use them.
FACTORIES = {}
VIEWS = {}
CLAIM_DEFAULTS = {}


def _json_body(request):
    try:
        return request.json() or {}
    except ValueError:
        return None


@route("_sandbox", "POST", r"/_sandbox/stores/orders")
def seed_order(request, state):
    body = _json_body(request)
    if not isinstance(body, dict) or body.get("store") not in FACTORIES or not body.get("order"):
        return Response(400, {"error": f"give store (one of {', '.join(FACTORIES)}) and order"})
    store, ref = body["store"], str(body["order"])
    order = FACTORIES[store](ref, body.get("tracking_number") or original_number(ref), body.get("lines") or 2)
    store_state = stores(state)
    with store_state.lock:
        store_state.orders[(store, ref)] = order
    return Response(200, VIEWS[store](order))


@route("_sandbox", "GET", r"/_sandbox/stores/orders")
def inspect_order(request, state):
    store, ref = request.arg("store"), request.arg("order")
    if store not in FACTORIES or not ref:
        return Response(400, {"error": "give store and order"})
    order = stores(state).order(store, ref, lambda r: FACTORIES[store](r, original_number(r), 2))
    return Response(200, VIEWS[store](order))


@route("_sandbox", "POST", r"/_sandbox/stores/claims")
def seed_claims(request, state):
    body = _json_body(request)
    if not isinstance(body, dict) or body.get("store") not in CLAIM_DEFAULTS:
        return Response(400, {"error": f"give store (one of {', '.join(CLAIM_DEFAULTS)}) and claims"})
    store_state = stores(state)
    with store_state.lock:
        claims = store_state.claims.setdefault(body["store"], [])
        for claim in body.get("claims") or []:
            new = CLAIM_DEFAULTS[body["store"]](claim, len(claims))
            key = next(k for k in ("id", "inquiryId", "paymentDisputeId") if k in new)
            same = [i for i, old in enumerate(claims) if str(old.get(key)) == str(new[key])]
            if same:
                claims[same[0]] = new
            else:
                claims.append(new)
        return Response(200, {"claims": claims})


@route("_sandbox", "POST", r"/_sandbox/stores/faults")
def set_faults(request, state):
    body = _json_body(request)
    if not isinstance(body, dict) or any(v not in FAULTS for v in body.values()):
        return Response(400, {"error": f"scenarios: {', '.join(sorted(FAULTS))}"})
    store_state = stores(state)
    with store_state.lock:
        store_state.faults.update(body)
    return Response(200, {"faults": store_state.faults})


def claims_of(state, store):
    store_state = stores(state)
    with store_state.lock:
        return list(store_state.claims.get(store, []))


def path_of(url):
    return urlsplit(url).path
