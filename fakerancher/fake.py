"""`FakeRancher`: one fake Rancher server with its own store, clock and settings."""

from __future__ import annotations

from fakerancher.app import CattleApp
from fakerancher.clock import Clock
from fakerancher.resources import Resources
from fakerancher.server import LiveServer
from fakerancher.store import DEFAULT_PROJECT_ID, Store

DEFAULT_URL = "http://rancher.test"


class FakeRancher:
    """An in-memory Rancher 1.x (Cattle) API.

    Nothing is global: two instances never see each other's data. `wsgi_app` serves the `/v1`
    API; `serve()` puts it on a real socket.
    """

    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        transition_delay: float = 0.0,
        seed: int | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.clock = Clock()
        self.transition_delay = transition_delay
        self.seed = seed
        self.store = Store(transition_delay, seed)
        self.resources = Resources(self.store)
        self._add_default_project()
        self.wsgi_app = CattleApp(self)
        self._servers: list[LiveServer] = []

    def _add_default_project(self) -> None:
        self.resources.add_project("Default", self.clock.now(), project_id=DEFAULT_PROJECT_ID)

    def reset(self) -> None:
        """Back to the initial state: empty but for the Default project `1a5`."""
        with self.store.lock:
            store = Store(self.transition_delay, self.seed)
            self.resources = Resources(store)
            self.store = store
            self._add_default_project()

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> LiveServer:
        """Serve the API on a real socket in a background thread; `url` becomes its URL."""
        server = LiveServer(self.wsgi_app, host, port)
        self._servers.append(server)
        self.url = server.url
        return server

    def stop(self) -> None:
        """Stop every server started with `serve()`."""
        while self._servers:
            self._servers.pop().stop()
