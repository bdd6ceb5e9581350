"""Plain-Python HTTP base of every remote API client (carriers, stores, claims): one
``requests`` session, a timeout on every call, retries with backoff that honour
``Retry-After``, a per-account rate limit and an OAuth2 token cache.

No ORM here: a client is built from a dict of settings (see ``ApiClient.__init__``) so that it
runs in a thread of a cron, in a benchmark or in a test without a database.
"""

import hashlib
import logging
import math
import threading
import time
from collections import deque
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import requests

_logger = logging.getLogger(__name__)

# Error kinds, stored on the picking so users can filter on them.
ERROR_AUTH = "auth"
ERROR_NOT_FOUND = "not_found"
ERROR_RATE_LIMITED = "rate_limited"
ERROR_CARRIER_DOWN = "carrier_down"
ERROR_MALFORMED = "malformed"
ERROR_CONFIG = "config"
ERROR_KINDS = [
    (ERROR_AUTH, "Authentication failed"),
    (ERROR_NOT_FOUND, "Tracking number not found"),
    (ERROR_RATE_LIMITED, "Rate limited"),
    (ERROR_CARRIER_DOWN, "Carrier unreachable"),
    (ERROR_MALFORMED, "Malformed answer"),
    (ERROR_CONFIG, "Configuration error"),
]


class ApiError(Exception):
    """A failure talking to a remote API, with a kind users can act on."""

    def __init__(self, kind, message, retry_after=None):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.retry_after = retry_after

    def __str__(self):
        return self.message


class BodyError(ApiError):
    """A transient refusal a gateway reports inside a 200 answer (SF Express, 4PX): retried by
    ``ApiClient._with_body_retries`` like an HTTP 429/5xx."""


class OutOfTime(Exception):
    """Raised instead of waiting for the rate limit past the caller's deadline: the call was not
    made, and the numbers it was for are to be asked in a later run."""


class RateLimiter:
    """Token bucket shared by every client of one account, thread-safe."""

    _buckets = {}
    _buckets_lock = threading.Lock()

    def __init__(self, rate_per_second, burst=None):
        self.rate = rate_per_second
        self.capacity = burst or max(1.0, rate_per_second)
        self.tokens = self.capacity
        self.updated = time.monotonic()
        self.lock = threading.Lock()

    @classmethod
    def for_key(cls, key, rate_per_second):
        with cls._buckets_lock:
            bucket = cls._buckets.get(key)
            if bucket is None or bucket.rate != rate_per_second:
                bucket = cls._buckets[key] = cls(rate_per_second)
            return bucket

    @classmethod
    def calls_within(cls, key, rate_per_second, seconds):
        """How many calls the account of ``key`` may still make in the next ``seconds``: the tokens
        its bucket holds now (a full bucket when it has made none) plus what refills meanwhile."""
        with cls._buckets_lock:
            bucket = cls._buckets.get(key)
        if bucket is None or bucket.rate != rate_per_second:
            bucket = cls(rate_per_second)
        with bucket.lock:
            tokens = min(bucket.capacity, bucket.tokens + (time.monotonic() - bucket.updated) * bucket.rate)
        return tokens + rate_per_second * max(0.0, seconds)

    def acquire(self, sleep=time.sleep, deadline=None):
        """Take one call's token, waiting for it; raise ``OutOfTime`` rather than wait past
        ``deadline`` (a ``time.monotonic()`` value)."""
        while True:
            with self.lock:
                now = time.monotonic()
                self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
                self.updated = now
                if self.tokens >= 1:
                    self.tokens -= 1
                    return
                wait = (1 - self.tokens) / self.rate
            if deadline is not None and now + wait > deadline:
                raise OutOfTime(f"the next call is allowed in {wait:.1f} s, after the deadline")
            sleep(wait)


