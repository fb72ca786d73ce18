"""Every resource type, declared once as data.

Validation, rendering, filters, sorting and the `/v1/schemas` documents are all derived from
these declarations. They reproduce Cattle's frozen v1 schemas for the `project` role (what an
environment API key sees), as dumped from live servers.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from typing import Any

STRING_MODIFIERS = ("eq", "ne", "prefix", "like", "notlike", "null", "notnull")
ORDERED_MODIFIERS = ("eq", "ne", "lt", "lte", "gt", "gte", "null", "notnull")
EQUALITY_MODIFIERS = ("eq", "ne", "null", "notnull")

CREDENTIAL_STATES = (
    "activating",
    "active",
    "deactivating",
    "inactive",
    "purged",
    "purging",
    "registering",
    "removed",
    "removing",
    "requested",
    "updating-active",
    "updating-inactive",
)


@dataclass(frozen=True, slots=True)
class Field:
    """One resource field with the flags Cattle publishes for it."""

    name: str
    type: str
    create: bool = False
    update: bool = False
    required: bool = False
    nullable: bool = False
    read_on_create_only: bool = False
    min_length: int | None = None
    max_length: int | None = None
    options: tuple[str, ...] | None = None
    # Derived from `type` once: the renderer asks them of every field of every row it shows.
    is_reference: bool = field(init=False, repr=False, compare=False)
    is_date: bool = field(init=False, repr=False, compare=False)
    # `registry` for a `reference[registry]` field, else "".
    reference_type: str = field(init=False, repr=False, compare=False)

    # Values arrive and are kept as text (strings, enums, passwords, references).
    is_scalar_text: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        reference = self.type.startswith("reference[")
        text = self.type in ("string", "password", "enum") or reference
        object.__setattr__(self, "is_scalar_text", text)
        object.__setattr__(self, "is_reference", reference)
        object.__setattr__(self, "is_date", self.type == "date")
        object.__setattr__(
            self, "reference_type", self.type[len("reference[") : -1] if reference else ""
        )

    def with_flags(self, flags: str) -> Field:
        """This field as a role's overlay re-flags it: `c` create, `u` update, `o` shown only
        in the create answer (readOnCreateOnly); read is implied."""
        return replace(
            self,
            create="c" in flags,
            update="u" in flags,
            read_on_create_only="o" in flags,
        )

    def document(self) -> dict[str, Any]:
        """The field object of a schema document (flags only when not default, as gdapi does)."""
        doc: dict[str, Any] = {
            "type": self.type,
            "description": None,
            "create": self.create,
            "update": self.update,
        }
        if self.required:
            doc["required"] = True
        if self.nullable:
            doc["nullable"] = True
        doc["readOnCreateOnly"] = self.read_on_create_only
        if self.min_length is not None:
            doc["minLength"] = self.min_length
        if self.max_length is not None:
            doc["maxLength"] = self.max_length
        if self.options is not None:
            doc["options"] = list(self.options)
        return doc


@dataclass(frozen=True)
class ResourceType:
    """A Cattle resource type: fields, methods, actions, filters and links."""

    id: str
    plural: str
    base_type: str
    id_prefix: str
    fields: tuple[Field, ...]
    collection_methods: tuple[str, ...] = ("GET", "POST")
    resource_methods: tuple[str, ...] = ("GET", "PUT", "DELETE")
    actions: tuple[str, ...] = ()
    action_output: str = ""
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    includeable_links: tuple[str, ...] = ()
    # Link name -> the reference field it follows (emitted only while that field is set).
    reference_links: dict[str, str] = field(default_factory=dict)
    # Link name -> the child type listed there, filtered on the child's reference field.
    child_links: dict[str, tuple[str, str]] = field(default_factory=dict)
    # Links that always lead to an empty collection of a type this fake does not model.
    empty_links: tuple[str, ...] = ()
    # Link name -> a table whose rows this row owns (their accountId is this row), of every
    # type the caller's role lists (an account's `credentials`: its API keys, and a project's
    # registry credentials and registration tokens).
    owned_links: dict[str, str] = field(default_factory=dict)
    listed_in_root: bool = True
    # Whether resources carry an `account` link (a project is itself the account).
    account_link: bool = True
    # Whose rows a caller sees: `owned` (by the row's accountId), `self` (accounts: a caller
    # sees itself), `membership` (projects: those it is a member of), `member` (the members
    # of the project in scope), `none` (schemas).
    ownership: str = "owned"
    # Rows of this type are environments: accounts that keys belong to and requests enter.
    environment: bool = False
    # Lists honour only `id`, `uuid`, `name` (any case) and `all`: no filters, sort or
    # pagination (Cattle's ProjectResourceManager).
    plain_listing: bool = False
    # Behaviour the resource layer adds for this type, by name (see `resources.HOOKS`).
    hook: str | None = None
    # Actions that are not processes (always offered while the caller may act).
    custom_actions: tuple[str, ...] = ()
    # Actions are offered only to the owners of the project the row is (projects).
    owner_actions: bool = False
    # DELETE of a row that cannot start `remove` (an active project) deactivates it first.
    delete_deactivates_first: bool = False
    # Links to every collection the caller's role lists, scoped to this row (projects).
    collection_links: bool = False
    # (field, scope, status, code): a create repeating a live row's value of `field`
    # (case-insensitively) is refused; scope `account` (same owner) or `type` (anywhere).
    unique: tuple[str, str, int, str] | None = None
    # Fields Cattle lists after the alphabetical ones (`email`, `serverAddress`).
    tail: tuple[str, ...] = ()
    # Rows go through the create process (`registering`, `activating`); without, they are
    # `active` from the start and have no states to move through (settings).
    lifecycle: bool = True
    # A create naming an existing row's value of this field updates that row instead.
    upsert_on: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "field_map", {f.name: f for f in self.fields})

    def field(self, name: str) -> Field | None:
        found: Field | None = self.field_map.get(name)  # type: ignore[attr-defined]
        return found

    @property
    def table(self) -> str:
        """Cattle's table (the base type): kinds of one table share an id sequence."""
        return self.base_type

    @property
    def lists_whole_table(self) -> bool:
        """The table's own type lists and reads every row of its table, whatever its kind, as
        Cattle's `account` shows projects (kind `project`) beside accounts."""
        return self.id == self.table

    def for_role(
        self,
        methods: str,
        fields: dict[str, str] | None = None,
        extra: tuple[Field, ...] = (),
        actions: bool = True,
    ) -> ResourceType:
        """This type as a role sees it: `methods` is a subset of "crud" (c = collection POST,
        r = GET, u = PUT, d = DELETE); `fields` re-flags (`"c"`, `"cu"`, `"o"`, ...) or hides
        (`""`) fields; `extra` adds fields; `actions` False drops every action."""
        overrides = fields or {}
        kept = tuple(
            f if f.name not in overrides else f.with_flags(overrides[f.name])
            for f in self.fields
            if overrides.get(f.name, "r") != ""
        )
        merged = {f.name: f for f in (*kept, *extra)}
        ordered = tuple(merged[n] for n in sorted(merged) if n not in self.tail)
        ordered += tuple(merged[n] for n in self.tail if n in merged)
        return replace(
            self,
            fields=ordered,
            collection_methods=tuple(
                m for m, flag in (("GET", "r"), ("POST", "c")) if flag in methods
            ),
            resource_methods=tuple(
                m for m, flag in (("GET", "r"), ("PUT", "u"), ("DELETE", "d")) if flag in methods
            ),
            actions=self.actions if actions else (),
            custom_actions=self.custom_actions if actions else (),
        )

    @functools.cached_property
    def required_on_create(self) -> tuple[str, ...]:
        """The fields a create must send, in declaration order."""
        return tuple(f.name for f in self.fields if f.create and f.required)

    @functools.cached_property
    def link_names(self) -> tuple[str, ...]:
        """All link names except `self`, alphabetically (as Cattle emits them)."""
        names = {*self.reference_links, *self.child_links, *self.empty_links, *self.owned_links}
        if self.account_link:
            names.add("account")  # the row's owner (api.ACCOUNT_LINK)
        return tuple(sorted(names))

    def document(self, schema_url: str, collection_url: str | None) -> dict[str, Any]:
        links = {"self": schema_url}
        if collection_url is not None and "GET" in self.collection_methods:
            links["collection"] = collection_url
        return {
            "id": self.id,
            "type": "schema",
            "links": links,
            "actions": {},
            "pluralName": self.plural,
            "resourceFields": {f.name: f.document() for f in self.fields},
            "collectionFilters": {
                name: {"modifiers": list(mods)} for name, mods in sorted(self.filters.items())
            },
            "includeableLinks": list(self.includeable_links),
            "resourceActions": {
                name: {"input": None, "output": self.action_output} for name in self.actions
            },
            "collectionActions": {},
            "collectionFields": {},
            "resourceMethods": list(self.resource_methods),
            "collectionMethods": list(self.collection_methods),
            "baseType": "schema",
        }


