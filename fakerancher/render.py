"""Records to Cattle JSON documents: every field, TS twins, links, actions, secrets blanked."""

from __future__ import annotations

import time
from typing import Any

from fakerancher import tokens
from fakerancher.lifecycle import DEFAULT_TRANSITIONING_MESSAGE, available_actions, is_transitioning
from fakerancher.schemas import PROJECT, RESOURCE_TYPES, ResourceType, lookup
from fakerancher.store import Record
from fakerancher.urls import Urls

_PRIORITY_KEYS = ("id", "type", "links", "actions", "baseType", "name", "state")
# registrationToken output fields exist only once the create process generated its keys.
_KEYLESS_STATES = frozenset({"requested", "registering"})


def format_date(epoch_seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch_seconds))


def format_id(rtype: ResourceType, record_id: int) -> str:
    return f"{rtype.id_prefix}{record_id}"


def format_project_id(account_id: int) -> str:
    return f"{PROJECT.id_prefix}{account_id}"


def schema_of(record: Record) -> ResourceType:
    rtype = lookup(record.type)
    assert rtype is not None
    return rtype


class Renderer:
    """Renders records for one request: its URLs, its clock reading and its method."""

    def __init__(self, urls: Urls, now: float, method: str, *, action_links: bool = False) -> None:
        self.urls = urls
        self.now = now
        # Cattle's ActionLinksMapper: the same map, named `actionLinks`.
        self.action_links = action_links
        # readOnCreateOnly fields are shown only in answers to a POST (create or action).
        self.show_create_only = method == "POST"

    def resource(self, record: Record) -> dict[str, Any]:
        rtype = schema_of(record)
        rid = format_id(rtype, record.id)
        values = self._field_values(rtype, record)
        extra_links = self._extra_links(record, values)
        doc: dict[str, Any] = {
            "id": rid,
            "type": rtype.id,
            "links": self._links(rtype, rid, values, extra_links),
            "actionLinks" if self.action_links else "actions": {
                name: self.urls.action(rtype, rid, name)
                for name in available_actions(rtype.actions, record.state)
            },
            "baseType": rtype.base_type,
            "name": values.pop("name", None),
            "state": values.pop("state"),
        }
        if record.type == "registrationToken" and values.get("token") is not None:
            values["windowsCommand"] = tokens.WINDOWS_COMMAND
        for key in sorted(values):
            doc[key] = values[key]
        return doc

    def _field_values(self, rtype: ResourceType, record: Record) -> dict[str, Any]:
        if record.transitioning_error:
            transitioning, message = "error", record.transitioning_message
        elif is_transitioning(record.state):
            transitioning = "yes"
            message = record.transitioning_message or DEFAULT_TRANSITIONING_MESSAGE
        else:
            transitioning, message = "no", None
        computed: dict[str, Any] = {
            "id": format_id(rtype, record.id),
            "kind": rtype.id,
            "uuid": record.uuid,
            "accountId": format_project_id(record.account_id),
            "created": record.created,
            "removed": record.removed,
            "state": record.state,
            "transitioning": transitioning,
            "transitioningMessage": message,
            "transitioningProgress": None,
        }
        if record.type == "registrationToken":
            computed.update(self._token_fields(record))
        values: dict[str, Any] = {}
        for field in rtype.fields:
            name = field.name
            value = computed[name] if name in computed else record.values.get(name)
            if field.read_on_create_only and not self.show_create_only:
                value = None
            elif field.is_date:
                if value is not None:
                    values[f"{name}TS"] = int(value) * 1000
                    value = format_date(value)
            elif name == "registryId" and value is not None:
                value = f"1sp{value}"
            values[name] = value
        return values

    def _token_fields(self, record: Record) -> dict[str, Any]:
        if record.state in _KEYLESS_STATES:
            return dict.fromkeys(("token", "registrationUrl", "command", "image"))
        token = record.values["token"]
        url = self.urls.script(token)
        return {
            "token": token,
            "registrationUrl": url,
            "command": tokens.register_command(url),
            "image": tokens.AGENT_IMAGE,
        }

    def _extra_links(self, record: Record, values: dict[str, Any]) -> dict[str, str]:
        if record.type == "registrationToken" and values.get("registrationUrl"):
            return {"registrationUrl": values["registrationUrl"]}
        if record.type == "project":
            scoped = Urls(self.urls.host_url, f"/projects/{format_project_id(record.id)}")
            links = {"schemas": scoped.schemas}
            for rtype in RESOURCE_TYPES:
                if rtype is not PROJECT:
                    links[rtype.plural] = scoped.collection(rtype)
            return links
        return {}

    def _links(
        self, rtype: ResourceType, rid: str, values: dict[str, Any], extra: dict[str, str]
    ) -> dict[str, str]:
        links = {"self": self.urls.resource(rtype, rid)}
        names: dict[str, str] = {}
        for name in rtype.link_names:
            followed = rtype.reference_links.get(name)
            if followed is not None and values.get(followed) is None:
                continue
            names[name] = self.urls.link(rtype, rid, name)
        names.update(extra)
        for name in sorted(names):
            links[name] = names[name]
        return links
