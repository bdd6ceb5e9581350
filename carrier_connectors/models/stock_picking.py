import logging
import threading
import time
from contextlib import nullcontext
from datetime import timedelta

import psycopg2

from odoo import api, fields, models
from odoo.sql_db import TestCursor
from odoo.tools import SQL, config, create_index

from ..clients import CarrierError, TrackingResult, get_client_class
from ..clients import status as st
from ..clients.base import (
    ERROR_CONFIG,
    ERROR_KINDS,
    ERROR_MALFORMED,
    ERROR_NOT_FOUND,
    normalize_tracking_number,
)
from ..clients.calls import TrackingCalls
from ..clients.status import EXCEPTION_KINDS, FINAL_STATUSES, STATUS_SELECTION
from .poll_gc import fewer_gc_passes
from .tracking_stores import TrackingStores

_logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 200
# Threads of one poll, all accounts together (each account also keeps to its own concurrency).
MAX_POLL_THREADS = 32
# Transactions storing a poll's answers at once (``TrackingStores``), unless the parameter
# ``carrier_connectors.poll_store_workers`` says otherwise.
DEFAULT_STORE_WORKERS = 2
# How soon to look again after each kind of error, in hours.
ERROR_RETRY_HOURS = {"rate_limited": 0.5, "carrier_down": 0.5, "malformed": 1, "not_found": 12}
# An account found with fewer parcels due than a poll asked for is not searched again for this
# long within the run (parcels that fall due meanwhile wait at most that).
DRAINED_SECONDS = 5.0
# A carrier's Retry-After up to this many seconds is waited for in the client thread; a longer one
# requeues the parcels of that call for the time asked, and the thread goes on with other work.
MAX_RETRY_WAIT = 5.0
# Statuses that need someone soon: asked about three times as often. (An unknown number is not
# one: the carrier will not know it better in two hours, see ERROR_RETRY_HOURS.)
URGENT_STATUSES = (st.EXCEPTION, st.FAILED_ATTEMPT, st.RETURNING)
# A parcel with no new event for this long is nearing the stalled thresholds: asked twice as often.
QUIET_DAYS = 3
# Share of each page of ``stock_picking`` that PostgreSQL fills when it writes rows (its
# ``fillfactor``, 100 by default). The poll updates each delivery in flight twice per check (its
# lease, then the answer): the room left lets the lease's row version stay on its page, a HOT update
# that adds no entry to the table's 22 indexes. Full pages made every lease a new entry in each.
PICKING_FILLFACTOR = 80