def _string(name: str, max_length: int | None = None, **flags: Any) -> Field:
    return Field(name, "string", max_length=max_length, **flags)


def _writable(name: str, max_length: int) -> Field:
    return Field(name, "string", create=True, update=True, nullable=True, max_length=max_length)


def _common_fields(states: tuple[str, ...]) -> dict[str, Field]:
    return {
        "accountId": Field("accountId", "reference[account]", nullable=True, max_length=255),
        "created": Field("created", "date", nullable=True, max_length=255),
        "description": _writable("description", 1024),
        "id": Field("id", "int", nullable=True),
        "kind": _string("kind", 255, nullable=True),
        "name": _writable("name", 255),
        "removed": Field("removed", "date", nullable=True, max_length=255),
        "state": Field("state", "enum", max_length=128, options=states),
        "transitioning": Field("transitioning", "enum", options=("yes", "no", "error")),
        "transitioningMessage": _string("transitioningMessage", nullable=True),
        "transitioningProgress": Field("transitioningProgress", "int", nullable=True),
        "uuid": _string("uuid", 128, nullable=True),
    }


def _ordered(
    fields: dict[str, Field], *extra: Field, last: tuple[Field, ...] = ()
) -> tuple[Field, ...]:
    merged = dict(fields)
    for f in extra:
        merged[f.name] = f
    return tuple(merged[name] for name in sorted(merged)) + last


