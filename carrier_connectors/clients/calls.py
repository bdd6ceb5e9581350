"""The carrier calls of one poll, made in threads as parcels are claimed (no ORM here).

``stock.picking._prepare_tracking_calls`` plans the calls (one task per chunk of numbers the
provider takes in one request); ``TrackingCalls`` makes them in a thread pool, each account keeping
to its own number of requests in flight (a task starts when one of its account's slots is free, so
no thread waits on another account's limit), and hands back each finished chunk as soon as it is
answered. The poll stores answers while the next calls run, and tops an account's queue up before
it runs dry: each carrier is asked continuously, at the pace its rate limit allows.
"""

import logging
import queue
import threading
import time
import traceback
from collections import Counter, deque
from concurrent.futures import ThreadPoolExecutor

from .api import OutOfTime, new_session
from .base import ERROR_MALFORMED, CarrierError, TrackingResult

_logger = logging.getLogger(__name__)

# Each pool thread keeps one HTTP session per account, so that the connection to a carrier is
# reused from one call to the next (keep-alive), and no cookie goes from one account to another.
_thread = threading.local()


def account_session(account_id, base_url=""):
    """This thread's HTTP session for the account (``new_session``), made on its first call."""
    sessions = getattr(_thread, "sessions", None)
    if sessions is None:
        sessions = _thread.sessions = {}
    if account_id not in sessions:
        sessions[account_id] = new_session(base_url)
    return sessions[account_id]


class TrackingCalls:
    """Carrier calls in flight. Use as a context manager (the threads end with it).

    - ``add(calls)``: queue the tasks planned by ``_prepare_tracking_calls`` (``{"results": {picking
      id: failure known before any call}, "tasks": [(account id, client class, options, {number:
      [picking ids]}, chunk)], "limits": {account id: requests in flight}}``);
    - ``collect(timeout)``: the chunks answered since the last call, as (picking ids asked about,
      {picking id: TrackingResult}); a chunk not asked in time (deadline) has ids and no result;
    - ``backlog``: {account id: numbers queued or being asked}; ``busy()``: anything left.
    """

    def __init__(self, max_threads):
        self.pool = ThreadPoolExecutor(max_workers=max_threads, thread_name_prefix="tracking")
        self.lock = threading.Lock()
        self.waiting = {}
        self.running = Counter()
        self.limits = {}
        self.backlog = Counter()
        self.done = queue.Queue()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        with self.lock:
            self.waiting.clear()  # a task not started is not started now
        self.pool.shutdown(wait=True)

    def add(self, calls):
        known = calls["results"]
        if known:
            self.done.put((list(known), dict(known)))
        with self.lock:
            self.limits.update(calls["limits"])
            for task in calls["tasks"]:
                self.waiting.setdefault(task[0], deque()).append(task)
                self.backlog[task[0]] += len(task[4])
        self._start()

    def busy(self):
        with self.lock:
            return bool(sum(self.running.values()) or any(self.waiting.values()))

    def collect(self, timeout=None):
        """Finished chunks: waits up to ``timeout`` seconds for the first (None: until one comes
        or nothing is left to wait for), then takes whatever else is done."""
        answered = []
        deadline = None if timeout is None else time.monotonic() + timeout
        while not answered:
            if self.done.empty() and not self.busy():
                break
            left = 0.2 if deadline is None else min(0.2, deadline - time.monotonic())
            if left <= 0:
                break
            try:
                answered.append(self.done.get(timeout=left))
            except queue.Empty:
                continue
        while True:
            try:
                answered.append(self.done.get_nowait())
            except queue.Empty:
                return answered

    def _start(self):
        with self.lock:
            for account_id, tasks in self.waiting.items():
                while tasks and self.running[account_id] < max(1, self.limits.get(account_id, 1)):
                    task = tasks.popleft()
                    self.running[account_id] += 1
                    self.pool.submit(self._run, task)

    def _run(self, task):
        account_id, _client_cls, _options, numbers, chunk = task
        answer = {}
        try:
            answer = call_carrier(task)
        finally:
            # Out of the backlog once asked, before it is handed back: whoever has collected every
            # answer sees no backlog left (it was taken off after, and a caller could see a
            # backlog for an account with nothing queued).
            with self.lock:
                self.backlog[account_id] -= len(chunk)
            # Handed back before the slot is freed, so that ``busy()`` never misses it.
            self.done.put(([pid for number in chunk for pid in numbers[number]], answer))
            with self.lock:
                self.running[account_id] -= 1
            self._start()


def call_carrier(task):
    """{picking id: TrackingResult} for one chunk of numbers; {} when its account's rate limit
    allows the call only after the poll's deadline (the parcels stay due for the next run). Any
    exception becomes the error of each of the chunk's parcels: one bad chunk never stops the rest."""
    account_id, client_cls, options, numbers, chunk = task
    try:
        if options.get("deadline") is not None and time.monotonic() >= options["deadline"]:
            return {}  # out of time: these parcels stay due for the next run
        base_url = options.get("base_url") or getattr(client_cls, "default_base_url", "")
        answer = client_cls(**{"session": account_session(account_id, base_url), **options}).track(chunk)
        return {pid: answer[number] for number in chunk for pid in numbers[number]}
    except OutOfTime:
        return {}
    except Exception as exc:  # one bad chunk never stops the rest: each parcel gets the error
        return chunk_failure(task, exc)


def chunk_failure(task, exc):
    """Each parcel of the chunk fails with ``exc``, credentials masked in the log and the error."""
    _account_id, client_cls, options, numbers, chunk = task
    secrets = [str(v) for v in (options.get("credentials") or {}).values() if v and len(str(v)) >= 4]

    def redact(text):
        for secret in sorted(secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        return text

    trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    _logger.warning(
        "%s: %s while tracking %s number(s), each gets a malformed-answer error:\n%s",
        client_cls.label,
        exc.__class__.__name__,
        len(chunk),
        redact(trace),
    )
    error = CarrierError(
        ERROR_MALFORMED,
        f"{client_cls.label}: unexpected error ({exc.__class__.__name__}: {redact(str(exc))[:200]})",
    )
    return {pid: TrackingResult.failure(number, error) for number in chunk for pid in numbers[number]}
