"""Records to Cattle JSON documents, as one caller's schemas show them: every field of the
role's view, TS twins, links, the actions the caller may take, secrets blanked."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from fakerancher.behaviours import BEHAVIOURS
from fakerancher.lifecycle import DEFAULT_TRANSITIONING_MESSAGE, is_transitioning
from fakerancher.roles import SchemaSet
from fakerancher.schemas import ID_PREFIX, TYPES, ResourceType, lookup
from fakerancher.store import Record
from fakerancher.urls import Urls

ActionsOf = Callable[[ResourceType, Record], list[str]]
NameOf = Callable[[Any], str | None]


def format_date(epoch_seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch_seconds))


def format_id(rtype: ResourceType, record_id: int) -> str:
    return f"{rtype.id_prefix}{record_id}"


def format_account_id(account_id: int) -> str:
    return f"{ID_PREFIX['account']}{account_id}"


def kind_of(record: Record) -> str:
    """A row's `kind`: its type, or an account's kind (`admin`, `user`, ...)."""
    return BEHAVIOURS[TYPES[record.type].hook].kind(record)


class Renderer:
    """Renders records for one request: its URLs, clock reading, method and caller."""

    def __init__(
        self,
        urls: Urls,
        now: float,
        method: str,
        schemas: SchemaSet,
        actions_of: ActionsOf,
        name_of: NameOf,
        *,
        action_links: bool = False,
    ) -> None:
        self.urls = urls
        self.now = now
        self.schemas = schemas
        self.actions_of = actions_of
        self.name_of = name_of
        # Cattle's ActionLinksMapper: the same map, named `actionLinks`.
        self.action_links = action_links
        # readOnCreateOnly fields are shown only in answers to a POST (create or action).
        self.show_create_only = method == "POST"

    def view(self, record: Record) -> ResourceType:
        """The record's type as the caller's role shows it (declared, when the role lacks it:
        a link may lead to a row of a type the role does not list)."""
        rtype = self.schemas.lookup(record.type) or lookup(record.type)
        assert rtype is not None
        return rtype

    def resource(self, record: Record) -> dict[str, Any]:
        rtype = self.view(record)
        rid = format_id(rtype, record.id)
        values = self._field_values(rtype, record)
        doc: dict[str, Any] = {
            "id": rid,
            "type": rtype.id,
            "links": self._links(rtype, record, rid, values),
            "actionLinks" if self.action_links else "actions": {
                name: self.urls.action(rtype, rid, name) for name in self.actions_of(rtype, record)
            },
            "baseType": rtype.base_type,
            "name": values.pop("name", None),
            "state": values.pop("state", None),
        }
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
        behaviour = BEHAVIOURS[rtype.hook]
        computed: dict[str, Any] = {
            "id": format_id(rtype, record.id),
            "kind": behaviour.kind(record),
            "uuid": record.uuid,
            "accountId": format_account_id(record.account_id),
            "created": record.created,
            "removed": record.removed,
            "removeTime": record.removed,
            "data": {},
            "state": record.state,
            "transitioning": transitioning,
            "transitioningMessage": message,
            "transitioningProgress": None,
        }
        computed.update(behaviour.computed(record, self.urls, self._member_name(record)))
        shown_once = record.once if self.show_create_only and record.once else {}
        values: dict[str, Any] = {}
        for field in rtype.fields:
            name = field.name
            if name in shown_once:
                value = shown_once[name]
            elif name in computed:
                value = computed[name]
            else:
                value = record.values.get(name)
            if field.read_on_create_only and not self.show_create_only:
                value = None
            elif field.is_date:
                if value is not None:
                    values[f"{name}TS"] = int(value) * 1000
                    value = format_date(value)
            elif field.is_reference and isinstance(value, int):
                target = lookup(field.reference_type)
                assert target is not None
                value = f"{target.id_prefix}{value}"
            values[name] = value
        for name in behaviour.extra_output:
            if computed.get(name) is not None:
                values[name] = computed[name]
        return values

    def _member_name(self, record: Record) -> str | None:
        external = record.values.get("externalId")
        return self.name_of(external) if isinstance(external, int) else None

    def _links(
        self, rtype: ResourceType, record: Record, rid: str, values: dict[str, Any]
    ) -> dict[str, str]:
        links = {"self": self.urls.resource(rtype, rid)}
        names: dict[str, str] = {}
        for name in rtype.link_names:
            followed = rtype.reference_links.get(name)
            if followed is not None and values.get(followed) is None:
                continue
            names[name] = self.urls.link(rtype, rid, name)
        names.update(BEHAVIOURS[rtype.hook].links(record, values))
        if rtype.collection_links:
            scoped = self.urls.scoped_to(format_account_id(record.id))
            names["schemas"] = scoped.schemas
            for listed in self.schemas:
                if "GET" in listed.collection_methods and listed.ownership != "none":
                    names.setdefault(listed.plural, scoped.collection(listed))
        for name in sorted(names):
            links[name] = names[name]
        return links
