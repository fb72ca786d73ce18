"""Roles as data: which types a caller sees, with which methods, fields and flags.

Each role is an overlay over the one declaration per type in `schemas.py`, as Cattle derives
its frozen v1 schema sets (`project`, `owner`, `user`, `admin`, ...) from one base set. Nothing
outside this table asks which role a caller has: it asks the role's schema set.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from fakerancher.schemas import (
    ADMIN_FIELDS,
    ADMIN_ONLY_FIELDS,
    RESOURCE_TYPES,
    SCHEMA,
    Field,
    ResourceType,
)
from fakerancher.versions import V1, ApiVersion


@dataclass(frozen=True, slots=True)
class Access:
    """One type in one role: methods from "crud", field re-flags (`""` hides), actions."""

    methods: str
    fields: dict[str, str] = field(default_factory=dict)
    actions: bool = True


@dataclass(frozen=True, eq=False)
class Role:
    name: str
    types: dict[str, Access]
    # Sees every account's rows at the top level (`list.all.accounts`).
    list_all: bool = False
    # Acts for any account: sets `accountId` on create, owns every project it enters.
    all_accounts: bool = False
    # Sees `data`, `removeTime` and the admin-only fields.
    admin_fields: bool = False

    def schemas(self, version: ApiVersion = V1) -> SchemaSet:
        """The role's schemas in one API version."""
        return _schema_set(self, version)


@functools.cache
def _schema_set(role: Role, version: ApiVersion) -> SchemaSet:
    return SchemaSet(role, version)


class SchemaSet:
    """A role's schemas in one API version: each type as the role sees it there, looked up by
    id or plural, in any case."""

    def __init__(self, role: Role, version: ApiVersion) -> None:
        self.role = role
        self.version = version
        types: list[ResourceType] = []
        for known in RESOURCE_TYPES:
            access = role.types.get(known.id)
            declared = version.view(known)
            if access is None or declared is None:
                continue
            extra: tuple[Field, ...] = ()
            if role.admin_fields:
                extra = (*ADMIN_FIELDS, *ADMIN_ONLY_FIELDS.get(declared.id, ()))
            types.append(
                declared.for_role(access.methods, access.fields, extra, actions=access.actions)
            )
        self.types: tuple[ResourceType, ...] = (*types, SCHEMA)
        self._by_name: dict[str, ResourceType] = {}
        for rtype in self.types:
            self._by_name[rtype.id.lower()] = rtype
            self._by_name[rtype.plural.lower()] = rtype

    def lookup(self, name: str) -> ResourceType | None:
        return self._by_name.get(name.lower())

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.types)


# -- the roles -----------------------------------------------------------------------------
_ENVIRONMENT_TYPES = {
    "account": Access("r"),
    "apiKey": Access("crud"),
    "project": Access("r"),
    "projectMember": Access("r"),
    "projectTemplate": Access("r"),
    "registry": Access("crud"),
    "registryCredential": Access("crud"),
    "registrationToken": Access("cr"),
}
# What an admin may set that others may not.
_ADMIN_KEY = Access("crud", {"publicValue": "c", "secretValue": "co", "accountId": "c"})
# The superadmin reads a key's secret on every answer: the hash Cattle stores (its own
# test_api_key_create_admin reloads a key and expects a secretValue).
_SUPER_KEY = Access("crud", {"publicValue": "c", "secretValue": "c", "accountId": "c"})
_ADMIN_ACCOUNT = Access("crud", {"kind": "cu", "uuid": "c"})
_ADMIN_PROJECT = Access("crud", {"uuid": "c"})
_ADMIN_TEMPLATE = Access("crud", {"isPublic": "cu"})
_SETTINGS = Access("crud")


def _without(types: dict[str, Access], *names: str) -> dict[str, Access]:
    return {k: v for k, v in types.items() if k not in names}


ROLES: dict[str, Role] = {
    role.name: role
    for role in (
        # An environment API key (its account is a project), and an account key inside a
        # project, by its member role there (the admin and service accounts are owners).
        Role("project", _ENVIRONMENT_TYPES),
        Role("owner", _ENVIRONMENT_TYPES),
        Role("member", _ENVIRONMENT_TYPES),
        Role("restricted", _without(_ENVIRONMENT_TYPES, "registrationToken")),
        Role(
            "readonly",
            {
                name: Access("r", actions=False)
                for name in _without(_ENVIRONMENT_TYPES, "registrationToken")
            },
        ),
        # An account key of that kind, outside any project.
        Role(
            "projectadmin",
            _ENVIRONMENT_TYPES | {"registryCredential": Access("crud", {"secretValue": "cu"})},
        ),
        Role(
            "user",
            {
                "account": Access("r"),
                "apiKey": Access("crud"),
                "project": Access("crud"),
                "projectMember": Access("r"),
                "projectTemplate": Access("crud"),
                "registry": Access("r"),
                "registryCredential": Access("r"),
                "registrationToken": Access("r"),
            },
        ),
        Role(
            "admin",
            {
                "account": _ADMIN_ACCOUNT,
                "apiKey": _ADMIN_KEY,
                "project": _ADMIN_PROJECT,
                "projectMember": Access("r"),
                "projectTemplate": _ADMIN_TEMPLATE,
                "setting": _SETTINGS,
                "registry": Access("r"),
                "registryCredential": Access("r"),
                "registrationToken": Access("r"),
            },
            list_all=True,
            all_accounts=True,
            admin_fields=True,
        ),
        Role(
            "service",
            {
                "account": _ADMIN_ACCOUNT,
                "apiKey": _ADMIN_KEY,
                "project": Access("cr", {"uuid": "c"}),
                "projectMember": Access("r"),
                "projectTemplate": Access("r"),
                "registry": Access("crud"),
                "registryCredential": Access("crud"),
                "registrationToken": Access("cr", {"accountId": "c"}),
            },
            list_all=True,
            all_accounts=True,
            admin_fields=True,
        ),
        Role(
            "superadmin",
            {
                "account": _ADMIN_ACCOUNT,
                "apiKey": _SUPER_KEY,
                "project": _ADMIN_PROJECT,
                "projectMember": Access("r"),
                "projectTemplate": _ADMIN_TEMPLATE,
                "registry": Access("crud"),
                "registryCredential": Access("crud", {"secretValue": "cu"}),
                "registrationToken": Access("cr"),
                "setting": _SETTINGS,
                "zone": Access("r"),
            },
            list_all=True,
            all_accounts=True,
            admin_fields=True,
        ),
        # The fake's own caller when access control is off and no valid key is sent (Cattle's
        # admin fallback): it manages accounts, keys and projects as the admin does, and works
        # in the Default project as its owner, reading every project's rows.
        Role(
            "anonymous",
            {
                "account": _ADMIN_ACCOUNT,
                "apiKey": _ADMIN_KEY,
                "project": Access("crud"),
                "projectMember": Access("r"),
                "projectTemplate": _ADMIN_TEMPLATE,
                "registry": Access("crud"),
                "registryCredential": Access("crud"),
                "registrationToken": Access("cr"),
                "setting": _SETTINGS,
            },
            list_all=True,
            all_accounts=True,
        ),
    )
}

# Member roles, strongest first (`api.security.role.priority`).
MEMBER_ROLES = ("owner", "member", "restricted", "readonly")


def role_of_kind(kind: str) -> Role | None:
    """The role of an account key of this account kind, outside a project."""
    return ROLES.get(kind)