class SharedRateLimiter:
    """The rate limit of one account shared by every process that calls its API (the cron and
    HTTP workers of one Odoo server, several servers on one database): call slots are reserved a
    block at a time from a timeline all processes see, then handed out in order to this process's
    threads.

    ``reserve(count, burst_seconds)`` books ``count`` calls, ``1 / rate`` apart, on the account's
    timeline (a generic cell rate algorithm: the timeline never lags the clock by more than
    ``burst_seconds``, the bucket's burst) and returns the seconds from now until the first of
    them: negative when the account was idle (the burst), positive when other processes booked
    ahead. ``peek(burst_seconds)``: the same wait for the next call, booking nothing.
    ``carrier.api.throttle`` keeps that timeline in PostgreSQL, on PostgreSQL's clock.

    A block is a quarter of a second of calls (at least one): a process books no more than it is
    about to use, and a slot left unused (the process went idle) is dropped once stale rather
    than spent late, which would put more than the limit into the carrier's window.
    """

    _limiters = {}
    _limiters_lock = threading.Lock()
    block_seconds = 0.25
    stale_seconds = 1.0  # a slot this far past its time is not used any more

    def __init__(self, rate_per_second, reserve, peek):
        self.rate = rate_per_second
        self.capacity = max(1.0, rate_per_second)  # the same burst as ``RateLimiter``
        self.burst_seconds = (self.capacity - 1) / rate_per_second
        self.block = max(1, int(rate_per_second * self.block_seconds))
        self.reserve, self.peek = reserve, peek
        self.slots = deque()  # ``time.monotonic()`` values at which a booked call may be made
        self.lock = threading.Lock()

    @classmethod
    def for_key(cls, key, rate_per_second, reserve, peek):
        """The limiter of ``key`` in this process, shared by its threads (a new one when the rate
        changed: the slots booked at the old rate are dropped)."""
        with cls._limiters_lock:
            limiter = cls._limiters.get(key)
            if limiter is None or limiter.rate != rate_per_second:
                limiter = cls._limiters[key] = cls(rate_per_second, reserve, peek)
            return limiter

    def _fresh_slots(self, now):
        while self.slots and self.slots[0] < now - self.burst_seconds - self.stale_seconds:
            self.slots.popleft()
        return self.slots

    def acquire(self, sleep=time.sleep, deadline=None):
        """Take the next booked slot (booking a block when none is left) and wait for its time;
        raise ``OutOfTime``, keeping the slot for a later call, when its time is past
        ``deadline`` (a ``time.monotonic()`` value)."""
        with self.lock:
            now = time.monotonic()
            if not self._fresh_slots(now):
                start = now + self.reserve(self.block, self.burst_seconds)
                self.slots.extend(start + index / self.rate for index in range(self.block))
            at = self.slots[0]
            if deadline is not None and at > deadline:
                raise OutOfTime(f"the next call is allowed in {at - now:.1f} s, after the deadline")
            self.slots.popleft()
        if at - now > 1e-3:
            sleep(at - now)

    def calls_within(self, seconds):
        """How many calls this process may make in the next ``seconds``: the slots it booked and
        what the shared timeline allows after them (``RateLimiter.calls_within``'s figure for a
        limit shared with other processes, which book from the same timeline meanwhile)."""
        with self.lock:
            now = time.monotonic()
            booked = sum(1 for at in self._fresh_slots(now) if at <= now + seconds)
        # Seconds until the timeline's next call: at most the burst's length ago when the account
        # has been idle (that many calls at once, as a full bucket), ahead when others booked.
        wait = self.peek(self.burst_seconds)
        if wait <= 0:
            return booked + min(self.capacity, 1 + math.floor(-wait * self.rate + 1e-9)) + self.rate * seconds
        return booked + self.rate * max(0.0, seconds - wait)


class TokenCache:
    """OAuth2 access tokens by (token URL, client id), kept until shortly before expiry."""

    _tokens = {}
    _lock = threading.Lock()

    @classmethod
    def get(cls, key):
        with cls._lock:
            token, expires = cls._tokens.get(key, (None, 0))
        return token if token and expires > time.time() else None

    @classmethod
    def put(cls, key, token, expires_in):
        # Refresh a minute early so a token never expires between check and use.
        with cls._lock:
            cls._tokens[key] = (token, time.time() + max(int(expires_in or 0) - 60, 30))

    @classmethod
    def drop(cls, key):
        with cls._lock:
            cls._tokens.pop(key, None)


def new_session(base_url=""):
    """An HTTP session for the API at ``base_url``.

    The environment (``HTTPS_PROXY``, ``NO_PROXY``, ``REQUESTS_CA_BUNDLE``) is read once, for that
    address, when the session is made, instead of on every request (requests' ``trust_env``: a
    fifth of the processor time a call costs, 0.2 ms). ``~/.netrc`` is not read: each client sends
    its API's credentials itself, and requests would let a netrc entry for the host replace them
    (it overrides an ``Authorization`` header)."""
    session = requests.Session()
    if base_url:
        settings = session.merge_environment_settings(base_url, {}, None, None, None)
        session.proxies.update(settings["proxies"])
        session.verify = settings["verify"]
        session.trust_env = False
    return session


