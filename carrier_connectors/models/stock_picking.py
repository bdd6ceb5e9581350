import itertools
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from ..clients import CarrierError, TrackingResult, get_client_class
from ..clients.base import ERROR_KINDS, ERROR_NOT_FOUND
from ..clients.status import EXCEPTION_KINDS, FINAL_STATUSES, STATUS_SELECTION

_logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 200
# Threads of one poll, all accounts together (each account also keeps to its own concurrency).
MAX_POLL_THREADS = 32
# How soon to look again after each kind of error, in hours.
ERROR_RETRY_HOURS = {"rate_limited": 0.5, "carrier_down": 0.5, "malformed": 1, "not_found": 12}


class StockPicking(models.Model):
    _inherit = "stock.picking"

    tracking_account_id = fields.Many2one(
        "carrier.tracking.account", related="carrier_id.tracking_account_id", store=True, index=True
    )
    tracking_status = fields.Selection(STATUS_SELECTION, readonly=True, index=True, copy=False)
    tracking_raw_status = fields.Char("Carrier Status Code", readonly=True, copy=False)
    tracking_exception_kind = fields.Selection(EXCEPTION_KINDS, readonly=True, copy=False)
    tracking_last_event_date = fields.Datetime("Last Tracking Event", readonly=True, copy=False, index=True)
    tracking_eta = fields.Datetime("Carrier ETA", readonly=True, copy=False)
    tracking_delivered_date = fields.Datetime("Delivered On", readonly=True, copy=False)
    tracking_last_check = fields.Datetime("Last Tracking Check", readonly=True, copy=False)
    tracking_next_check = fields.Datetime("Next Tracking Check", readonly=True, copy=False, index=True)
    tracking_error = fields.Char(readonly=True, copy=False)
    tracking_error_kind = fields.Selection(ERROR_KINDS, readonly=True, copy=False)
    tracking_event_ids = fields.One2many("stock.tracking.event", "picking_id", string="Tracking Events", readonly=True)
    tracking_event_count = fields.Integer(compute="_compute_tracking_event_count")

    @api.depends("tracking_event_ids")
    def _compute_tracking_event_count(self):
        counts = dict(
            self.env["stock.tracking.event"]._read_group([("picking_id", "in", self.ids)], ["picking_id"], ["__count"])
        )
        for picking in self:
            picking.tracking_event_count = counts.get(picking, 0)

    # ------------------------------------------------------------------ domains
    @api.model
    def _tracking_due_domain(self, now=None):
        return [
            ("state", "=", "done"),
            ("picking_type_code", "=", "outgoing"),
            ("carrier_tracking_ref", "!=", False),
            ("tracking_account_id.active", "=", True),
            ("tracking_status", "not in", list(FINAL_STATUSES)),
            "|",
            ("tracking_next_check", "=", False),
            ("tracking_next_check", "<=", now or fields.Datetime.now()),
        ]

    def _claim_for_tracking(self, limit):
        """Lock up to ``limit`` due pickings, skipping those another server is polling."""
        query = self._search(self._tracking_due_domain(), limit=limit, order="tracking_next_check, id")
        rows = self.env.execute_query(SQL("%s FOR UPDATE SKIP LOCKED", query.select(SQL.identifier(self._table, "id"))))
        return self.browse(row[0] for row in rows)

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
    def _cron_update_tracking(self, batch_size=None, max_batches=None):
        """Poll every due parcel, one committed batch at a time."""
        param = self.env["ir.config_parameter"].sudo().get_param("carrier_connectors.poll_batch_size")
        batch_size = batch_size or int(param or DEFAULT_BATCH_SIZE)
        cron = self.env["ir.cron"]
        done = 0
        while max_batches is None or max_batches > 0:
            batch = self._claim_for_tracking(batch_size)
            if not batch:
                break
            batch._update_tracking()
            done += len(batch)
            if max_batches is not None:
                max_batches -= 1
            remaining = self.search_count(self._tracking_due_domain())
            cron._notify_progress(done=done, remaining=remaining)
            if not getattr(threading.current_thread(), "testing", False):
                # Commit per batch on purpose (DESIGN.md, Scale): a crash loses at most one batch.
                self.env.cr.commit()  # pylint: disable=invalid-commit
        return done

    def _update_tracking(self):
        """Ask the carriers about these pickings (HTTP in threads, no ORM there), then
        store what they said in this transaction."""
        results = self._fetch_tracking(self.grouped("tracking_account_id"))
        self._apply_tracking_results(results)
        return results

    @api.model
    def _fetch_tracking(self, pickings_by_account):
        """{picking id: TrackingResult} for {account: pickings}; per-parcel errors come back as
        failed results. Every account's calls share one thread pool, so one carrier's
        Retry-After waits overlap the other carriers' work; each account keeps to its own
        number of parallel requests (and its rate limit, in the client)."""
        results, tasks, slots, limits = {}, [], {}, {}
        for account, pickings in pickings_by_account.items():
            if not account:
                continue
            numbers = {}
            for picking in pickings:
                numbers.setdefault(picking.carrier_tracking_ref.strip(), []).append(picking.id)
            try:
                options = account._get_client_options()
                client_cls = get_client_class(account.provider)
                client_cls(**options)  # fails early on missing credentials
            except CarrierError as exc:
                results.update({pid: TrackingResult.failure(n, exc) for n, ids in numbers.items() for pid in ids})
                continue
            limits[account.id] = max(1, account.concurrency)
            slots[account.id] = threading.Semaphore(limits[account.id])
            size = client_cls.batch_size
            refs = list(numbers)
            tasks.append(
                [(account.id, client_cls, options, numbers, refs[i : i + size]) for i in range(0, len(refs), size)]
            )

        def fetch(task):  # runs in a worker thread: no ORM here
            account_id, client_cls, options, numbers, chunk = task
            with slots[account_id]:
                answer = client_cls(**options).track(chunk)
            return {pid: answer[number] for number in chunk for pid in numbers[number]}

        # Round-robin over the accounts, so free threads take another carrier's work instead of
        # queueing behind the same account's concurrency limit.
        tasks = [task for batch in itertools.zip_longest(*tasks) for task in batch if task]
        if tasks:
            workers = min(MAX_POLL_THREADS, sum(limits.values()), len(tasks))
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tracking") as pool:
                for answer in pool.map(fetch, tasks):
                    results.update(answer)
        return results

    def _apply_tracking_results(self, results):
        """Store results: new events once, picking summary, next check date."""
        Event = self.env["stock.tracking.event"]
        pickings = self.browse(list(results))
        known = {
            (row["picking_id"][0], row["event_key"])
            for row in Event.search_read([("picking_id", "in", pickings.ids)], ["picking_id", "event_key"])
        }
        new_events = []
        now = fields.Datetime.now()
        changed = self.browse()
        updated = set()
        labels = dict(STATUS_SELECTION)
        notes = {}
        for picking in pickings:
            result = results[picking.id]
            for event in result.events:
                vals = Event._prepare_event_vals(picking.id, event)
                if (picking.id, vals["event_key"]) not in known:
                    known.add((picking.id, vals["event_key"]))
                    new_events.append(vals)
                    updated.add(picking.id)
            vals = picking._prepare_tracking_vals(result, now)
            if vals.get("tracking_status") and vals["tracking_status"] != picking.tracking_status:
                changed |= picking
                updated.add(picking.id)
                last = result.events[-1] if result.events else None
                detail = f" ({last.description}, {last.location})" if last else ""
                notes[picking.id] = self.env._(
                    "Tracking: %(old)s → %(new)s%(detail)s",
                    old=labels.get(picking.tracking_status, self.env._("none")),
                    new=labels[vals["tracking_status"]],
                    detail=detail,
                )
            picking.write(vals)
        # Events are the carrier's facts, not the user's input: stored whoever asked the update.
        Event.sudo().create(new_events)
        if notes:
            changed._message_log_batch(bodies=notes)
        changed._hook_tracking_status_changed()
        pickings.filtered(lambda p: p.id in updated)._hook_tracking_updated()
        return changed

    def _prepare_tracking_vals(self, result, now):
        self.ensure_one()
        interval = timedelta(hours=self.tracking_account_id.poll_interval_hours or 6)
        if not result.ok:
            vals = {
                "tracking_error": result.error,
                "tracking_error_kind": result.error_kind,
                "tracking_last_check": now,
                "tracking_next_check": now
                + timedelta(hours=ERROR_RETRY_HOURS.get(result.error_kind, interval.total_seconds() / 3600)),
            }
            if result.error_kind == ERROR_NOT_FOUND:
                vals["tracking_status"] = "not_found"
            return vals
        last_event = result.events[-1].occurred_at if result.events else False
        return {
            "tracking_status": result.status,
            "tracking_raw_status": result.raw_status,
            "tracking_exception_kind": result.exception_kind or False,
            "tracking_last_event_date": max(filter(None, [last_event, self.tracking_last_event_date]), default=False),
            "tracking_eta": result.eta or self.tracking_eta,
            "tracking_delivered_date": result.delivered_at or False,
            "tracking_error": False,
            "tracking_error_kind": False,
            "tracking_last_check": now,
            "tracking_next_check": False if result.status in FINAL_STATUSES else now + interval,
        }

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