CREDENTIAL_ACTIONS = ("update", "activate", "remove", "deactivate", "create", "purge")
REGISTRY_ACTIONS = ("update", "activate", "remove", "restore", "deactivate", "create", "purge")

CREDENTIAL_FILTERS: dict[str, tuple[str, ...]] = {
    "accountId": EQUALITY_MODIFIERS,
    "created": ORDERED_MODIFIERS,
    "description": STRING_MODIFIERS,
    "id": ORDERED_MODIFIERS,
    "kind": STRING_MODIFIERS,
    "name": STRING_MODIFIERS,
    "publicValue": STRING_MODIFIERS,
    "registryId": EQUALITY_MODIFIERS,
    "removeTime": ORDERED_MODIFIERS,
    "removed": ORDERED_MODIFIERS,
    "secretValue": STRING_MODIFIERS,
    "state": EQUALITY_MODIFIERS,
    "uuid": STRING_MODIFIERS,
}

REGISTRY_FILTERS: dict[str, tuple[str, ...]] = {
    "accountId": EQUALITY_MODIFIERS,
    "agentId": EQUALITY_MODIFIERS,
    "created": ORDERED_MODIFIERS,
    "description": STRING_MODIFIERS,
    "driverName": STRING_MODIFIERS,
    "external": EQUALITY_MODIFIERS,
    "externalId": STRING_MODIFIERS,
    "id": ORDERED_MODIFIERS,
    "kind": STRING_MODIFIERS,
    "name": STRING_MODIFIERS,
    "physicalTotalSizeMb": ORDERED_MODIFIERS,
    "removeTime": ORDERED_MODIFIERS,
    "removed": ORDERED_MODIFIERS,
    "state": EQUALITY_MODIFIERS,
    "uuid": STRING_MODIFIERS,
    "virtualTotalSizeMb": ORDERED_MODIFIERS,
    "volumeAccessMode": STRING_MODIFIERS,
    "zoneId": EQUALITY_MODIFIERS,
}

_CREDENTIAL_COMMON = _common_fields(CREDENTIAL_STATES)

