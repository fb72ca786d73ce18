"""Resource operations, HTTP-free: get, list, create, update, actions, delete, links.

This is Cattle's resource-manager layer, for one caller (`auth.Caller`): what it may see
follows each type's declared `ownership`, what it may do its role's schema. Callers hold the
fake's lock and run inside a store transaction; every operation validates before it changes
anything, so a rejected request leaves the store as it was.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from fakerancher.auth import Caller, member_role
from fakerancher.behaviours import BEHAVIOURS, PUBLIC_TEMPLATES, Behaviour, parse_members
from fakerancher.errors import ApiError, method_not_allowed, not_found, validation_error
from fakerancher.lifecycle import PROCESSES, available_actions
from fakerancher.render import Renderer
from fakerancher.roles import SchemaSet
from fakerancher.schemas import SETTING, TYPES, Field, ResourceType
from fakerancher.store import ADMIN_ACCOUNT_ID, TABLE_OF, Record, Store
from fakerancher.urls import Urls
from fakerancher.validation import parse_id, validate_create, validate_update

# Seeded as on a fresh Cattle (`core-003.sql`): id, kind, name, uuid, state.
SEEDED_ACCOUNTS = (
    (ADMIN_ACCOUNT_ID, "admin", "admin", "admin", "active"),
    (2, "system", "system", "system", "inactive"),
    (3, "superadmin", "superadmin", "superadmin", "inactive"),
    (4, "token", "token", "token", "active"),
)
OWNER_ONLY = "You must be a project owner to update the name or description."


def behaviour(rtype: ResourceType) -> Behaviour:
    return BEHAVIOURS[rtype.hook]


class Resources:
    def __init__(self, store: Store) -> None:
        self.store = store

    # -- seeding --------------------------------------------------------------------------
    def seed(self, now: float, default_project_id: int, project_created: float) -> None:
        """The accounts of a fresh Cattle and its Default project, owned by the admin."""
        store = self.store
        for account_id, kind, name, uuid, state in SEEDED_ACCOUNTS:
            store.add(
                Record(
                    type="account",
                    id=account_id,
                    account_id=account_id,
                    uuid=uuid,
                    created=int(now),
                    state=state,
                    values={"name": name, "description": None, "kind": kind},
                )
            )
        for name, orchestration in PUBLIC_TEMPLATES:
            store.add(
                Record(
                    type="projectTemplate",
                    id=store.next_id("projectTemplate"),
                    account_id=ADMIN_ACCOUNT_ID,
                    uuid=store.new_uuid(),
                    created=int(now),
                    state="active",
                    values={
                        "name": name,
                        "description": f"Default {name} template",
                        "isPublic": True,
                        "externalId": f"catalog://library:project-templates:{orchestration}:0",
                        "stacks": [],
                        "orchestration": orchestration,
                    },
                )
            )
        project = self.add_project("Default", project_created, project_id=default_project_id)
        project.uuid = "adminProject"
        self.add_member(project, ADMIN_ACCOUNT_ID, "owner", now)

    def add_project(self, name: str, now: float, project_id: int | None = None) -> Record:
        store = self.store
        record_id = store.next_id("account") if project_id is None else project_id
        values: dict[str, Any] = {"name": name, "description": None}
        BEHAVIOURS["project"].prepare(values, store, now)
        record = Record(
            type="project",
            id=record_id,
            account_id=record_id,
            uuid=store.new_uuid(),
            created=int(now),
            state="active",
            values=values,
        )
        store.add(record)
        return record

    def add_member(
        self, project: Record, external_id: Any, role: str, now: float, id_type: str = "rancher_id"
    ) -> Record:
        store = self.store
        record = Record(
            type="projectMember",
            id=store.next_id("projectMember"),
            account_id=project.id,
            uuid=store.new_uuid(),
            created=int(now),
            state="active",
            values={
                "externalId": external_id,
                "externalIdType": id_type,
                "role": role,
                "projectId": project.id,
            },
        )
        store.add(record)
        return record

    def project(self, raw_id: str) -> Record | None:
        parsed = parse_id(raw_id)
        return None if parsed is None else self.store.get("project", parsed)

    def projects(self) -> list[Record]:
        return sorted(self.store.owned_all("project"), key=lambda r: r.id)

    # -- who sees what --------------------------------------------------------------------
    def visible(self, rtype: ResourceType, caller: Caller, record: Record) -> bool:
        ownership = rtype.ownership
        if ownership in ("none", "shared") or caller.reads_all:
            return True
        if ownership == "self":
            return record.id == caller.account_id
        if ownership == "membership":
            return self._member_sees(caller, record)
        return record.account_id == caller.account_id

    def _member_sees(self, caller: Caller, record: Record) -> bool:
        """A project in the caller's list: the one in scope, else those it is an active
        member of (inactive ones only to owners)."""
        if caller.scoped:
            return record.id == caller.account_id
        role = member_role(self.store, record, caller.user.id)
        return role is not None and (role == "owner" or record.state == "active")

    def is_owner(self, caller: Caller, project: Record) -> bool:
        """May act on the project: its owners, and the admin-like accounts."""
        return caller.acts_for_all or member_role(self.store, project, caller.user.id) == "owner"

    def may_act(self, rtype: ResourceType, caller: Caller, record: Record) -> bool:
        return not rtype.owner_actions or self.is_owner(caller, record)

    def actions(self, rtype: ResourceType, caller: Caller, record: Record) -> tuple[str, ...]:
        """The actions the row offers this caller, in the schema's order."""
        if not self.may_act(rtype, caller, record):
            return ()
        return _offered(rtype.actions, rtype.custom_actions, record.state)

    def renderer(
        self,
        caller: Caller,
        schemas: SchemaSet,
        urls: Urls,
        now: float,
        method: str = "GET",
        *,
        action_links: bool = False,
    ) -> Renderer:
        """How `caller` sees rows: its role's schemas, the actions it may take."""
        store = self.store

        def name_of(account_id: Any) -> str | None:
            account = store.account(account_id)
            return None if account is None else account.values.get("name")

        return Renderer(
            urls,
            now,
            method,
            schemas,
            lambda rtype, record: self.actions(rtype, caller, record),
            name_of,
            action_links=action_links,
        )

    # -- reads ----------------------------------------------------------------------------
    def setting(self, name: str) -> str | None:
        """A setting's value (None when it is not set)."""
        if not self.store.holds_any(SETTING.table):  # read on every request: mostly none
            return None
        record = self.by_key(SETTING, name)
        return None if record is None else record.values.get("value")

    def by_key(self, rtype: ResourceType, key: Any) -> Record | None:
        """The row of an upsert type (settings) whose key field (its name) is `key`."""
        field = rtype.upsert_on
        if field is None:
            return None
        return next((r for r in self.store.owned_all(rtype.id) if r.values.get(field) == key), None)

    def get(self, rtype: ResourceType, caller: Caller, raw_id: str) -> Record:
        """By id (or, for a type keyed by a field, by that key: a setting by its name): removed
        and purged rows stay readable; rows the caller may not see are 404."""
        parsed = parse_id(raw_id)
        if parsed is None:
            record = self.by_key(rtype, raw_id)
        elif rtype.lists_whole_table:
            record = self.store.get_in_table(rtype.table, parsed)
        else:
            record = self.store.get(rtype.id, parsed)
        if record is None or not self.visible(rtype, caller, record):
            raise not_found()
        return record

    def listing(
        self, rtype: ResourceType, caller: Caller, include_removed: bool, every: bool = False
    ) -> list[Record]:
        """The rows of one type the caller sees, id ascending; removed ones only on request.

        A list of environments shows even an admin only those it is a member of, unless it
        asks for `every` one (Cattle's `all=true`); reading one by id needs no membership."""
        account = caller.visible_account
        if rtype.ownership == "owned" and account is not None:
            candidates: Any = self.store.owned(rtype.id, account)
        elif rtype.lists_whole_table:
            candidates = self.store.table_rows(rtype.table)
        else:
            candidates = self.store.owned_all(rtype.id)
        members_only = rtype.ownership == "membership" and not (every and caller.reads_all)

        def sees(record: Record) -> bool:
            if members_only:
                return self._member_sees(caller, record)
            return self.visible(rtype, caller, record)

        records = sorted(filter(sees, candidates), key=lambda r: r.id)
        if include_removed:
            return records
        return [r for r in records if r.removed is None]

    def owned_rows(self, owner: Record, table: str, include_removed: bool = False) -> list[Record]:
        """The rows of a table that `owner` owns (an account's credentials), id ascending."""
        return sorted(
            (
                r
                for r in self.store.table_rows(table)
                if r.account_id == owner.id and (include_removed or r.removed is None)
            ),
            key=lambda r: r.id,
        )

    def children(
        self, parent: Record, child_type: str, reference: str, include_removed: bool = False
    ) -> list[Record]:
        """Records of `child_type` whose `reference` field points at `parent`; removed ones
        only on request (`_removed`)."""
        return sorted(
            (
                r
                for r in self.store.owned(child_type, parent.account_id)
                if r.values.get(reference) == parent.id and (include_removed or r.removed is None)
            ),
            key=lambda r: r.id,
        )

    # -- writes ---------------------------------------------------------------------------
    def create(
        self, rtype: ResourceType, caller: Caller, body: Mapping[str, Any], now: float
    ) -> Record:
        if "POST" not in rtype.collection_methods:
            raise method_not_allowed()
        owner = self._owner(rtype, caller, body)
        values = validate_create(rtype, body, self._resolver(owner))
        existing = self._upserted(rtype, values)
        if existing is not None:
            return existing
        members = self._members_of_new_project(rtype, caller, values)
        self._check_unique(rtype, owner, values)
        store = self.store
        once = behaviour(rtype).prepare(values, store, now)
        values.pop("accountId", None)
        record_id = store.next_id(TABLE_OF[rtype.id])
        record = Record(
            type=rtype.id,
            id=record_id,
            # A row that is an account (an account, a project) owns itself.
            account_id=record_id if rtype.ownership in ("self", "membership") else owner,
            uuid=str(values.pop("uuid", None) or store.new_uuid()),
            created=int(now),
            state="requested" if rtype.lifecycle else "active",
            values={"name": None, "description": None, **values},
            once=once or None,
        )
        store.add(record)
        for member in members:
            self.add_member(
                record, member["externalId"], member["role"], now, member["externalIdType"]
            )
        if rtype.lifecycle:
            store.start(record, "create", now)
        return record

    def _upserted(self, rtype: ResourceType, values: Mapping[str, Any]) -> Record | None:
        """For an upsert type, the existing row a create names, updated with the values."""
        key = rtype.upsert_on
        record = None if key is None else self.by_key(rtype, values.get(key))
        if record is not None:
            self.store.update_values(record, dict(values))
        return record

    def _owner(self, rtype: ResourceType, caller: Caller, body: Mapping[str, Any]) -> int:
        """The account a new row belongs to: the caller's, or the `accountId` an admin-like
        caller names (where its role may set it)."""
        field = rtype.field("accountId")
        raw = body.get("accountId")
        if raw is None or field is None or not field.create:
            return caller.account_id
        parsed = parse_id(str(raw))
        if parsed is None or self.store.account(parsed) is None:
            raise validation_error("InvalidReference", "accountId")
        return parsed

    def _members_of_new_project(
        self, rtype: ResourceType, caller: Caller, values: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        if rtype.field("members") is None:
            return []
        if values.get("members"):
            return parse_members(values["members"])
        return [{"externalId": caller.user.id, "externalIdType": "rancher_id", "role": "owner"}]

    def validate_update(
        self, rtype: ResourceType, caller: Caller, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        """PUT's fields, checked before the row is loaded; unknown and non-updatable keys are
        dropped."""
        if "PUT" not in rtype.resource_methods:
            raise method_not_allowed()
        return validate_update(rtype, body, self._resolver(caller.account_id))

    def apply_update(
        self, rtype: ResourceType, caller: Caller, record: Record, values: Mapping[str, Any]
    ) -> Record:
        """PUT: synchronous, in any state."""
        if not self.may_act(rtype, caller, record):
            raise ApiError(403, message=OWNER_ONLY)
        self.store.update_values(record, dict(values))
        return record

    def action(
        self,
        rtype: ResourceType,
        caller: Caller,
        record: Record,
        name: str,
        body: Mapping[str, Any],
        now: float,
    ) -> Record | list[Record]:
        if name not in rtype.actions:
            raise validation_error("InvalidAction", "action")
        if name not in self.actions(rtype, caller, record):
            raise validation_error("ActionNotAvailable", "action")
        custom = self._custom_actions.get(name)
        if custom is not None:
            return custom(self, rtype, caller, record, body, now)
        behaviour(rtype).check_process(self.store, record, name)
        self.store.start(record, name, now)
        return record

    def delete(self, rtype: ResourceType, caller: Caller, record: Record, now: float) -> Record:
        """DELETE is the remove process; 405 where it cannot start, a no-op once done."""
        if "DELETE" not in rtype.resource_methods:
            raise method_not_allowed()
        if not self.may_act(rtype, caller, record):
            raise ApiError(403)
        if record.state in ("removed", "removing"):
            return record
        behaviour(rtype).check_process(self.store, record, "remove")
        if PROCESSES["remove"].can_start(record.state):
            self.store.start(record, "remove", now)
        elif rtype.delete_deactivates_first and PROCESSES["deactivate"].can_start(record.state):
            # Cattle deactivates an account at once on its way to removal: clients (Terraform)
            # see `removing` next, never `deactivating`.
            self.store.start(record, "deactivate", now, ("remove",))
            self.store.step(record, now)
        else:
            raise method_not_allowed()
        return record

    # -- actions that are not processes ----------------------------------------------------
    def _set_members(
        self,
        rtype: ResourceType,
        caller: Caller,
        project: Record,
        body: Mapping[str, Any],
        now: float,
    ) -> list[Record]:
        """Replace the project's members (`setmembers`): the ones left out are removed."""
        if "members" not in body:
            raise validation_error("MissingRequired", "members")
        raw = body["members"]
        if raw is None:
            raise validation_error("NotNullable", "members")
        if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
            raise validation_error("InvalidFormat", "members")
        if not raw:
            raise validation_error("MinLengthExceeded", "members")
        wanted = parse_members(raw)
        for existing in list(self.store.owned("projectMember", project.id)):
            if existing.state == "active":
                self.store.start(existing, "deactivate", now, ("remove",))
                self.store.finish(existing, now)
        for member in wanted:
            self.add_member(
                project, member["externalId"], member["role"], now, member["externalIdType"]
            )
        return self.children(project, "projectMember", "projectId")

    def _delete_action(
        self,
        rtype: ResourceType,
        caller: Caller,
        record: Record,
        body: Mapping[str, Any],
        now: float,
    ) -> Record:
        return self.delete(rtype, caller, record, now)

    _custom_actions: dict[str, Callable[..., Record | list[Record]]] = {
        "setmembers": _set_members,
        "delete": _delete_action,
    }

    # -- helpers --------------------------------------------------------------------------
    def _resolver(self, owner: int) -> Callable[[Field, str], int | None]:
        def resolve(field: Field, raw: str) -> int | None:
            parsed = parse_id(raw)
            if parsed is None:
                return None
            target = field.reference_type
            if TABLE_OF[target] == target:  # a base type: any row of its table (an account)
                return parsed if self.store.holds(target, parsed) else None
            record = self.store.get(target, parsed)
            if record is None:
                return None
            if record.account_id != owner and TYPES[target].ownership != "shared":
                return None
            return parsed

        return resolve

    def _check_unique(self, rtype: ResourceType, owner: int, values: Mapping[str, Any]) -> None:
        if rtype.unique is None:
            return
        name, scope, status, code = rtype.unique
        value = values.get(name)
        if value is None:
            return
        for other in self.store.find_unique(rtype.id, str(value)):
            live = other.removed is None and other.state not in ("removed", "purged")
            if live and (scope == "type" or other.account_id == owner):
                if status == 422:
                    raise validation_error(code, name)
                raise ApiError(status, code, message=code)


@functools.lru_cache(maxsize=1024)
def _offered(actions: tuple[str, ...], custom: tuple[str, ...], state: str) -> tuple[str, ...]:
    """The schema's actions a row in `state` offers, in the schema's order."""
    offered = {*available_actions(actions, state), *custom}
    return tuple(name for name in actions if name in offered)
