"""Records to Cattle JSON documents, as one caller's schemas show them: every field of the
role's view, TS twins, links, the actions the caller may take, secrets blanked."""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fakerancher.behaviours import BEHAVIOURS
from fakerancher.lifecycle import DEFAULT_TRANSITIONING_MESSAGE, TRANSITIONING_STATES
from fakerancher.roles import SchemaSet
from fakerancher.schemas import ID_PREFIX, TYPES, ResourceType, lookup
from fakerancher.store import Record
from fakerancher.urls import Urls

ActionsOf = Callable[[ResourceType, Record], tuple[str, ...]]
NameOf = Callable[[Any], str | None]


@functools.lru_cache(maxsize=1024)  # a record's dates are shown again and again
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
        # Set by a view of a type that lists its whole table: its rows of other kinds are
        # shown as that type.
        self.table_type: ResourceType | None = None

    def view(self, record: Record) -> ResourceType:
        """The record's type as the caller's role shows it (declared, when the role lacks it:
        a link may lead to a row of a type the role does not list), or the table's own type
        the request reads it through (a project read as an `account`)."""
        table_type = self.table_type
        if table_type is not None and TYPES[record.type].table == table_type.table:
            return table_type
        rtype = self.schemas.lookup(record.type) or lookup(record.type)
        assert rtype is not None
        return rtype

    @staticmethod
    def depends_on_record_alone(rtype: ResourceType) -> bool:
        """Whether the document of a record shown as `rtype` changes only when the record
        does: not a project's (its actions follow its members) nor a member's (it shows its
        account's name)."""
        return not rtype.owner_actions and not BEHAVIOURS[rtype.hook].shows_other_rows

    def resource(self, record: Record, rtype: ResourceType | None = None) -> dict[str, Any]:
        """The record's document, shown as `rtype` (its `view`, unless already known)."""
        if rtype is None:
            rtype = self.view(record)
        plan = _plan(rtype)
        rid = format_id(rtype, record.id)
        url = self.urls.resource(rtype, rid)
        actions = {name: f"{url}/?action={name.lower()}" for name in self.actions_of(rtype, record)}
        # The fields in the plan's order, and the links they lead to; what a behaviour
        # computes and what a create answer shows once are shown instead of what is stored.
        behaviour = BEHAVIOURS[rtype.hook]
        overrides = behaviour.computed(
            record, self.urls, self._member_name(record) if behaviour.shows_other_rows else None
        )
        shown_on_create = self.show_create_only
        if shown_on_create and record.once:
            overrides = {**overrides, **record.once}
        names = frozenset(overrides) if overrides else _NO_OVERRIDES
        fill = plan.filler(names, shown_on_create)
        doc = fill(record, rid, overrides, url, actions, self.action_links)
        extra = behaviour.links(record, doc)
        if extra or rtype.collection_links:
            doc["links"] = self._more_links(rtype, record, doc["links"], extra)
        return doc

    def _member_name(self, record: Record) -> str | None:
        external = record.values.get("externalId")
        return self.name_of(external) if isinstance(external, int) else None

    def _more_links(
        self, rtype: ResourceType, record: Record, links: dict[str, str], extra: dict[str, str]
    ) -> dict[str, str]:
        """The declared links with a behaviour's own and, for a project, its collections."""
        links = {**links, **extra}
        if rtype.collection_links:
            scoped = self.urls.scoped_to(format_account_id(record.id))
            links["schemas"] = scoped.schemas
            for listed in self.schemas:
                if "GET" in listed.collection_methods and listed.ownership != "none":
                    links.setdefault(listed.plural, scoped.collection(listed))
        own = links.pop("self")
        return {"self": own, **dict(sorted(links.items()))}


# How the filler shows a value: as it is, a date as text, its `...TS` twin in milliseconds, a
# reference as an id, a behaviour's extra output (left out when None).
_PLAIN, _DATE, _STAMP, _REFERENCE, _EXTRA = "plain", "date", "stamp", "reference", "extra"


_Entry = tuple[str, str, bool, str, str, str]
# (record, its id, the values a behaviour or the create answer shows instead, its URL, its
# actions, whether they are shown as `actionLinks`) -> its document
_Filler = Callable[[Record, str, dict[str, Any], str, dict[str, str], bool], dict[str, Any]]
_NO_OVERRIDES: frozenset[str] = frozenset()
# What every row shows, whatever its type, as expressions of the filler's arguments (and
# of the `transitioning` flag and message it works out first).
_COMPUTED = {
    "id": "rid",
    "kind": "kind_of(record)",  # the row's own kind, whatever type shows it
    "uuid": "record.uuid",
    "accountId": "format_account_id(record.account_id)",
    "created": "record.created",
    "removed": "record.removed",
    "removeTime": "record.removed",
    "data": "{}",
    "state": "record.state",
    "transitioning": "transitioning",
    "transitioningMessage": "message",
    "transitioningProgress": "None",
}


@dataclass(frozen=True, slots=True)
class _Plan:
    """What rendering a type needs from its declaration, worked out once per type."""

    type_id: str
    base_type: str
    # In the document's order (name and state first, then by key): key, the field or computed
    # value it shows, shown only in a create answer, kind, id prefix of a reference's target,
    # the stored value read for it.
    entries: tuple[_Entry, ...]
    # link name, its path segment, the reference field it follows (None: always shown); by
    # name, the order a document lists them in
    links: tuple[tuple[str, str, str | None], ...]
    # Compiled per set of overridden names and create answer or not: few per type (the names
    # are those a behaviour's code and a create answer add).
    fillers: dict[tuple[frozenset[str], bool], _Filler] = dataclasses.field(default_factory=dict)

    def filler(self, overridden: frozenset[str], shown_on_create: bool) -> _Filler:
        """The function that sets the fields of a document, in order."""
        key = (overridden, shown_on_create)
        filler = self.fillers.get(key)
        if filler is None:
            filler = self.fillers[key] = _compile_filler(self, overridden, shown_on_create)
        return filler


