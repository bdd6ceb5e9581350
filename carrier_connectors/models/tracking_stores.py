"""The poll's answers stored in transactions of their own, on more than one database connection.

One transaction storing answers spends most of its time waiting for PostgreSQL (each delivery's
row and its indexes are rewritten); the poll's thread meanwhile neither claims nor stores. With
``carrier_connectors.poll_store_workers`` above 1, the poll hands each set of answers to one of
that many threads, each storing it in a new transaction on its own connection and committing it:
PostgreSQL works on one set while Python prepares the next, on a second core.

Used only where the poll's own transaction commits (a real cron run): a test's transaction is
never committed, so a new connection would not see its deliveries; there the answers are stored
in the poll's own transaction, as with one worker.
"""

import logging
import random
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

from psycopg2 import errors

from odoo import api

_logger = logging.getLogger(__name__)

# PostgreSQL refusing a transaction that another one made stale or waited on: tried again.
RETRYABLE = (errors.SerializationFailure, errors.DeadlockDetected, errors.LockNotAvailable)
ATTEMPTS = 5


class TrackingStores:
    """Store threads of one poll run. Use as a context manager (the threads end with it).

    - ``submit(ids, results)``: store the answers about these pickings (``_store_polled_batch``)
      in a new transaction; waits first while every worker has two sets queued, so that answers
      never pile up in memory faster than they are stored;
    - ``finished(wait_all=False)``: parcels stored since the last call (``wait_all``: once every
      set is stored); raises the first failure of a worker (what the other sets stored is
      committed).
    """

    def __init__(self, env, workers):
        self.registry = env.registry
        self.uid = env.uid
        self.context = dict(env.context)
        self.su = env.su
        self.workers = workers
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tracking-store")
        self.futures = set()
        self.stored = 0
        self.dbname = getattr(threading.current_thread(), "dbname", None)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.pool.shutdown(wait=True)

    def submit(self, ids, results):
        while len(self.futures) >= 2 * self.workers:
            wait(self.futures, return_when=FIRST_COMPLETED)
            self._reap()
        self.futures.add(self.pool.submit(self._store, ids, results))

    def finished(self, wait_all=False):
        if wait_all:
            wait(self.futures)
        self._reap()
        stored, self.stored = self.stored, 0
        return stored

    def _reap(self):
        done = {future for future in self.futures if future.done()}
        self.futures -= done
        for future in done:
            self.stored += future.result()  # a worker's failure is the run's

    def _store(self, ids, results):
        thread = threading.current_thread()
        thread.dbname, thread.uid = self.dbname, self.uid
        attempt = 1
        while True:
            try:
                with self.registry.cursor() as cr:  # committed on leaving, rolled back on an error
                    env = api.Environment(cr, self.uid, self.context, su=self.su)
                    return len(env["stock.picking"].browse(ids)._store_polled_batch(results))
            except RETRYABLE as exc:
                if attempt == ATTEMPTS:
                    raise
                _logger.info("Storing %s tracking answers: %s, trying again", len(ids), exc.__class__.__name__)
                time.sleep(random.uniform(0.05, 0.2) * attempt)
                attempt += 1
