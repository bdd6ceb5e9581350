"""Run the carrier sandbox: ``python3 carrier_connectors/sandbox [--port 8079]``."""

import argparse
import logging
import os
import sys

if not __package__:
    # Run as a folder: import the sandbox as a top-level package so its relative imports work
    # without importing the Odoo addon around it.
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    __package__ = "sandbox"

from sandbox.server import SandboxServer


def main():
    parser = argparse.ArgumentParser(description="Carrier API sandbox for Lost Parcel & Reship")
    parser.add_argument("--host", default=os.environ.get("SANDBOX_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("SANDBOX_PORT", "8079")))
    parser.add_argument("--fail-rate", type=float, default=0.0, help="share of calls answered 429/500")
    parser.add_argument("--timeout-delay", type=float, default=3.0, help="seconds the 'timeout' scenario waits")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds every answer takes, like a network")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    server = SandboxServer(
        args.host, args.port, fail_rate=args.fail_rate, timeout_delay=args.timeout_delay, latency=args.latency
    )
    logging.info("carrier sandbox listening on %s", server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        logging.info("carrier sandbox stopped")


if __name__ == "__main__":
    main()