REGISTRY_CREDENTIAL = ResourceType(
    id="registryCredential",
    plural="registryCredentials",
    base_type="credential",
    id_prefix="1c",
    fields=_ordered(
        _CREDENTIAL_COMMON,
        _writable("publicValue", 4096),
        Field("registryId", "reference[registry]", create=True, required=True, max_length=255),
        Field(
            "secretValue",
            "password",
            create=True,
            update=True,
            nullable=True,
            read_on_create_only=True,
            max_length=4096,
        ),
        last=(Field("email", "string", create=True, update=True, required=True, min_length=1),),
    ),
    tail=("email",),
    actions=CREDENTIAL_ACTIONS,
    action_output="credential",
    filters=CREDENTIAL_FILTERS,
    includeable_links=("images", "account", "registry", "instances"),
    reference_links={"registry": "registryId"},
    empty_links=("images", "instances"),
)

REGISTRATION_TOKEN = ResourceType(
    id="registrationToken",
    plural="registrationTokens",
    base_type="credential",
    id_prefix="1c",
    fields=_ordered(
        _CREDENTIAL_COMMON,
        _string("command"),
        _string("image"),
        _string("registrationUrl"),
        _string("token"),
    ),
    resource_methods=("GET",),
    actions=CREDENTIAL_ACTIONS,
    action_output="credential",
    filters=CREDENTIAL_FILTERS,
    includeable_links=("images", "account", "instances"),
    empty_links=("images", "instances"),
    hook="registrationToken",
)

REGISTRY = ResourceType(
    id="registry",
    plural="registries",
    base_type="storagePool",
    id_prefix="1sp",
    fields=_ordered(
        # Cattle keeps a type's valid states in a TreeSet: the options are alphabetical.
        _common_fields(tuple(sorted((*CREDENTIAL_STATES, "restoring")))),
        _string("blockDevicePath", nullable=True),
        _string("driverName", 255, nullable=True),
        _string("externalId", 128, nullable=True),
        _string("volumeAccessMode", 255, nullable=True),
        Field("volumeCapabilities", "array[string]", nullable=True),
        last=(Field("serverAddress", "string", create=True, required=True, min_length=1),),
    ),
    tail=("serverAddress",),
    unique=("serverAddress", "account", 400, "ServerAddressUsed"),
    actions=REGISTRY_ACTIONS,
    action_output="storagePool",
    filters=REGISTRY_FILTERS,
    includeable_links=("hosts", "images", "account", "credentials", "volumes"),
    child_links={"credentials": ("registryCredential", "registryId")},
    empty_links=("hosts", "images", "volumes"),
)

ACCOUNT_STATES = tuple(sorted((*CREDENTIAL_STATES, "restoring")))
ACCOUNT_FILTERS: dict[str, tuple[str, ...]] = {
    "created": ORDERED_MODIFIERS,
    "description": STRING_MODIFIERS,
    "externalId": STRING_MODIFIERS,
    "externalIdType": STRING_MODIFIERS,
    "id": ORDERED_MODIFIERS,
    "kind": STRING_MODIFIERS,
    "name": STRING_MODIFIERS,
    "removeTime": ORDERED_MODIFIERS,
    "removed": ORDERED_MODIFIERS,
    "state": EQUALITY_MODIFIERS,
    "uuid": STRING_MODIFIERS,
}
_ACCOUNT_COMMON = {k: v for k, v in _common_fields(ACCOUNT_STATES).items() if k != "accountId"}


def _flag(name: str) -> Field:
    return Field(name, "boolean", create=True, update=True)


PROJECT = ResourceType(
    id="project",
    plural="projects",
    base_type="account",
    id_prefix="1a",
    # As a user's account key sees it (v1): the booleans of the orchestration it runs.
    fields=_ordered(
        _ACCOUNT_COMMON,
        Field("members", "array[projectMember]", create=True, nullable=True),
        _flag("kubernetes"),
        _flag("mesos"),
        _flag("publicDns"),
        _flag("swarm"),
        _flag("virtualMachine"),
        Field("servicesPortRange", "servicesPortRange", create=True, update=True, nullable=True),
    ),
    actions=(
        "update",
        "activate",
        "deactivate",
        "delete",
        "purge",
        "remove",
        "restore",
        "setmembers",
        "create",
    ),
    action_output="account",
    account_link=False,
    ownership="membership",
    environment=True,
    plain_listing=True,
    hook="project",
    custom_actions=("setmembers", "delete"),
    owner_actions=True,
    delete_deactivates_first=True,
    collection_links=True,
    child_links={"projectMembers": ("projectMember", "projectId")},
    filters={
        "created": ORDERED_MODIFIERS,
        "description": STRING_MODIFIERS,
        "id": ORDERED_MODIFIERS,
        "kind": STRING_MODIFIERS,
        "name": STRING_MODIFIERS,
        "removed": ORDERED_MODIFIERS,
        "state": EQUALITY_MODIFIERS,
        "uuid": STRING_MODIFIERS,
    },
)

