"""The `fakerancher` command line: `fakerancher serve [--host] [--port]`."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence

from fakerancher.fake import FakeRancher


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fakerancher",
        description="An in-memory fake of the Rancher 1.x (Cattle) v1 API.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the fake API over HTTP until Ctrl-C")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument(
        "--port", type=int, default=8080, help="port to bind; 0 picks a free one (default 8080)"
    )
    return parser


def serve(host: str, port: int) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    fake = FakeRancher()
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        server = fake.serve(host=host, port=port)
    except OSError as error:
        print(f"fakerancher: cannot listen on {host}:{port}: {error}", file=sys.stderr)
        return 1
    print(f"fakerancher listening on {server.url} (API at {server.url}/v1)", flush=True)
    try:
        while not stopped.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    print("fakerancher stopped", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return serve(args.host, args.port)
    return 2


if __name__ == "__main__":
    sys.exit(main())
