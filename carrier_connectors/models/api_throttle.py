from functools import partial

from odoo import api, fields, models, sql_db

from ..clients.api import SharedRateLimiter


class CarrierApiThrottle(models.Model):
    """When each remote API account (tracking, claims, store) may make its next call, shared by
    every Odoo process of the database: the cron and HTTP workers of a server, and several
    servers. One row per account, written by ``SharedRateLimiter`` through a connection of its
    own that commits at once (one statement, no lock held past it), on PostgreSQL's clock, so
    that the processes need no clock of their own in common.

    Not a record users see or edit: no views; system administrators may read it.
    """

    _name = "carrier.api.throttle"
    _description = "Remote API Call Timeline"
    _log_access = False

    name = fields.Char("Account", required=True, readonly=True, help="The account's model and id, and its rate.")
    next_call = fields.Float(
        readonly=True,
        help="The account's timeline: seconds since 1970 on PostgreSQL's clock, one call's interval "
        "past the last call booked.",
    )

    _sql_constraints = [("name_unique", "UNIQUE(name)", "One timeline per account.")]

    @api.autovacuum
    def _gc_idle_timelines(self):
        """Timelines idle for a day (an account deleted, or its rate changed) are dropped: an idle
        account starts from a full burst either way."""
        self.env.cr.execute(
            "DELETE FROM carrier_api_throttle WHERE next_call < extract(epoch FROM clock_timestamp()) - 86400"
        )

    @api.model
    def _limiter(self, account, rate):
        """The ``SharedRateLimiter`` of ``account`` (a record of an API account) at ``rate`` calls
        per second, for this process."""
        dbname = self.env.cr.dbname
        # A new rate starts a new timeline: calls booked at the old one do not hold the new back.
        key = f"{account._name},{account.id}@{rate:g}"
        return SharedRateLimiter.for_key(
            (dbname, key), rate, partial(_reserve, dbname, key, rate), partial(_peek, dbname, key)
        )


def _execute(dbname, query, params):
    """Run one statement in a transaction of its own, committed at once, at PostgreSQL's default
    isolation (Odoo's cursors use repeatable read, under which two processes booking the same
    account at once would make one fail instead of waiting for the other's row lock)."""
    with sql_db.db_connect(dbname).cursor() as cr:
        cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
        cr.execute(query, params)
        return cr.fetchone()[0]


def _reserve(dbname, key, rate, count, burst_seconds):
    """Book ``count`` calls of the account ``key`` on its timeline -> seconds from now until the
    first of them (``SharedRateLimiter``)."""
    return _execute(
        dbname,
        """
        WITH clock AS (SELECT extract(epoch FROM clock_timestamp())::float8 AS now)
        INSERT INTO carrier_api_throttle AS throttle (name, next_call)
             SELECT %(key)s, clock.now - %(burst)s + %(length)s FROM clock
        ON CONFLICT (name) DO UPDATE
            SET next_call = greatest(throttle.next_call, EXCLUDED.next_call - %(length)s) + %(length)s
        RETURNING next_call - %(length)s - (SELECT now FROM clock)
        """,
        {"key": key, "burst": burst_seconds, "length": count / rate},
    )


def _peek(dbname, key, burst_seconds):
    """Seconds from now until the account ``key``'s next call on its timeline, booking nothing:
    ``-burst_seconds`` for an account idle that long or never called."""
    return _execute(
        dbname,
        """
        WITH clock AS (SELECT extract(epoch FROM clock_timestamp())::float8 AS now)
        SELECT greatest(coalesce(max(next_call), 0), clock.now - %(burst)s) - clock.now
          FROM clock LEFT JOIN carrier_api_throttle ON name = %(key)s
         GROUP BY clock.now
        """,
        {"key": key, "burst": burst_seconds},
    )
