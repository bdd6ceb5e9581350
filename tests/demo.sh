#!/usr/bin/env bash
# Start a demo on an existing Odoo 18: carrier sandbox on :8079, fresh database with both
# addons and their demo data, parcels polled and checked once, Odoo on :8069.
#
#   bash tests/demo.sh            (Ctrl-C stops Odoo and the sandbox)
#
# Environment: PGHOST/PGPORT/PGUSER/PGPASSWORD (default 127.0.0.1:5432, current user),
# LPR_DEMO_DB (default lost_parcel_demo, dropped and created again), ODOO_PORT (8069).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-$(id -un)}
DB=${LPR_DEMO_DB:-lost_parcel_demo}
PORT=${ODOO_PORT:-8069}
SANDBOX_PORT=${SANDBOX_PORT:-8079}
export CARRIER_SANDBOX_URL="http://127.0.0.1:$SANDBOX_PORT"

odoo_dir=$(python3 -c "import os, odoo, odoo.release as r; assert r.version_info[0] == 18; print(os.path.dirname(odoo.__file__))" 2>/dev/null) \
    || { echo "tests/demo.sh: Odoo 18 cannot be imported by python3: install Odoo 18 first (README.md)." >&2; exit 2; }
CONF="$REPO/.odoo-demo.conf"
cat > "$CONF" <<CONF
[options]
addons_path = $odoo_dir/addons,$REPO
data_dir = $REPO/.odoo-data
db_host = $PGHOST
db_port = $PGPORT
db_user = $PGUSER
db_password = ${PGPASSWORD:-False}
http_port = $PORT
CONF

python3 "$REPO/carrier_connectors/sandbox" --port "$SANDBOX_PORT" &
SANDBOX_PID=$!
trap 'kill $SANDBOX_PID 2>/dev/null || true' EXIT

echo "== fresh database $DB with lost_parcel_reship and demo data"
odoo -c "$CONF" db drop "$DB" >/dev/null 2>&1 || python3 - "$DB" <<'PY'
import os, sys, psycopg2
conn = psycopg2.connect(host=os.environ["PGHOST"], port=os.environ["PGPORT"], user=os.environ["PGUSER"],
                        password=os.environ.get("PGPASSWORD"), dbname="postgres")
conn.autocommit = True
conn.cursor().execute(f'DROP DATABASE IF EXISTS "{sys.argv[1]}" WITH (FORCE)')
PY
odoo -c "$CONF" -d "$DB" -i lost_parcel_reship --stop-after-init --log-level=warn

echo "== polling the demo parcels and running detection once"
odoo shell -c "$CONF" -d "$DB" --log-level=warn <<'PY'
env["stock.picking"]._cron_update_tracking()
cases = env["lost.parcel.case"]._cron_detect_lost_parcels()
env.cr.commit()
print(f"{len(cases)} lost-parcel case(s) opened")
PY

echo "== Odoo on http://localhost:$PORT (login admin / admin), sandbox on $CARRIER_SANDBOX_URL"
odoo -c "$CONF" -d "$DB" --db-filter="^$DB\$"