def _compile_filler(plan: _Plan, overridden: frozenset[str], shown_on_create: bool) -> _Filler:
    """Straight-line code for a plan (as `dataclasses` writes `__init__`): a field costs a
    lookup and a store, where a loop over the plan paid for every decision on every render.
    Every name and text the source takes from a declaration is written as its `repr`.

    A document starts as a copy of one holding every key it may show, in order: the copy is
    made at its full size at once, and setting a key it has keeps the key's place. A key
    left out (a missing date's `...TS` twin) is deleted, which keeps the others' order."""
    keys = ["id", "type", "links", "actions", "baseType"]
    lines = [
        "def fill(record, rid, overrides, url, actions, action_links):",
        "    doc = (LINKED if action_links else LISTED).copy()",
        "    doc['id'] = rid",
        "    doc['actionLinks' if action_links else 'actions'] = actions",
        "    stored = record.values.get",
        "    if record.transitioning_error:",
        "        transitioning, message = 'error', record.transitioning_message",
        "    elif record.state in TRANSITIONING_STATES:",
        "        transitioning = 'yes'",
        "        message = record.transitioning_message or DEFAULT_TRANSITIONING_MESSAGE",
        "    else:",
        "        transitioning, message = 'no', None",
    ]
    for key, name, create_only, kind, prefix, stored_key in plan.entries:
        if create_only and not shown_on_create and kind == _STAMP:
            continue  # the twin of a value shown once is left out, not null
        keys.append(key)
        if (create_only and not shown_on_create) or not name:
            continue  # null: not shown outside a create answer, or a type without the field
        target = f"doc[{key!r}]"
        if name in overridden:
            source = f"overrides[{name!r}]"
        else:
            source = _COMPUTED.get(name) or f"stored({stored_key!r})"
        if kind == _PLAIN:
            lines.append(f"    {target} = {source}")
        else:
            lines.append(f"    value = {source}")
            if kind == _DATE:
                lines.append(f"    if value is not None: {target} = format_date(value)")
            elif kind == _STAMP:  # left out when there is no date
                lines.append(f"    if value is None: del {target}")
                lines.append(f"    else: {target} = int(value) * 1000")
            elif kind == _REFERENCE:
                shown = f"{prefix!r} + str(value)"
                lines.append(f"    {target} = {shown} if isinstance(value, int) else value")
            else:  # a behaviour's extra output, left out when None
                lines.append(f"    if value is None: del {target}")
                lines.append(f"    else: {target} = value")
    lines.append("    links = doc['links'] = {'self': url}")
    for name, path, followed in plan.links:  # in name order
        condition = "" if followed is None else f"if doc.get({followed!r}) is not None: "
        lines.append(f"    {condition}links[{name!r}] = url + {'/' + path!r}")
    lines.append("    return doc")
    listed = dict.fromkeys(keys)
    listed["type"] = plan.type_id
    listed["baseType"] = plan.base_type
    namespace: dict[str, Any] = {
        "LISTED": listed,
        "LINKED": {
            ("actionLinks" if key == "actions" else key): value for key, value in listed.items()
        },
        "format_date": format_date,
        "format_account_id": format_account_id,
        "kind_of": kind_of,
        "TRANSITIONING_STATES": TRANSITIONING_STATES,
        "DEFAULT_TRANSITIONING_MESSAGE": DEFAULT_TRANSITIONING_MESSAGE,
    }
    # Named for its type, so that a traceback through it says which filler it was.
    exec(compile("\n".join(lines), f"<filler of {plan.type_id}>", "exec"), namespace)
    filler: _Filler = namespace["fill"]
    return filler


_PLANS: dict[int, tuple[ResourceType, _Plan]] = {}


def _plan(rtype: ResourceType) -> _Plan:
    """The type's plan; types are long-lived (declared, or cached per role and version)."""
    entry = _PLANS.get(id(rtype))
    if entry is not None and entry[0] is rtype:
        return entry[1]
    behaviour = BEHAVIOURS[rtype.hook]
    entries: dict[str, _Entry] = {}
    for field in rtype.fields:
        name = field.name
        target = TYPES.get(field.reference_type) if field.is_reference else None
        kind = _DATE if field.is_date else _REFERENCE if target is not None else _PLAIN
        prefix = "" if target is None else target.id_prefix
        create_only = field.read_on_create_only
        stored_key = name if create_only else behaviour.stored_as.get(name, name)
        entries[name] = (name, name, create_only, kind, prefix, stored_key)
        if field.is_date:
            twin = f"{name}TS"
            entries[twin] = (twin, name, create_only, _STAMP, "", name)
    for name in behaviour.extra_output:
        entries.setdefault(name, (name, name, False, _EXTRA, "", name))
    # Every document has a name and a state, null for a type without that field.
    head = [entries.pop(key, (key, "", False, _PLAIN, "", "")) for key in ("name", "state")]
    plan = _Plan(
        type_id=rtype.id,
        base_type=rtype.base_type,
        entries=(*head, *(entries[key] for key in sorted(entries))),
        links=tuple(
            (name, name.lower(), rtype.reference_links.get(name))
            for name in sorted(rtype.link_names)
        ),
    )
    _PLANS[id(rtype)] = (rtype, plan)
    return plan