class ApiClient:
    """HTTP to one remote API on behalf of one account.

    Subclasses set ``label``, ``default_base_url``, ``default_rate_limit`` and
    ``credential_fields``, and either ``_auth_headers`` or the OAuth2 hooks (``token_path``,
    ``_token_request``). ``_request`` raises ``ApiError`` with a kind for every failure:
    connection, timeout, 401/403, 429 and 5xx (retried first), other 4xx; a 404 comes back as
    the response, as for most APIs it answers "no such thing", not "wrong URL".
    """

    provider = None
    label = None
    default_base_url = None
    default_rate_limit = 5.0  # calls per second
    credential_fields = ()
    # One number, not a (connect, read) pair: Odoo's test harness compares it with an int.
    timeout = 20.0
    # Carrier answers have no size cap of their own: past this many bytes (decoded) an answer is
    # not read further and fails as malformed. Real tracking answers are a few kB to a few 100 kB.
    max_response_bytes = 5 * 1024 * 1024
    max_attempts = 4
    backoff_base = 0.5
    backoff_max = 30.0

    def __init__(
        self,
        base_url=None,
        credentials=None,
        rate_limit=None,
        account_key=None,
        limiter=None,
        session=None,
        sleep=time.sleep,
        timeout=None,
        max_attempts=None,
        max_retry_wait=None,
        deadline=None,
    ):
        self.base_url = (base_url or self.default_base_url or "").rstrip("/")
        self.credentials = dict(credentials or {})
        self.session = session or new_session(self.base_url)
        self.sleep = sleep
        if timeout is not None:
            self.timeout = timeout
        if max_attempts is not None:
            self.max_attempts = max_attempts
        # A caller with other work to do (the polling cron) sets this: a Retry-After longer than
        # it is not slept through but raised at once, with the wait, so the caller requeues.
        self.max_retry_wait = max_retry_wait
        # A caller with a time budget (the polling cron) sets this ``time.monotonic()`` value: a
        # call the rate limit allows only after it is not made (``OutOfTime``).
        self.deadline = deadline
        # ``limiter``: the account's rate limit shared between processes (``SharedRateLimiter``,
        # what Odoo's accounts pass); else one bucket per ``account_key`` in this process.
        key = account_key or (self.provider, self.base_url, self.credentials.get(self._identity_field(), ""))
        self.limiter = limiter or RateLimiter.for_key(key, rate_limit or self.default_rate_limit)
        missing = [name for name in self.credential_fields if not self.credentials.get(name)]
        if missing:
            raise ApiError(ERROR_CONFIG, f"{self.label}: missing credentials: {', '.join(missing)}")

    def _identity_field(self):
        return self.credential_fields[0] if self.credential_fields else "api_key"

    def redact(self, text):
        """``text`` with this account's credentials and cached access token masked, for logs and errors."""
        secrets = [str(value) for value in self.credentials.values() if value and len(str(value)) >= 4]
        if self.token_path:
            token = TokenCache.get(self._token_key())
            secrets += [token] if token else []
        for secret in sorted(secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        return text

    def _auth_headers(self):
        return {}

    # ------------------------------------------------------------------ OAuth2
    # Client credentials: subclasses that need it set token_path and may override
    # _token_request to match their provider's handshake.
    token_path = None

    def _token_key(self):
        # The secret is part of the key (hashed): a token got with an old secret must not hide a wrong new one.
        secret = hashlib.sha256((self.credentials.get("client_secret") or "").encode()).hexdigest()[:16]
        return (self.base_url + (self.token_path or ""), self.credentials.get("client_id", ""), secret)

    def _access_token(self):
        token = TokenCache.get(self._token_key())
        if token:
            return token
        response = self._send("POST", self.token_path, auth_request=True, **self._token_request())
        payload = self._json(response)
        token = payload.get("access_token")
        if not token:
            raise ApiError(ERROR_AUTH, f"{self.label}: the token endpoint gave no access token")
        TokenCache.put(self._token_key(), token, payload.get("expires_in", 3600))
        return token

    def _token_request(self):
        return {
            "data": {
                "grant_type": "client_credentials",
                "client_id": self.credentials.get("client_id"),
                "client_secret": self.credentials.get("client_secret"),
            }
        }

    def _bearer_headers(self):
        return {"Authorization": f"Bearer {self._access_token()}"}

    # ------------------------------------------------------------------- HTTP
    def _request(self, method, path, headers=None, **kwargs):
        """Send an authenticated request; on 401 refresh an OAuth2 token once and resend."""
        for attempt in (1, 2):
            merged = {**self._auth_headers(), **(headers or {})}
            try:
                return self._send(method, path, headers=merged, **kwargs)
            except ApiError as exc:
                if exc.kind != ERROR_AUTH or not self.token_path or attempt == 2:
                    raise
                TokenCache.drop(self._token_key())

    def _send(self, method, path, auth_request=False, **kwargs):
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        kwargs.setdefault("timeout", self.timeout)
        attempt = 0
        while True:
            attempt += 1
            self.limiter.acquire(self.sleep, deadline=self.deadline)
            retry_after = None
            try:
                response = self.session.request(method, url, stream=True, **kwargs)
                self._read_body(response)
            except requests.Timeout:
                error = ApiError(ERROR_CARRIER_DOWN, f"{self.label}: no answer within {self.timeout}s")
            except requests.RequestException as exc:
                error = ApiError(
                    ERROR_CARRIER_DOWN, f"{self.label}: cannot connect to {self.base_url} ({exc.__class__.__name__})"
                )
            else:
                if response.status_code < 400 or response.status_code == 404:
                    return response
                error = self._error_from_response(response, auth_request)
                retry_after = error.retry_after
            retryable = error.kind in (ERROR_CARRIER_DOWN, ERROR_RATE_LIMITED)
            if not retryable or attempt >= self.max_attempts:
                raise error
            delay = retry_after if retry_after is not None else self.backoff_base * 2 ** (attempt - 1)
            if self.max_retry_wait is not None and retry_after is not None and retry_after > self.max_retry_wait:
                raise error
            _logger.info("%s: %s, retry %s/%s in %.1fs", self.label, error, attempt, self.max_attempts - 1, delay)
            self.sleep(min(delay, self.backoff_max))

    def _read_body(self, response):
        """Read the answer into ``response.content``, at most ``max_response_bytes``."""
        limit = self.max_response_bytes
        declared = response.headers.get("Content-Length") or ""
        chunks, size = [], 0
        try:
            if declared.isdigit() and int(declared) > limit:
                size = int(declared)
            else:
                for chunk in response.iter_content(chunk_size=64 * 1024):
                    size += len(chunk)
                    if size > limit:
                        break
                    chunks.append(chunk)
        finally:
            if size > limit:
                response.close()
        if size > limit:
            raise ApiError(
                ERROR_MALFORMED,
                f"{self.label}: answer larger than {limit // (1024 * 1024)} MB (HTTP {response.status_code}), not read",
            )
        response._content = b"".join(chunks)
        response._content_consumed = True

    def _with_body_retries(self, call):
        """Run ``call`` again with backoff while it raises BodyError, at most max_attempts times."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return call()
            except BodyError as exc:
                if attempt >= self.max_attempts:
                    raise ApiError(exc.kind, exc.message) from None
            self.sleep(min(self.backoff_base * 2 ** (attempt - 1), self.backoff_max))

    def _error_from_response(self, response, auth_request=False):
        code = response.status_code
        detail = self._error_detail(response)
        if code == 429:
            return ApiError(
                ERROR_RATE_LIMITED,
                f"{self.label}: rate limited (HTTP 429){detail}",
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
        if code in (401, 403) or (auth_request and code == 400):
            return ApiError(ERROR_AUTH, f"{self.label}: authentication failed (HTTP {code}){detail}")
        if code >= 500:
            return ApiError(
                ERROR_CARRIER_DOWN,
                f"{self.label}: server error (HTTP {code}){detail}",
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
        return ApiError(ERROR_MALFORMED, f"{self.label}: request refused (HTTP {code}){detail}")

    def _error_detail(self, response):
        try:
            payload = response.json()
        except ValueError:
            return ""
        text = find_message(payload)
        # A remote API may quote what it was sent (a wrong key echoed back): never pass it on.
        return f": {self.redact(str(text))}" if text else ""

    def _json(self, response):
        if not response.content.strip():
            raise ApiError(ERROR_MALFORMED, f"{self.label}: empty answer (HTTP {response.status_code})")
        try:
            return response.json()
        except ValueError as exc:
            kind = (response.headers.get("Content-Type") or "no content type").split(";")[0]
            raise ApiError(
                ERROR_MALFORMED, f"{self.label}: the answer is not JSON (HTTP {response.status_code}, {kind})"
            ) from exc


def find_message(payload, depth=0):
    """First human-readable error text in a JSON error body, whatever its shape."""
    if depth > 4:
        return ""
    if isinstance(payload, dict):
        for key in ("detail", "message", "error_description", "errorMessage", "title", "meta"):
            value = payload.get(key)
            if isinstance(value, str) and value:
                return value
            if isinstance(value, (dict, list)):
                found = find_message(value, depth + 1)
                if found:
                    return found
        for value in payload.values():
            if isinstance(value, (dict, list)):
                found = find_message(value, depth + 1)
                if found:
                    return found
    elif isinstance(payload, list):
        for item in payload:
            found = find_message(item, depth + 1)
            if found:
                return found
    return ""


def parse_retry_after(value):
    """Seconds to wait from a Retry-After header (seconds or HTTP date)."""
    if not value:
        return None
    if value.strip().replace(".", "", 1).isdigit():
        return max(0.0, float(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
