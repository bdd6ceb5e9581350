"""Two Odoo processes calling one carrier account at once keep, together, to the account's rate
limit: each books its calls from the account's timeline in PostgreSQL (``carrier.api.throttle``),
where a limiter of each process's own would let each make the whole limit's calls.

Two real server processes (``python3`` loading this database's registry, as a cron or HTTP
worker does), calling the carrier sandbox of this test process over HTTP; the sandbox counts
the requests it gets. Committed data on purpose, on the throwaway database of ``tests/run.sh``.
"""

import subprocess
import sys
import time

import pytest

import odoo

from odoo.addons.carrier_connectors.tests.common import sandbox_server

from .world import create_world, database_registry, new_tag, superuser_env

RATE, SECONDS = 10.0, 2.0

# One process: load the database's registry, build the account's client, wait for the start
# time, then track one parcel again and again until the rate limit allows no call before the
# end of the window. Prints the calls it made.
PROCESS = """
import sys, time
import odoo
from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry

rcfile, dbname, account_id, number, seconds = sys.argv[1:]
odoo.tools.config.parse_config(["-c", rcfile, "-d", dbname, "--log-level=warn"])
from odoo.addons.carrier_connectors.clients.api import OutOfTime
with Registry(dbname).cursor() as cr:
    account = api.Environment(cr, SUPERUSER_ID, {})["carrier.tracking.account"].browse(int(account_id))
    print("ready", flush=True)
    start = float(sys.stdin.readline())
    time.sleep(max(0.0, start - time.time()))
    client = account._get_client(max_attempts=1, deadline=time.monotonic() + float(seconds))
    made = 0
    while True:
        try:
            client.track([number])
        except OutOfTime:
            break
        made += 1
    print(made, flush=True)
"""


@pytest.fixture(scope="module")
def registry():
    return database_registry()


def test_two_server_processes_share_one_accounts_rate_limit(registry):
    tag = new_tag()
    with registry.cursor() as cr:
        account, _carrier, _rule = create_world(superuser_env(cr), "dhl", tag, api_key="sandbox-key", rate_limit=RATE)
        account_id = account.id
    rcfile = odoo.tools.config.rcfile
    if not rcfile:
        pytest.fail("run through tests/run.sh: the server processes need the Odoo configuration file")
    command = [
        sys.executable,
        "-c",
        PROCESS,
        rcfile,
        registry.db_name,
        str(account_id),
        f"JD{tag}INTRANSIT",
        str(SECONDS),
    ]
    processes = [
        subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for _process in range(2)
    ]
    try:
        for process in processes:
            assert process.stdout.readline().strip() == "ready", "the server process did not load the registry"
        before = sandbox_server().state.requests["dhl"]
        start = f"{time.time() + 1.0}\n"
        for process in processes:
            process.stdin.write(start)
            process.stdin.flush()
        made = [int(process.stdout.readline()) for process in processes]
    finally:
        for process in processes:
            process.kill()
            process.wait(timeout=30)
    asked = sandbox_server().state.requests["dhl"] - before

    # The account's burst (10 calls) and 10 a second for 2 s: 30 calls at most, where two
    # processes each with a bucket of its own make 30 each.
    assert asked == sum(made), "every call the processes counted reached the carrier"
    assert asked <= RATE + RATE * SECONDS + 1, f"{made} calls made by the two processes"
    assert min(made) >= 5, f"both processes were served from the shared limit: {made}"
