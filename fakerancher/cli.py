"""The `fakerancher` command line: `fakerancher serve [--host] [--port] [--transition-delay]
[--seed] [--state FILE]`."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from fakerancher import __version__
from fakerancher.errors import ApiError
from fakerancher.fake import FakeRancher

DESCRIPTION = """\
An in-memory fake of the Rancher 1.x (Cattle) API on /v1 and /v2-beta: registries, registry
credentials, registration tokens, projects, accounts and API keys with Cattle's real state
machine and roles, plus control routes under /_fake (reset, state, clock, transitions, faults,
calls, auth)."""

SERVE_EPILOG = """\
examples:
  fakerancher serve                         # http://127.0.0.1:8080/v1
  fakerancher serve --port 0                # any free port; the URL is printed
  fakerancher serve --transition-delay 2    # processes take 2 s, as on a busy server
  fakerancher serve --state scenario.json   # load it at start, save it back on exit
  fakerancher serve --api-key key:secret    # access control on: the admin's key:secret
  fakerancher serve --api-key k:s:1a5       # ... or an environment key of project 1a5

Each request is logged on stderr. Ctrl-C (or SIGTERM) stops the server cleanly."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fakerancher", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="serve the fake API over HTTP until Ctrl-C",
        description="Serve the fake Rancher API over HTTP until Ctrl-C.",
        epilog=SERVE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument(
        "--port", type=_port, default=8080, help="port to bind; 0 picks a free one (default 8080)"
    )
    serve.add_argument(
        "--transition-delay",
        type=_seconds,
        default=0.0,
        metavar="SECONDS",
        help="how long each process (create, activate, remove...) stays transitioning "
        "(default 0: the response shows the transitioning state, the next read the result)",
    )
    serve.add_argument(
        "--seed",
        type=int,
        default=None,
        help="seed ids, uuids, tokens and fault probabilities: same requests, same answers",
    )
    serve.add_argument(
        "--state",
        type=Path,
        metavar="FILE",
        help="JSON state file (the format of GET /_fake/state): loaded at start when it "
        "exists, written back on exit",
    )
    serve.add_argument(
        "--api-key",
        type=_key_pair,
        action="append",
        default=[],
        metavar="ACCESS:SECRET[:ACCOUNT]",
        help="an API key: of the admin account 1a1 (what Terraform and the rancher CLI are "
        "given), or of ACCOUNT, an account or project id (1a5: an environment key of the "
        "Default project); once one is given, access control is on and every API request "
        "needs one (HTTP Basic); repeatable",
    )
    serve.add_argument(
        "--reveal-secrets",
        action="store_true",
        help="for tests only: the call log keeps secret values and GET /_fake/secrets/<id> "
        "answers (never the API itself)",
    )
    serve.add_argument("--quiet", action="store_true", help="do not log each request")
    return parser


def _key_pair(text: str) -> tuple[str, str, str]:
    access, _, rest = text.partition(":")
    secret, _, account = rest.partition(":")
    if not access or not secret:
        raise argparse.ArgumentTypeError("an API key is ACCESS:SECRET or ACCESS:SECRET:ACCOUNT")
    return access, secret, account or "1a1"


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0-65535, not {port}")
    return port


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError("seconds must be >= 0")
    return value


def _unwritable(path: Path) -> str | None:
    """Why the state file could not be written at exit, or None; creates nothing."""
    if path.is_dir():
        return "it is a directory"
    target = path if path.exists() else path.parent
    if not target.exists():
        return f"no directory {target}"
    if not os.access(target, os.W_OK):
        return "permission denied"
    return None


def serve(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(asctime)s %(message)s",
        stream=sys.stderr,
    )
    fake = FakeRancher(
        transition_delay=args.transition_delay,
        seed=args.seed,
        reveal_secrets=args.reveal_secrets,
    )
    state: Path | None = args.state
    unwritable = None if state is None else _unwritable(state)
    if unwritable is not None:
        # Found now, not at exit, when the session's state would be lost.
        print(f"fakerancher: cannot save state to {state}: {unwritable}", file=sys.stderr)
        return 2
    if state is not None and state.exists():
        try:
            fake.load_state(state)
        except (ApiError, OSError) as error:
            problem = error.message if isinstance(error, ApiError) else error
            print(f"fakerancher: cannot load {state}: {problem}", file=sys.stderr)
            return 2
    known = {key["publicValue"] for key in fake.api_keys}  # e.g. from --state
    for access, secret, account in args.api_key:
        if access not in known:
            try:
                fake.add_api_key(account=account, public_value=access, secret_value=secret)
            except ApiError as error:
                print(f"fakerancher: cannot add API key {access}: {error}", file=sys.stderr)
                return 2
        fake.access_control = True
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        server = fake.serve(host=args.host, port=args.port)
    except OSError as error:
        print(f"fakerancher: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    print(f"fakerancher listening on {server.url} (API at {server.url}/v1)", flush=True)
    try:
        while not stopped.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    if state is not None:
        try:
            fake.save_state(state)
        except OSError as error:
            print(f"fakerancher: cannot save {state}: {error}", file=sys.stderr)
            return 1
        print(f"fakerancher saved its state to {state}", file=sys.stderr)
    print("fakerancher stopped", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
