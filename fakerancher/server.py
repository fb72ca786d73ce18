"""The WSGI app on a real socket: a threaded werkzeug server in a background thread."""

from __future__ import annotations

import contextlib
import json
import logging
import re
import socket
import threading
import uuid
from types import TracebackType
from typing import TYPE_CHECKING, Any

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

from fakerancher.calls import MASK
from fakerancher.errors import ApiError

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

request_log = logging.getLogger("fakerancher.requests")

_SECRET_NAME = re.compile(r"secret|password", re.IGNORECASE)


def mask_secrets(line: str) -> str:
    """A log line with the value of every secret-named query parameter masked: in each word
    holding a `?`, each `name=value` after it whose name says secret or password. Linear in
    the line's length, however long (a backtracking pattern here cost seconds per request)."""
    words = line.split(" ")
    for index, word in enumerate(words):
        path, mark, query = word.partition("?")
        if not mark:
            continue
        params = query.split("&")
        for n, param in enumerate(params):
            name, equals, _ = param.partition("=")
            if equals and _SECRET_NAME.search(name):
                params[n] = f"{name}={MASK}"
        words[index] = f"{path}?{'&'.join(params)}"
    return " ".join(words)


# socketserver's default 0.5 s poll would make every stop take up to half a second.
POLL_INTERVAL = 0.01


class _RequestHandler(WSGIRequestHandler):
    """werkzeug's handler, logging to `fakerancher.requests` instead of werkzeug's logger."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if request_log.isEnabledFor(logging.INFO):
            status = getattr(code, "value", code)
            request_log.info(
                "%s %s %s", self.address_string(), mask_secrets(self.requestline), status
            )

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """A request too broken for the app (bad request line, oversized headers): answered
        with a Cattle error document, as every other error, instead of http.server's HTML."""
        self.log_error("code %d, message %s", code, message)
        if self.request_version == "HTTP/0.9":  # an unparsable request line: answer in HTTP/1.x
            self.request_version = "HTTP/1.0"
        body = json.dumps(ApiError(code).document(str(uuid.uuid4()))).encode()
        self.send_response(code, message)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Connection", "close")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.close_connection = True
        if self.command != "HEAD" and code >= 200 and code not in (204, 304):
            self.wfile.write(body)

    def log(self, type: str, message: str, *args: Any) -> None:
        request_log.log(
            logging.ERROR if type == "error" else logging.INFO,
            "%s %s",
            self.address_string(),
            mask_secrets(message % args),
        )


class _Server(ThreadedWSGIServer):
    """Remembers open connections so that a stop can close idle keep-alive ones at once."""

    def __init__(self, host: str, port: int, app: WSGIApplication) -> None:
        # Bind here: werkzeug's own bind prints and calls sys.exit() when the port is taken,
        # where a library must raise OSError.
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        listener = socket.create_server((host, port), family=family, backlog=128)
        try:
            super().__init__(host, port, app, handler=_RequestHandler, fd=listener.fileno())
        finally:
            listener.close()
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class LiveServer:
    """A running server; a context manager that stops it on exit."""

    def __init__(self, app: WSGIApplication, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = _Server(host, port, app)
        self.host = host
        self.port: int = self._server.socket.getsockname()[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": POLL_INTERVAL},
            name=f"fakerancher-{self.port}",
            daemon=True,
        )
        self._thread.start()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        self._server.shutdown()
        self._server.server_close()
        self._server.close_connections()
        self._thread.join()

    def __enter__(self) -> LiveServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<LiveServer {self.url} {state}>"