ACCOUNT = ResourceType(
    id="account",
    plural="accounts",
    base_type="account",
    id_prefix="1a",
    # As any non-admin role sees it: its own account, read-only.
    fields=_ordered(_ACCOUNT_COMMON),
    actions=("update", "activate", "deactivate", "restore", "remove", "purge", "create"),
    action_output="account",
    account_link=False,
    ownership="self",
    hook="account",
    filters=ACCOUNT_FILTERS,
    owned_links={"credentials": "credential"},
)

API_KEY = ResourceType(
    id="apiKey",
    plural="apiKeys",
    base_type="credential",
    id_prefix="1c",
    fields=_ordered(
        _CREDENTIAL_COMMON,
        Field("publicValue", "string", nullable=True, max_length=4096),
        Field(
            "secretValue",
            "password",
            nullable=True,
            read_on_create_only=True,
            max_length=4096,
        ),
    ),
    actions=CREDENTIAL_ACTIONS,
    action_output="credential",
    filters=CREDENTIAL_FILTERS,
    includeable_links=("images", "account", "instances"),
    empty_links=("images", "instances"),
    hook="apiKey",
    unique=("publicValue", "type", 422, "NotUnique"),
)

PROJECT_MEMBER = ResourceType(
    id="projectMember",
    plural="projectMembers",
    base_type="projectMember",
    id_prefix="1pm",
    fields=_ordered(
        {
            k: v
            for k, v in _common_fields(CREDENTIAL_STATES).items()
            if k not in ("accountId", "name", "description")
        },
        Field("externalId", "string", create=True, nullable=True, max_length=255),
        Field("externalIdType", "string", create=True, nullable=True, max_length=255),
        Field("name", "string", nullable=True, max_length=255),
        Field("projectId", "reference[project]"),
        Field(
            "role",
            "enum",
            create=True,
            nullable=True,
            options=("owner", "member", "readonly", "restricted"),
        ),
    ),
    actions=(),
    account_link=False,
    ownership="member",
    hook="projectMember",
    includeable_links=("project",),
    reference_links={"project": "projectId"},
    filters={
        "externalId": STRING_MODIFIERS,
        "externalIdType": STRING_MODIFIERS,
        "id": ORDERED_MODIFIERS,
        "name": STRING_MODIFIERS,
        "projectId": EQUALITY_MODIFIERS,
        "role": EQUALITY_MODIFIERS,
        "state": EQUALITY_MODIFIERS,
    },
)

PROJECT_TEMPLATE = ResourceType(
    id="projectTemplate",
    plural="projectTemplates",
    base_type="projectTemplate",
    id_prefix="1pt",
    fields=_ordered(
        _common_fields(("activating", "active", "removed", "removing", "requested")),
        Field("externalId", "string", create=True, update=True, nullable=True, max_length=255),
        Field("isPublic", "boolean"),
        Field("stacks", "array[catalogTemplate]", create=True, update=True, nullable=True),
    ),
    actions=("create", "remove"),
    action_output="projectTemplate",
    # Public templates are everybody's (the catalog's), whoever's account holds them.
    ownership="shared",
    filters={
        "accountId": EQUALITY_MODIFIERS,
        "created": ORDERED_MODIFIERS,
        "description": STRING_MODIFIERS,
        "externalId": STRING_MODIFIERS,
        "id": ORDERED_MODIFIERS,
        "isPublic": EQUALITY_MODIFIERS,
        "kind": STRING_MODIFIERS,
        "name": STRING_MODIFIERS,
        "removeTime": ORDERED_MODIFIERS,
        "removed": ORDERED_MODIFIERS,
        "state": EQUALITY_MODIFIERS,
        "uuid": STRING_MODIFIERS,
    },
)

