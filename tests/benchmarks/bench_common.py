"""What every benchmark script shares: boot an Odoo registry, work in a rolled-back transaction."""

import threading
from contextlib import contextmanager


def boot(args):
    import odoo  # noqa: PLC0415 - after argument parsing, so --help needs no Odoo

    options = ["-d", args.db, "--log-level=warn"] + (["-c", args.config] if args.config else [])
    odoo.tools.config.parse_config(options)
    threading.current_thread().dbname = args.db
    return odoo.modules.registry.Registry(args.db)


@contextmanager
def rolled_back_env(registry):
    """An environment whose commits are savepoints of one transaction, rolled back on exit."""
    from odoo import SUPERUSER_ID, api  # noqa: PLC0415
    from odoo.sql_db import TestCursor  # noqa: PLC0415

    real = registry.cursor()
    cr = TestCursor(real, threading.RLock(), readonly=False)
    try:
        yield api.Environment(cr, SUPERUSER_ID, {})
    finally:
        cr.close()
        real.rollback()
        real.close()
