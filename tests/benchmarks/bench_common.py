"""What every benchmark script shares: boot an Odoo registry, work in a rolled-back transaction
or in a copy of the database dropped at the end."""

import os
import shutil
import threading
from contextlib import closing, contextmanager


def configure(args):
    import odoo  # noqa: PLC0415 - after argument parsing, so --help needs no Odoo

    options = ["-d", args.db, "--log-level=warn"] + (["-c", args.config] if args.config else [])
    odoo.tools.config.parse_config(options)


def boot(args):
    import odoo  # noqa: PLC0415

    configure(args)
    threading.current_thread().dbname = args.db
    return odoo.modules.registry.Registry(args.db)


@contextmanager
def scratch_database(args):
    """The registry of a copy of ``args.db`` (Odoo's own duplicate), dropped at the end: for a
    benchmark whose work commits, on more than one connection, as a cron run does."""
    import odoo  # noqa: PLC0415
    from odoo.service import db  # noqa: PLC0415
    from odoo.tools import SQL  # noqa: PLC0415

    configure(args)
    name = f"{args.db}_bench_{os.getpid()}"
    db.exp_duplicate_database(args.db, name)
    try:
        threading.current_thread().dbname = name
        yield odoo.modules.registry.Registry(name)
    finally:
        # Not ``exp_drop``: it drops only the databases ``list_dbs`` shows, and ``-d DB`` hides this one.
        odoo.modules.registry.Registry.delete(name)
        odoo.sql_db.close_db(name)
        with closing(odoo.sql_db.db_connect("postgres").cursor()) as cr:
            cr._cnx.autocommit = True
            cr.execute(SQL("DROP DATABASE IF EXISTS %s WITH (FORCE)", SQL.identifier(name)))
        shutil.rmtree(odoo.tools.config.filestore(name), ignore_errors=True)


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