# Admin-only key/value settings; `POST` with an existing name updates it (SettingManager).
SETTING = ResourceType(
    id="setting",
    plural="settings",
    base_type="setting",
    id_prefix="1as",
    fields=(
        Field("activeValue", "string", nullable=True),
        Field("id", "int", nullable=True),
        Field("inDb", "boolean"),
        Field("name", "string", create=True, required=True, min_length=1, max_length=255),
        Field("source", "string", nullable=True),
        Field("value", "string", create=True, update=True, nullable=True, max_length=16384),
    ),
    account_link=False,
    ownership="none",
    hook="setting",
    lifecycle=False,
    upsert_on="name",
    filters={"name": STRING_MODIFIERS},
)

# A superadmin's schemas have `zone` (Cattle's integration tests check for it to recognise a
# superadmin client); the fake keeps no zones.
ZONE = ResourceType(
    id="zone",
    plural="zones",
    base_type="zone",
    id_prefix="1z",
    fields=_ordered(
        {k: v for k, v in _common_fields(CREDENTIAL_STATES).items() if k != "accountId"}
    ),
    collection_methods=("GET",),
    resource_methods=("GET",),
    account_link=False,
    filters={"id": ORDERED_MODIFIERS, "name": STRING_MODIFIERS, "state": EQUALITY_MODIFIERS},
)

# What the admin roles see beside the rest (`data` and `removeTime` on every type, and each
# type's admin-only fields), as the frozen v1 `admin` schemas add them.
ADMIN_FIELDS = (
    Field("data", "map[json]", nullable=True),
    Field("removeTime", "date", nullable=True, max_length=255),
)
ADMIN_ONLY_FIELDS: dict[str, tuple[Field, ...]] = {
    "account": (
        Field("externalId", "string", create=True, update=True, nullable=True, max_length=255),
        Field("externalIdType", "string", create=True, update=True, nullable=True, max_length=128),
        Field("identity", "string", nullable=True),
    ),
    "project": (_flag("allowSystemRole"),),
}

SCHEMA = ResourceType(
    id="schema",
    plural="schemas",
    base_type="schema",
    id_prefix="",
    # As in the live v1 dumps: the schema document's own keys, all create-only.
    fields=tuple(
        Field(name, type_, create=True)
        for name, type_ in (
            ("collectionActions", "map[json]"),
            ("collectionFields", "map[json]"),
            ("collectionFilters", "map[json]"),
            ("collectionMethods", "array[string]"),
            ("includeableLinks", "array[string]"),
            ("pluralName", "string"),
            ("resourceActions", "map[json]"),
            ("resourceFields", "map[json]"),
            ("resourceMethods", "array[string]"),
        )
    ),
    collection_methods=("GET",),
    resource_methods=("GET",),
    ownership="none",
)

RESOURCE_TYPES: tuple[ResourceType, ...] = (
    ACCOUNT,
    API_KEY,
    PROJECT,
    PROJECT_MEMBER,
    PROJECT_TEMPLATE,
    REGISTRATION_TOKEN,
    REGISTRY,
    REGISTRY_CREDENTIAL,
    SETTING,
    ZONE,
)
ALL_SCHEMAS: tuple[ResourceType, ...] = (*RESOURCE_TYPES, SCHEMA)

_BY_NAME: dict[str, ResourceType] = {}
for _schema in ALL_SCHEMAS:
    _BY_NAME[_schema.id.lower()] = _schema
    _BY_NAME[_schema.plural.lower()] = _schema


def lookup(name: str) -> ResourceType | None:
    """Find a type by schema id or plural name, in any case (as Cattle's SchemaFactory does)."""
    return _BY_NAME.get(name.lower())


TYPES: dict[str, ResourceType] = {t.id: t for t in RESOURCE_TYPES}


# Table -> id prefix (`1c` credentials, `1sp` storage pools, `1a` accounts, `1pm` members).
ID_PREFIX: dict[str, str] = {t.table: t.id_prefix for t in RESOURCE_TYPES}