class StockPicking(models.Model):
    _inherit = "stock.picking"

    tracking_account_id = fields.Many2one(
        "carrier.tracking.account", related="carrier_id.tracking_account_id", store=True, index=True
    )
    tracking_status = fields.Selection(STATUS_SELECTION, readonly=True, index=True, copy=False)
    tracking_raw_status = fields.Char("Carrier Status Code", readonly=True, copy=False)
    tracking_exception_kind = fields.Selection(EXCEPTION_KINDS, readonly=True, copy=False)
    tracking_last_event_date = fields.Datetime("Last Tracking Event", readonly=True, copy=False, index=True)
    tracking_eta = fields.Datetime("Carrier ETA", readonly=True, copy=False, help="The carrier's latest estimate.")
    tracking_eta_source = fields.Char(
        "ETA Read From", readonly=True, copy=False, help="The field of the carrier's answer the estimate was read from."
    )
    tracking_promised_date = fields.Datetime(
        "Promised by Carrier",
        readonly=True,
        copy=False,
        index=True,
        help="The first delivery date the carrier promised; kept when the carrier later moves its estimate.",
    )
    tracking_promise_source = fields.Char(
        "Promise Read From",
        readonly=True,
        copy=False,
        help="The field of the carrier's answer the promise was read from.",
    )
    tracking_delivered_date = fields.Datetime("Delivered On", readonly=True, copy=False)
    tracking_last_check = fields.Datetime("Last Tracking Check", readonly=True, copy=False)
    # The events of the last answer stored, as one digest of their keys: an answer repeating them
    # (most polls: nothing new since the last scan) is not compared with the stored events at all.
    tracking_events_digest = fields.Char("Events of the Last Answer", readonly=True, copy=False)
    tracking_next_check = fields.Datetime("Next Tracking Check", readonly=True, copy=False, index=True)
    # Set when a poller claims the parcel, cleared when its answer is stored: no other poller
    # claims it meanwhile, and a poller that dies gives it back when the lease ends. A column of
    # its own, in no index: the claim's UPDATE then changes no indexed column, and PostgreSQL
    # updates the row in place (a HOT update, PICKING_FILLFACTOR) instead of adding an entry to
    # each of the delivery's 22 indexes, as a change of the next check does (3 to 4 times as long).
    tracking_lease_until = fields.Datetime("Claimed by a Poller Until", readonly=True, copy=False)
    tracking_priority = fields.Integer(
        readonly=True,
        copy=False,
        default=0,
        help="Parcels due for a check are asked about in this order, highest first (exceptions, quiet "
        "parcels, open lost-parcel cases), so a carrier's limited calls go where they matter.",
    )
    tracking_error = fields.Char(readonly=True, copy=False)
    tracking_error_kind = fields.Selection(ERROR_KINDS, readonly=True, copy=False)
    # Inventory users only, as core does for its stock-only relations (mrp's production_ids): a
    # salesman opening his order's delivery reads the picking, never the carrier's timeline.
    tracking_event_ids = fields.One2many(
        "stock.tracking.event",
        "picking_id",
        string="Tracking Events",
        readonly=True,
        groups="stock.group_stock_user",
    )
    tracking_event_count = fields.Integer(compute="_compute_tracking_event_count", groups="stock.group_stock_user")

    @api.depends("tracking_event_ids")
    def _compute_tracking_event_count(self):
        counts = dict(
            self.env["stock.tracking.event"]._read_group([("picking_id", "in", self.ids)], ["picking_id"], ["__count"])
        )
        for picking in self:
            picking.tracking_event_count = counts.get(picking, 0)

    # ------------------------------------------------------------------ CRUD
    def write(self, vals):
        retracked = self.browse()
        if "carrier_tracking_ref" in vals:
            new_ref = normalize_tracking_number(vals["carrier_tracking_ref"])
            retracked = self.filtered(lambda p: normalize_tracking_number(p.carrier_tracking_ref) != new_ref)
        result = super().write(vals)
        if retracked:
            # A corrected number is another parcel: what the old one said no longer applies.
            super(StockPicking, retracked).write(self._prepare_tracking_reset_vals())
        return result

    @api.model
    def _prepare_tracking_reset_vals(self):
        return {
            "tracking_status": False,
            "tracking_raw_status": False,
            "tracking_exception_kind": False,
            "tracking_last_event_date": False,
            "tracking_eta": False,
            "tracking_eta_source": False,
            "tracking_promised_date": False,
            "tracking_promise_source": False,
            "tracking_delivered_date": False,
            "tracking_events_digest": False,
            "tracking_last_check": False,
            "tracking_next_check": fields.Datetime.now(),
            "tracking_lease_until": False,
            "tracking_error": False,
            "tracking_error_kind": False,
        }

    # ------------------------------------------------------------------ domains
    @api.model
    def _tracking_due_domain(self, now=None):
        # Outgoing types and active accounts as ids (a few rows each), not as joins: a condition on
        # the deliveries' own columns lets PostgreSQL walk the claim index in its order and stop
        # at the batch, instead of sorting every due parcel of the account.
        outgoing = self.env["stock.picking.type"].sudo().with_context(active_test=False)
        accounts = self.env["carrier.tracking.account"].sudo()
        now = now or fields.Datetime.now()
        return [
            ("state", "=", "done"),
            ("picking_type_id", "in", outgoing.search([("code", "=", "outgoing")]).ids),
            ("carrier_tracking_ref", "!=", False),
            ("tracking_account_id", "in", accounts.search([]).ids),
            ("tracking_status", "not in", list(FINAL_STATUSES)),
            "|",
            ("tracking_next_check", "=", False),
            ("tracking_next_check", "<=", now),
            "|",
            ("tracking_lease_until", "=", False),
            ("tracking_lease_until", "<=", now),
        ]

    def init(self):
        res = super().init()
        # The poll claims each account's due parcels, most urgent first: an index in that order.
        create_index(
            self.env.cr,
            "stock_picking_tracking_claim_index",
            self._table,
            ["tracking_account_id", "tracking_priority DESC NULLS LAST", "tracking_next_check", "id"],
            where="carrier_tracking_ref IS NOT NULL AND state = 'done'",
        )
        # Room on each page for the leases' row versions (PICKING_FILLFACTOR); pages written from
        # now on keep it, existing ones as their rows are rewritten.
        self.env.cr.execute(SQL("SELECT reloptions FROM pg_class WHERE oid = %s::regclass", self._table))
        setting = f"fillfactor={PICKING_FILLFACTOR}"
        if setting not in (self.env.cr.fetchone()[0] or []):
            self.env.cr.execute(
                SQL("ALTER TABLE %s SET (fillfactor = %s)", SQL.identifier(self._table), PICKING_FILLFACTOR)
            )
        return res

    def _claim_for_tracking(
        self, limit, capacity=None, seconds=None, lease=None, batch_seconds=None, backlog=None, drained=None
    ):
        """Claim up to ``limit`` due pickings, each account's most urgent first, skipping those
        another server holds, and lease them (``tracking_lease_until``, ``lease`` ahead), so that
        no other poller takes them once this transaction commits (which releases the row locks
        before any HTTP call), and a poller that dies gives them back when the lease ends.

        :param dict capacity: {account id: numbers it may still be asked about in this run},
            filled from ``seconds`` (what its rate limit allows in the time left) and spent here
            across a run's batches; an account with none left is not claimed from.
        :param float batch_seconds: how far ahead to keep each account busy: its share is what
            its rate limit allows in that time (less its ``backlog``), so a slow carrier is never
            given more than it can be asked; the batch is then shared out so that small shares
            are served whole and the large ones split the rest.
        :param dict backlog: {account id: numbers already claimed and not yet asked}, taken off
            that share: an account is topped up, not claimed from twice.
        :param dict drained: {account id: ``time.monotonic()`` until which it is not looked at},
            filled here when an account has fewer parcels due than asked (a run's claims do not
            search again and again an account that has none).
        """
        capacity = {} if capacity is None else capacity
        lease_until = fields.Datetime.now() + lease if lease else None
        due = self._tracking_due_domain()
        shares = []
        drained = {} if drained is None else drained
        for account in self.env["carrier.tracking.account"].sudo().search([]):
            if drained.get(account.id, 0) > time.monotonic():
                continue
            share = limit
            if seconds is not None:
                if account.id not in capacity:
                    capacity[account.id] = account._tracking_capacity(seconds)
                share = min(share, capacity[account.id])
            if batch_seconds is not None:
                share = min(share, account._tracking_capacity(batch_seconds) - (backlog or {}).get(account.id, 0))
            if share > 0:
                shares.append((share, account.id))
        shares.sort()
        claimed = []
        left = limit
        # No count first: each account is asked for its share, and what the accounts with fewer
        # parcels due leave goes, in a second round, to those that had more than their share.
        for _round in range(2):
            fuller = []
            for position, (share, account_id) in enumerate(shares):
                if left <= 0:
                    break
                take = min(share, -(-left // (len(shares) - position)))
                rows = self._claim_account_parcels(due, account_id, take, lease_until)
                claimed += rows
                left -= len(rows)
                if seconds is not None:
                    capacity[account_id] -= len(rows)
                if len(rows) < take:
                    drained[account_id] = time.monotonic() + DRAINED_SECONDS
                elif share > take:
                    fuller.append((share - take, account_id))
            shares = fuller
            if not shares or left <= 0:
                break
        if claimed and lease:
            self.invalidate_model(["tracking_lease_until"])
        return self.browse(claimed)

    def _claim_account_parcels(self, due, account_id, limit, lease_until=None):
        """Lock up to ``limit`` parcels of one account matching ``due`` (``_tracking_due_domain``),
        most urgent first, skipping those another server holds, and lease them until
        ``lease_until`` in the same statement; only the deliveries' rows are locked, never a row
        the domain joins. Their ids."""
        domain = [*due, ("tracking_account_id", "=", account_id)]
        query = self._search(domain, limit=limit, order="tracking_priority desc nulls last, tracking_next_check, id")
        locked = SQL(
            "%s FOR UPDATE OF %s SKIP LOCKED",
            query.select(SQL.identifier(self._table, "id")),
            SQL.identifier(self._table),
        )
        if lease_until:
            locked = SQL(
                "UPDATE %s SET tracking_lease_until = %s WHERE id = ANY(ARRAY(%s)) RETURNING id",
                SQL.identifier(self._table),
                lease_until,
                locked,
            )
        # Should PostgreSQL refuse to lock a row all the same (``_claim_tracking_batch``: a
        # serialization failure), the claim is made again: not logged as a bad query.
        self.env.flush_query(locked)
        self.env.cr.execute(locked, log_exceptions=False)
        return [row[0] for row in self.env.cr.fetchall()]

    @api.model
    def _tracking_time_budget(self):
        """Seconds one run of the polling cron may spend: the parameter
        ``carrier_connectors.poll_time_budget``, else half of the cron workers' time limit, so
        that a run commits and returns before the server kills it (Odoo calls it again at once
        while parcels remain)."""
        param = self.env["ir.config_parameter"].sudo().get_param("carrier_connectors.poll_time_budget")
        if param:
            return max(1.0, float(param))
        limit = config.get("limit_time_real_cron") or -1
        if limit <= 0:
            limit = config.get("limit_time_real") or 0
        return max(10.0, limit / 2) if limit > 0 else 300.0

    # ------------------------------------------------------------------ actions
    def action_update_tracking(self):
        pickings = self.filtered(lambda p: p.carrier_tracking_ref and p.tracking_account_id)
        pickings._update_tracking()
        errors = pickings.filtered("tracking_error")
        message = self.env._(
            "%(done)s parcel(s) updated, %(errors)s with an error.",
            done=len(pickings) - len(errors),
            errors=len(errors),
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "warning" if errors else "success",
                "message": message,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def action_open_tracking_link(self):
        self.ensure_one()
        if not self.carrier_tracking_url:
            return False
        return {"type": "ir.actions.act_url", "url": self.carrier_tracking_url, "target": "new"}

    # ------------------------------------------------------------------ polling
    @api.model
    def _cron_update_tracking(self, batch_size=None, max_batches=None, time_budget=None):
        """Poll due parcels, most urgent first, for at most ``time_budget`` seconds
        (``_tracking_time_budget``), committing as it goes; what is left stays due for the next
        run, which Odoo starts at once while parcels remain (``ir.cron._notify_progress``).

        - Each account gets the share of the run its rate limit allows (``_tracking_capacity``).
          Its parcels are claimed a batch at a time (at most ``batch_size`` parcels over all
          accounts), whenever what it has queued would not keep it busy for the next seconds: a
          slow carrier (USPS: 60 calls an hour) never holds up the others, or the run past the
          budget, and a fast one never waits for a slow one's batch to end.
        - Claimed parcels are leased and the lease committed before any HTTP call: no row lock is
          held while a carrier answers, and no other server polls the same parcel.
        - The carriers are asked in threads (``TrackingCalls``: no ORM there, each account at its
          own number of requests in flight) and the answers are stored as they come, each set in
          a transaction of its own (``TrackingStores``, ``_tracking_store_workers`` at once) or,
          with one worker, in this one: the carriers' limits, not the database, set the pace.
        - Python's cycle collector runs less often meanwhile (``fewer_gc_passes``): at its default
          pace it took a quarter of the poll's time.

        ``max_batches``: claim at most that many batches (tests).
        """
        param = self.env["ir.config_parameter"].sudo().get_param("carrier_connectors.poll_batch_size")
        batch_size = batch_size or int(param or DEFAULT_BATCH_SIZE)
        budget = time_budget or self._tracking_time_budget()
        deadline = time.monotonic() + budget
        lease = timedelta(seconds=2 * budget + 60)
        capacity, drained, done, horizon, claiming, next_claim = {}, {}, 0, 2.0, True, 0.0
        workers = self._tracking_store_workers()
        with (
            fewer_gc_passes(),
            TrackingCalls(MAX_POLL_THREADS) as calls,
            TrackingStores(self.env, workers) if workers > 1 else nullcontext() as stores,
        ):
            while True:
                started = time.monotonic()
                batch = self.browse()
                if claiming and (max_batches is None or max_batches > 0) and next_claim <= started < deadline:
                    batch = self._claim_tracking_batch(
                        batch_size, capacity, deadline, lease, horizon, backlog=calls.backlog, drained=drained
                    )
                    # A batch that took all it could find is looked for again at once; otherwise
                    # the queues are full enough for now: the answers are stored first.
                    next_claim = started if len(batch) >= batch_size else started + 0.5
                    if batch:
                        batch.fetch(["tracking_account_id", "carrier_tracking_ref"])
                        calls.add(batch._prepare_tracking_calls(batch.grouped("tracking_account_id"), deadline))
                        max_batches = None if max_batches is None else max_batches - 1
                answered = calls.collect(timeout=0.0 if batch else min(1.0, max(0.05, next_claim - started)))
                if answered:
                    ids = [pid for asked, _results in answered for pid in asked]
                    results = {pid: result for _asked, found in answered for pid, result in found.items()}
                    if stores:
                        stores.submit(ids, results)  # stored and committed in a transaction of its own
                    else:
                        done += len(self.browse(ids)._store_polled_batch(results))
                        self._commit_tracking_progress()
                if stores:
                    done += stores.finished()
                if not batch and not answered and not calls.busy():
                    # Nothing in flight and nothing claimed: a slow carrier's next call, or the end.
                    if stores:
                        done += stores.finished(wait_all=True)
                    if max_batches == 0 or not self._tracking_calls_left(capacity, deadline):
                        break
                    time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
                if time.monotonic() >= deadline:
                    claiming = False  # store what is in flight (its calls stop at the deadline), then end
                # Each account keeps queued what it can be asked in about two of these rounds.
                horizon = min(max(2 * (time.monotonic() - started), 2.0), 10.0)
            if stores:
                done += stores.finished(wait_all=True)
                self._commit_tracking_progress()  # a snapshot that sees what the stores committed
        self.env["ir.cron"]._notify_progress(done=done, remaining=self.search_count(self._tracking_due_domain()))
        return done

    @api.model
    def _claim_tracking_batch(self, batch_size, capacity, deadline, lease, batch_seconds, backlog=None, drained=None):
        """``_claim_for_tracking`` in a transaction of its own, committed: the work before it is
        committed first, and the claim runs at PostgreSQL's read committed isolation, where a row
        another poller leased after the claim began is checked again (no longer due: skipped)
        instead of refused. At Odoo's repeatable read, a poller claiming while another commits
        leases failed five times in a row now and then (a serialization failure each time).
        Tried again in a new transaction all the same should PostgreSQL refuse it."""
        committing = not getattr(threading.current_thread(), "testing", False)
        for attempt in range(5):
            spent = dict(capacity)
            try:
                if committing:
                    self._commit_tracking_progress()
                    self.env.cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
                batch = self._claim_for_tracking(
                    batch_size,
                    capacity=capacity,
                    seconds=deadline - time.monotonic(),
                    lease=lease,
                    batch_seconds=batch_seconds,
                    backlog=backlog,
                    drained=drained,
                )
                self._commit_tracking_progress()  # the lease, before any call; back to repeatable read
                return batch
            except psycopg2.errors.SerializationFailure:
                if not committing or attempt == 4:
                    raise
                _logger.info("another poller leased parcels meanwhile: claiming again (%s)", attempt + 1)
                capacity.clear()
                capacity.update(spent)
                self.env.cr.rollback()  # nothing of ours is lost: the work before is committed
                self.env.invalidate_all()
        return self.browse()

    @api.model
    def _tracking_store_workers(self):
        """Transactions storing the poll's answers at once (``TrackingStores``): the parameter
        ``carrier_connectors.poll_store_workers``, else ``DEFAULT_STORE_WORKERS``. One (the poll's
        own transaction) where that transaction is never committed (tests, a rolled-back
        benchmark): another connection would not see its deliveries."""
        if getattr(threading.current_thread(), "testing", False) or isinstance(self.env.cr, TestCursor):
            return 1
        param = self.env["ir.config_parameter"].sudo().get_param("carrier_connectors.poll_store_workers")
        try:
            return max(1, int(param or DEFAULT_STORE_WORKERS))
        except ValueError:
            _logger.warning("carrier_connectors.poll_store_workers is not a number: %r; using 1", param)
            return 1

    @api.model
    def _tracking_calls_left(self, capacity, deadline):
        """Whether an account with parcels due may still be asked about some of them before
        ``deadline``: its rate limit holds it back for now, not for the rest of the run."""
        if time.monotonic() + 1.0 >= deadline:
            return False
        due = self._read_group(self._tracking_due_domain(), ["tracking_account_id"])
        return any(capacity.get(account.id, 1) > 0 for (account,) in due if account)

    def _commit_tracking_progress(self):
        """Commit the poll's work so far (the lease of a batch, then its results; README,
        Decisions): a crash loses at most the batch under way, whose parcels come back when their
        lease ends. Not in tests: a test transaction is rolled back whole."""
        if not getattr(threading.current_thread(), "testing", False):
            self.env.cr.commit()  # pylint: disable=invalid-commit

    def _update_tracking(self, deadline=None):
        """Ask the carriers about these pickings (HTTP in threads, no ORM there), then
        store what they said in this transaction. Pickings not asked before ``deadline``
        (a ``time.monotonic()`` value) are left due, untouched, for the next run.

        :return: {picking id: TrackingResult} of the pickings asked
        """
        return self._store_polled_batch(self._fetch_tracking(self.grouped("tracking_account_id"), deadline=deadline))

    def _store_polled_batch(self, results):
        """Store the answers about these pickings (their lease ends with it); those without one
        (not asked in time) are given back: due again now, in their place."""
        self._apply_tracking_results(results)
        unasked = self.filtered(lambda p: p.id not in results and p.tracking_account_id)
        if unasked:
            unasked.write({"tracking_lease_until": False})
        return results

    @api.model
    def _fetch_tracking(self, pickings_by_account, deadline=None):
        """{picking id: TrackingResult} for {account: pickings} (see ``_prepare_tracking_calls``)."""
        return self._run_tracking_calls(self._prepare_tracking_calls(pickings_by_account, deadline))

    @api.model
    def _prepare_tracking_calls(self, pickings_by_account, deadline=None):
        """The carrier calls that answer for {account: pickings} (ORM work, in this thread), for
        ``_run_tracking_calls`` or the poll's ``TrackingCalls``; per-parcel errors come back as
        failed results. Every account's calls share one thread pool, so one carrier's
        Retry-After waits overlap the other carriers' work; each account keeps to its own
        number of parallel requests (and its rate limit, in the client).

        Numbers are sent and matched in their normalized form (``normalize_tracking_number``, as
        webhooks match them). A blank number is never sent: its picking gets a configuration
        error. Any exception while asking one chunk becomes the error of that chunk's parcels;
        the other chunks are stored all the same.

        A chunk not started before ``deadline`` is not asked (no result for its pickings). A
        Retry-After longer than ``MAX_RETRY_WAIT`` is not slept through: the chunk fails at once
        as rate limited, with the wait, and its parcels are asked again after it."""
        results, tasks, limits = {}, [], {}
        for account, pickings in pickings_by_account.items():
            if not account:
                continue
            numbers = {}
            for picking in pickings:
                number = normalize_tracking_number(picking.carrier_tracking_ref)
                if not number:
                    results[picking.id] = TrackingResult.failure(
                        "",
                        CarrierError(
                            ERROR_CONFIG,
                            self.env._("The tracking number is blank: enter the carrier's tracking number."),
                        ),
                    )
                    continue
                numbers.setdefault(number, []).append(picking.id)
            if not numbers:
                continue
            try:
                options = {**account._get_client_options(), "max_retry_wait": MAX_RETRY_WAIT, "deadline": deadline}
                client_cls = get_client_class(account.provider)
                client_cls(**options)  # fails early on missing credentials
            except CarrierError as exc:
                results.update({pid: TrackingResult.failure(n, exc) for n, ids in numbers.items() for pid in ids})
                continue
            limits[account.id] = max(1, account.concurrency)
            size = client_cls.batch_size
            refs = list(numbers)
            # One task per call; ``TrackingCalls`` queues them per account (its own slots).
            tasks += [(account.id, client_cls, options, numbers, refs[i : i + size]) for i in range(0, len(refs), size)]
        return {"results": results, "tasks": tasks, "limits": limits}

    @staticmethod
    def _run_tracking_calls(calls):
        """Make the calls ``_prepare_tracking_calls`` planned, in threads (``TrackingCalls``: no ORM
        there), and wait for them all. {picking id: TrackingResult}; a chunk not asked in time
        (``OutOfTime``) has none."""
        results = {}
        with TrackingCalls(MAX_POLL_THREADS) as pending:
            pending.add(calls)
            while answered := pending.collect():
                for _asked, found in answered:
                    results.update(found)
        return results

    def _apply_tracking_results(self, results, keep_newer=False):
        """Store results: new events once, picking summary, next check date. One picking that
        cannot be stored never costs the others theirs: on a failure, each picking is stored
        in its own savepoint and the one that fails gets the error instead.

        ``keep_newer`` (pushed results, which may arrive out of order): a result whose newest
        event is older than what the picking already knows stores its new events but leaves
        the status alone, and a final status is never replaced by a non-final one that is not
        newer."""
        try:
            with self.env.cr.savepoint():
                return self._store_tracking_results(results, keep_newer)
        except psycopg2.OperationalError:
            raise  # serialization failures and lock timeouts: the whole transaction is retried
        except Exception:
            _logger.warning("Storing %s tracking results failed; storing them one by one", len(results), exc_info=True)
        changed = self.browse()
        for picking_id, result in results.items():
            try:
                with self.env.cr.savepoint():
                    changed |= self._store_tracking_results({picking_id: result}, keep_newer)
            except psycopg2.OperationalError:
                raise
            except Exception as exc:
                _logger.warning("Could not store the tracking of picking %s", picking_id, exc_info=True)
                message = self.env._("Could not store the carrier's answer: %(error)s", error=str(exc)[:200])
                with self.env.cr.savepoint():
                    self.browse(picking_id).write(
                        {
                            "tracking_error": message,
                            "tracking_error_kind": ERROR_MALFORMED,
                            "tracking_last_check": fields.Datetime.now(),
                            "tracking_next_check": fields.Datetime.now()
                            + timedelta(hours=ERROR_RETRY_HOURS[ERROR_MALFORMED]),
                            "tracking_lease_until": False,
                        }
                    )
        return changed

    def _store_tracking_results(self, results, keep_newer=False):
        Event = self.env["stock.tracking.event"]
        pickings = self.browse(list(results))
        # Only the columns the summary is made of, not every column of a delivery (each first
        # read of a field would fetch them all).
        summary = [*self._prepare_tracking_reset_vals(), "tracking_priority", "tracking_account_id"]
        pickings.fetch([*summary, "company_id", "carrier_id"])
        # Each answer's events, and whether they are those of the last answer stored (its digest):
        # those need no look at the stored events. The others' stored events are read by key in
        # one query, without records.
        answers = {}
        for picking in pickings:
            events = [Event._prepare_event_vals(picking.id, event) for event in results[picking.id].events]
            answers[picking.id] = events, Event._events_digest(events)
        stored = pickings._tracking_stored_values(summary)
        unsure = [
            picking.id
            for picking in pickings
            if answers[picking.id][0] and answers[picking.id][1] != stored(picking, "tracking_events_digest")
        ]
        known = set()
        if unsure:
            Event.flush_model(["picking_id", "event_key"])
            known = set(
                self.env.execute_query(
                    SQL("SELECT picking_id, event_key FROM stock_tracking_event WHERE picking_id = ANY(%s)", unsure)
                )
            )
        new_events = []
        now = fields.Datetime.now()
        changed_ids = []  # not a recordset: one grown a delivery at a time is copied whole each time
        updated = set()
        labels = dict(STATUS_SELECTION)
        notes = {}
        writes = {}
        for picking in pickings:
            result = results[picking.id]
            events, digest = answers[picking.id]
            if digest != stored(picking, "tracking_events_digest"):
                for vals in events:
                    if (picking.id, vals["event_key"]) not in known:
                        known.add((picking.id, vals["event_key"]))
                        # The delivery's company and carrier given, not computed after the insert
                        # (their recomputation was an UPDATE of every new event); read for the new
                        # events only (each read of a delivery's company checks it for recomputation).
                        vals.update(company_id=picking.company_id.id, carrier_id=picking.carrier_id.id)
                        new_events.append(vals)
                        updated.add(picking.id)
            vals = picking._prepare_tracking_vals(result, now)
            if events:
                vals["tracking_events_digest"] = digest
            if keep_newer and picking._is_older_tracking(result):
                for name in picking._tracking_status_fields():
                    vals.pop(name, None)
            if vals.get("tracking_status") and vals["tracking_status"] != picking.tracking_status:
                changed_ids.append(picking.id)
                updated.add(picking.id)
                last = result.events[-1] if result.events else None
                detail = f" ({last.description}, {last.location})" if last else ""
                if picking.tracking_status:
                    notes[picking.id] = self.env._(
                        "Tracking: %(old)s → %(new)s%(detail)s",
                        old=labels.get(picking.tracking_status, picking.tracking_status),
                        new=labels[vals["tracking_status"]],
                        detail=detail,
                    )
                else:
                    notes[picking.id] = self.env._(
                        "Tracking: %(new)s%(detail)s", new=labels[vals["tracking_status"]], detail=detail
                    )
            # Only what changed is written, and deliveries with the same changes in one write: an
            # answer that repeats what is known costs its share of one UPDATE, not a write each.
            vals = {name: value for name, value in vals.items() if stored(picking, name) != (value or False)}
            if vals:
                writes.setdefault(tuple(sorted(vals.items())), []).append(picking.id)
        # No field of the summary is a tracked field: the status change gets its own note below,
        # so the write skips reading every tracked field of every delivery first.
        for vals, ids in writes.items():
            self.browse(ids).with_context(mail_notrack=True).write(dict(vals))
        # Events are the carrier's facts, not the user's input: stored whoever asked the update.
        Event.sudo()._create_with_delivery_fields(new_events)
        changed = self.browse(changed_ids)
        if notes:
            changed._message_log_batch(bodies=notes)
        changed._hook_tracking_status_changed()
        pickings.filtered(lambda p: p.id in updated)._hook_tracking_updated()
        return changed

    def _tracking_stored_values(self, names):
        """A function ``(picking, name) -> stored value, False for none`` for these pickings,
        fetched: the fields ``names`` read from the cache as it keeps them (dates, strings,
        numbers), not through each record, whose every read checks the field for recomputation
        and converts the value (a tenth of storing answers, in a sampled profile).
        Any other field, or one the cache lacks for one of them, is read through the record."""
        plain = ("char", "selection", "datetime", "date", "integer", "float", "boolean")
        cached = {}
        for name in names:
            field = self._fields[name]
            if field.type in plain and not field.translate:
                found = dict(zip(self._ids, self.env.cache.get_until_miss(self, field), strict=False))
                if len(found) == len(self._ids):
                    cached[name] = found

        def value_of(picking, name):
            found = cached.get(name)
            return (found[picking.id] if found is not None else picking[name]) or False

        return value_of

    def _is_older_tracking(self, result):
        """Whether ``result`` is older than what this picking already knows: its newest event is
        before the picking's last event, or the picking is final and the result neither final
        nor newer."""
        self.ensure_one()
        known = self.tracking_last_event_date
        newest = result.events[-1].occurred_at if result.events else None
        if known and (newest is None or newest < known):
            return True
        return (
            self.tracking_status in FINAL_STATUSES
            and result.status not in FINAL_STATUSES
            and (newest is None or (known and newest <= known))
        )

    @api.model
    def _tracking_status_fields(self):
        """The fields an older result must not overwrite: the summary, and the poll's schedule
        (a push arriving late leaves a poller's lease alone: no other poller takes the parcel)."""
        return (
            "tracking_status",
            "tracking_raw_status",
            "tracking_exception_kind",
            "tracking_eta",
            "tracking_eta_source",
            "tracking_delivered_date",
            "tracking_next_check",
            "tracking_lease_until",
        )

    def _prepare_tracking_vals(self, result, now):
        self.ensure_one()
        interval = timedelta(hours=self.tracking_account_id.poll_interval_hours or 6)
        if not result.ok:
            retry = timedelta(hours=ERROR_RETRY_HOURS.get(result.error_kind, interval.total_seconds() / 3600))
            if result.retry_after:
                # The carrier said when to come back: requeued for exactly that, not for the default.
                retry = timedelta(seconds=max(1.0, result.retry_after))
            vals = {
                "tracking_error": result.error,
                "tracking_error_kind": result.error_kind,
                "tracking_last_check": now,
                "tracking_next_check": now + retry,
                "tracking_lease_until": False,
            }
            if result.error_kind == ERROR_NOT_FOUND:
                vals["tracking_status"] = "not_found"
            return vals
        last_event = result.events[-1].occurred_at if result.events else False
        newest = max(filter(None, [last_event, self.tracking_last_event_date]), default=False)
        factor, priority = self._tracking_poll_plan(result, newest, now)
        return {
            "tracking_priority": priority,
            "tracking_status": result.status,
            "tracking_raw_status": result.raw_status,
            "tracking_exception_kind": result.exception_kind or False,
            "tracking_last_event_date": newest,
            "tracking_eta": result.eta or self.tracking_eta,
            "tracking_eta_source": (result.eta_source or False) if result.eta else self.tracking_eta_source,
            # The first promise stays: a carrier moving its date later must not hide the missed one.
            "tracking_promised_date": self.tracking_promised_date or result.promised_at or False,
            "tracking_promise_source": self.tracking_promise_source
            if self.tracking_promised_date
            else (result.promise_source or False)
            if result.promised_at
            else False,
            "tracking_delivered_date": result.delivered_at or False,
            "tracking_error": False,
            "tracking_error_kind": False,
            "tracking_last_check": now,
            "tracking_next_check": False if result.status in FINAL_STATUSES else now + interval * factor,
            "tracking_lease_until": False,
        }

    def _tracking_poll_plan(self, result, last_event, now):
        """How often to ask about this parcel again and how urgent it is, from what the carrier
        just said: the carriers' limited calls go where a check can change something.

        :return: (factor of the account's poll interval, priority: higher is asked first)

        - a parcel in trouble (exception, failed attempt, on its way back): every
          third of the interval, first in line;
        - a parcel quiet for ``QUIET_DAYS`` days, nearing the stalled thresholds: every half;
        - a parcel moving normally (a scan within a day, its first promise not passed) with its
          estimated delivery more than two days ahead: every second interval (the carrier has
          nothing new to say until it nears);
        - a parcel whose tracking expired (too long in transit, the tracker's last word until a
          late scan or delivery): every fourth interval, after the others;
        - otherwise the interval. Extended by lost_parcel_reship (open cases first).
        """
        self.ensure_one()
        if result.status in URGENT_STATUSES:
            return 1 / 3, 30
        if result.status == st.EXPIRED:
            return 4, 0
        if last_event and now - last_event >= timedelta(days=QUIET_DAYS):
            return 1 / 2, 20
        eta = result.eta or self.tracking_eta
        if (
            result.status in (st.IN_TRANSIT, st.INFO_RECEIVED, st.PENDING)
            and eta
            and eta - now > timedelta(days=2)
            and last_event
            and now - last_event < timedelta(days=1)
            and not ((result.promised_at or self.tracking_promised_date or now) < now)
        ):
            return 2, 0
        return 1, 10

    def _hook_tracking_status_changed(self):
        """Called with the pickings whose normalized status just changed. Extended by
        lost_parcel_reship to react to exceptions and deliveries."""
        return True

    def _hook_tracking_updated(self):
        """Called with the pickings that have news from the carrier (a new event or a new status),
        whichever way it came (poll, webhook, Update Tracking), in the transaction that stores it.
        Extended by lost_parcel_reship to queue detection for exactly these parcels; an override
        must stay cheap (a webhook waits for it): queue work, do not do it here."""
        return True
