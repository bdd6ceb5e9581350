#!/usr/bin/env bash
# Run every test of the project (both addons' Odoo tests, browser tours, and the carrier
# client tests in tests/) against a fresh PostgreSQL database, dropped afterwards.
#
#   bash tests/run.sh [extra pytest arguments]
#   LPR_TEST_PATHS="lost_parcel_reship/tests/test_refund.py" bash tests/run.sh   (a subset)
#
# Needs: Odoo 18 importable by python3 (an `odoo` command on PATH, as Odoo's packages
# install it), PostgreSQL reachable (PGHOST/PGPORT/PGUSER, default 127.0.0.1:5432 and
# the current user), the packages of requirements.txt, and Chromium for the tours.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=${PYTHON:-python3}
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-$(id -un)}
# Extra modules the tests cover, none of them a dependency: kits (mrp), purchase suggestions
# (purchase_stock), and real single-use compensation coupons (loyalty; its absence is tested too).
MODULES=${LPR_TEST_MODULES:-lost_parcel_reship,purchase_stock,mrp,loyalty}

die() { printf '\ntests/run.sh: %s\n' "$*" >&2; exit 2; }

odoo_dir=$("$PYTHON" - <<'PY' 2>/dev/null
import os, odoo, odoo.release as r
assert r.version_info[0] == 18, r.version
print(os.path.dirname(odoo.__file__))
PY
) || die "Odoo 18 cannot be imported by '$PYTHON' ($(command -v "$PYTHON")). Install Odoo 18 (Odoo's packages, or run the tests in the odoo:18.0 image: see README.md)."
command -v odoo >/dev/null || die "no 'odoo' command on PATH: install Odoo 18 the way its packages do."

"$PYTHON" - 2>/dev/null <<'PY' || die "PostgreSQL is not reachable at $PGHOST:$PGPORT as '$PGUSER' (set PGHOST, PGPORT, PGUSER, PGPASSWORD)."
import os, psycopg2
psycopg2.connect(host=os.environ["PGHOST"], port=os.environ["PGPORT"], user=os.environ["PGUSER"],
                 password=os.environ.get("PGPASSWORD"), dbname="postgres", connect_timeout=5).close()
PY
"$PYTHON" -c "import pytest_odoo, websocket" 2>/dev/null \
    || die "missing test packages: pip install -r requirements.txt (pytest-odoo, websocket-client)."
command -v chromium >/dev/null || command -v google-chrome >/dev/null || command -v chromium-browser >/dev/null \
    || die "no Chromium: the browser tours would be skipped (Debian: apt-get install chromium)."

DB="lpr_test_$(date +%Y%m%d_%H%M%S)_$$"
# Which tests: all of them by default; a subset (paths, pytest syntax) for a quick look.
read -r -a TEST_PATHS <<< "${LPR_TEST_PATHS:-carrier_connectors/tests lost_parcel_reship/tests tests}"
# LPR_CORE_SUITES=1 (CI): also Odoo's own suites of the flows our addons touch, on this database
# with our addons installed: they must pass as they do without them (about 380 tests).
EXTRA_ARGS=()
if [ "${LPR_CORE_SUITES:-0}" = 1 ]; then
    for addon in sale_stock stock_delivery purchase_stock; do
        TEST_PATHS+=("$odoo_dir/addons/$addon/tests")
    done
    # Fails on this Odoo 18 nightly without our addons too (an MTO chain's purchase quantity
    # after a sale quantity decrease): not ours to fix, listed so that CI stays meaningful.
    EXTRA_ARGS+=(-k "not test_08_check_update_qty_mto_chain")
fi
# A free port for the Odoo server of the browser tours, so two runs can share a machine.
HTTP_PORT=${LPR_HTTP_PORT:-$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
WORK=$(mktemp -d)
cleanup() {
    "$PYTHON" - "$DB" <<'PY' || true
import os, sys, psycopg2
conn = psycopg2.connect(host=os.environ["PGHOST"], port=os.environ["PGPORT"], user=os.environ["PGUSER"],
                        password=os.environ.get("PGPASSWORD"), dbname="postgres")
conn.autocommit = True
conn.cursor().execute(f'DROP DATABASE IF EXISTS "{sys.argv[1]}" WITH (FORCE)')
PY
    rm -rf "$WORK"
}
trap cleanup EXIT

cat > "$WORK/odoo.conf" <<CONF
[options]
addons_path = $odoo_dir/addons,$REPO
data_dir = $WORK/data
db_host = $PGHOST
db_port = $PGPORT
db_user = $PGUSER
db_password = ${PGPASSWORD:-False}
list_db = False
http_port = $HTTP_PORT
CONF

echo "== installing $MODULES with demo data in fresh database $DB"
odoo -c "$WORK/odoo.conf" -d "$DB" -i "$MODULES" --stop-after-init --log-level=warn 2>&1 \
    | { grep -v "^Running as user 'root'" || true; } | tee "$WORK/install.log"
if grep -E " (WARNING|ERROR|CRITICAL) " "$WORK/install.log" | grep -E "carrier_connectors|lost_parcel_reship"; then
    die "installing our modules logged the warnings or errors above."
fi
grep -q " CRITICAL \| ERROR " "$WORK/install.log" && die "the installation failed (see above)."

echo "== running tests"
cd "$REPO"
set +e
"$PYTHON" -m pytest -p no:cacheprovider --odoo-database="$DB" --odoo-config="$WORK/odoo.conf" --odoo-http \
    --junitxml="$WORK/junit.xml" -rfEs "${TEST_PATHS[@]}" "${EXTRA_ARGS[@]}" "$@"
status=$?
set -e
skipped=$("$PYTHON" -c "
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
print(sum(int(s.get('skipped', 0)) for s in root.iter('testsuite')))" "$WORK/junit.xml" 2>/dev/null || echo 0)
if [ "$status" -eq 0 ] && [ "$skipped" -gt 0 ]; then
    die "$skipped test(s) were skipped: a skipped test counts as a failure here (see the reasons above)."
fi
exit "$status"
