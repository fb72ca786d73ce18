"""The URLs Cattle emits: absolute, lower-cased, with the project sub-context when scoped."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

from fakerancher.schemas import ResourceType

API_VERSION = "v1"  # the version URLs are built for unless one is named


@dataclass(frozen=True, slots=True)
class Urls:
    """URL builder for one request.

    `host_url` is the scheme and host the client used (e.g. `http://localhost:8080`);
    `sub_context` is `/projects/<pid>` when the request came through a project path.
    """

    host_url: str
    sub_context: str = ""
    version: str = API_VERSION
    # Cattle's `api.host` setting, when set: agents are sent to `<api.host>/v1` instead.
    api_host: str = ""
    root: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        root = f"{self.host_url}/{self.version}{self.sub_context}".lower()
        object.__setattr__(self, "root", root)

    def scoped_to(self, project_id: str) -> Urls:
        """These URLs inside a project (`/<version>/projects/<id>/...`); a segment that is no
        id is percent-encoded, so that no header or link it reaches can break."""
        return Urls(
            self.host_url, f"/projects/{quote(project_id, safe='')}", self.version, self.api_host
        )

    def in_version(self, version: str) -> Urls:
        return Urls(self.host_url, self.sub_context, version, self.api_host)

    def agents_at(self, api_host: str | None) -> Urls:
        """These URLs with agents sent to the `api.host` setting's server (unchanged when it
        is not set): `http://` is assumed without a scheme, as Cattle's ServerContext does."""
        host = (api_host or "").strip().rstrip("/")
        if host and "://" not in host:
            host = f"http://{host}"
        if host == self.api_host:
            return self
        return Urls(self.host_url, self.sub_context, self.version, host)

    @property
    def schemas(self) -> str:
        return f"{self.root}/schemas"

    def schema(self, schema_id: str) -> str:
        return f"{self.root}/schemas/{schema_id.lower()}"

    def collection(self, rtype: ResourceType) -> str:
        return f"{self.root}/{rtype.plural.lower()}"

    def resource(self, rtype: ResourceType, resource_id: str) -> str:
        return f"{self.collection(rtype)}/{resource_id.lower()}"

    def link(self, rtype: ResourceType, resource_id: str, name: str) -> str:
        return f"{self.resource(rtype, resource_id)}/{name.lower()}"

    def action(self, rtype: ResourceType, resource_id: str, name: str) -> str:
        return f"{self.resource(rtype, resource_id)}/?action={name.lower()}"

    def script(self, token: str) -> str:
        # Not lower-cased: the token is case-sensitive and `scripts` has no schema.
        if self.api_host:  # Cattle's `cattle.url.path`: always /v1 there
            return f"{self.api_host}/{API_VERSION}/scripts/{token}"
        return f"{self.host_url}/{self.version}{self.sub_context}/scripts/{token}"

    @property
    def cattle_url(self) -> str:
        if self.api_host:
            return f"{self.api_host}/{API_VERSION}"
        return f"{self.host_url}/{self.version}"
