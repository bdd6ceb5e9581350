"""An account's rate limit is one timeline in PostgreSQL that every Odoo process books its calls
from (``carrier.api.throttle``): two processes' limiters never hand out the same second twice.

A process is stood for here by a limiter of its own (``SharedRateLimiter`` objects are per
process); ``tests/concurrency/test_two_processes_rate.py`` runs two real server processes. The
timelines are written by a connection of their own, committed at once, as in production: each
test uses a rate no other test uses, so it starts from a timeline of its own.
"""

import threading
import time

from odoo import Command, sql_db
from odoo.exceptions import AccessError
from odoo.tests import tagged

from ..clients.api import OutOfTime, SharedRateLimiter
from .common import TrackingCommon


@tagged("post_install", "-at_install")
class TestApiThrottle(TrackingCommon):
    def _process_limiter(self, account):
        """The limiter another process of this database would build for ``account``: same
        timeline, slots of its own."""
        mine = account._api_limiter()
        return SharedRateLimiter(mine.rate, mine.reserve, mine.peek)

    def _timeline(self, account):
        """The account's timeline rows, read by a connection of its own (this test's transaction
        began before they were committed)."""
        with sql_db.db_connect(self.env.cr.dbname).cursor() as cr:
            cr.execute(
                "SELECT next_call FROM carrier_api_throttle WHERE name = %s",
                [f"carrier.tracking.account,{account.id}@{account._api_rate():g}"],
            )
            return cr.fetchall()

    def test_two_processes_book_calls_one_after_the_other(self):
        self.account.rate_limit = 4.25  # a burst of 4 calls, then one every 0.235 s
        first, second = self._process_limiter(self.account), self._process_limiter(self.account)
        waits = {"first": [], "second": []}
        for _call in range(4):  # the idle account's burst, all to the first process
            first.acquire(sleep=waits["first"].append)
        self.assertEqual(waits["first"], [], "an idle account's burst is not waited for")
        second.acquire(sleep=waits["second"].append)  # the burst is spent: the next slot
        self.assertEqual(len(waits["second"]), 1)
        self.assertGreater(waits["second"][0], 0)
        self.assertLessEqual(waits["second"][0], 1 / 4.25, "the slot after the burst, no later")
        self.assertEqual(len(self._timeline(self.account)), 1, "one row for the account at that rate")

    def test_calls_from_two_processes_at_once_keep_to_the_accounts_rate(self):
        rate, seconds = 20.5, 1.5
        self.account.rate_limit = rate
        made, start = [], time.monotonic()

        def call(limiter):
            while True:
                try:
                    limiter.acquire(deadline=start + seconds)
                except OutOfTime:
                    return
                made.append(time.monotonic() - start)

        limiters = [self._process_limiter(self.account) for _process in range(2)]
        threads = [threading.Thread(target=call, args=(limiter,)) for limiter in limiters for _thread in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        # The burst (20 calls at once), then 20.5 a second: 50 calls at most in 1.5 s, where each
        # process on its own bucket would have made that many.
        self.assertLessEqual(len(made), int(rate * seconds) + 20 + 1)
        self.assertGreaterEqual(len(made), int(rate * seconds), "the limit is used, not wasted")
        later = [at for at in made if at >= 0.5]
        # Past the burst, about the rate itself over the last second (a thread woken late may
        # push a call or two into it): where each process had a bucket, twice that.
        self.assertLessEqual(len(later), rate * 1.0 + 5, "past the burst, the rate itself over the last second")

    def test_capacity_counts_what_other_processes_booked(self):
        self.account.rate_limit = 2.75
        # Idle: a burst of 2 calls now, then 2.75 a second.
        self.assertAlmostEqual(self.account._api_limiter().calls_within(4), 2 + 2.75 * 4, delta=0.1)
        other = self._process_limiter(self.account)
        other.reserve(12, other.burst_seconds)  # another process books the next 3.7 seconds
        self.assertLess(self.account._api_limiter().calls_within(3), 1, "nothing left for this run's 3 seconds")
        # 6 s: 16.5 calls at the rate and the burst of 2, less the 12 booked: 6.25, a little more
        # as the clock moves on (18.5 if the other process's calls were not counted).
        capacity = self.account._api_limiter().calls_within(6)
        self.assertGreaterEqual(capacity, 6.2)
        self.assertLessEqual(capacity, 7.5, "the other process's calls are counted")

    def test_a_slot_past_the_deadline_is_kept_for_the_next_call(self):
        self.account.rate_limit = 0.37  # one call, then the next in 2.7 s
        limiter = self._process_limiter(self.account)
        limiter.acquire(sleep=self.fail)
        with self.assertRaises(OutOfTime):
            limiter.acquire(deadline=time.monotonic() + 1)
        waits = []
        limiter.acquire(sleep=waits.append)
        self.assertAlmostEqual(waits[0], 1 / 0.37, delta=0.3, msg="the kept slot, not a later one")

    def test_only_system_administrators_read_the_timelines(self):
        self.env["carrier.api.throttle"].create({"name": "carrier.tracking.account,0@1", "next_call": 0})
        manager = self.env["res.users"].create(
            {
                "name": "Stock manager",
                "login": "throttle-stock-manager",
                "groups_id": [Command.set(self.env.ref("stock.group_stock_manager").ids)],
            }
        )
        with self.assertRaises(AccessError):
            self.env["carrier.api.throttle"].with_user(manager).search([])
        self.assertTrue(self.env["carrier.api.throttle"].with_user(self.env.ref("base.user_admin")).search([]))
