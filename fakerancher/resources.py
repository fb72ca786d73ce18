"""Resource operations, HTTP-free: get, list, create, update, actions, delete, links.

This is Cattle's resource-manager layer. Callers hold the fake's lock and have settled the
store; every operation validates fully before it changes anything, so a rejected request
leaves the store exactly as it was.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fakerancher import tokens
from fakerancher.errors import ApiError, method_not_allowed, not_found, validation_error
from fakerancher.lifecycle import PROCESSES, available_actions
from fakerancher.schemas import Field, ResourceType
from fakerancher.store import TABLE_OF, Record, Store
from fakerancher.validation import parse_id, validate_create, validate_update


class Resources:
    def __init__(self, store: Store) -> None:
        self.store = store

    # -- projects -------------------------------------------------------------------------
    def add_project(self, name: str, now: float, project_id: int | None = None) -> Record:
        store = self.store
        # `Store.add` moves the sequence past explicit ids (the Default `1a5`).
        record_id = store.next_id("account") if project_id is None else project_id
        record = Record(
            type="project",
            id=record_id,
            account_id=record_id,
            uuid=store.new_uuid(),
            created=int(now),
            state="active",
            values={"name": name, "description": None},
        )
        store.add(record)
        return record

    def project(self, raw_id: str) -> Record | None:
        parsed = parse_id(raw_id)
        return None if parsed is None else self.store.get("project", parsed)

    def projects(self) -> list[Record]:
        return sorted(
            (r for r in self.store.all_records() if r.type == "project"), key=lambda r: r.id
        )

    # -- reads ----------------------------------------------------------------------------
    def get(self, rtype: ResourceType, project_id: int | None, raw_id: str) -> Record:
        """By id: removed and purged resources stay readable; other projects' are 404 (with
        `project_id` None, as for Cattle's admin caller, every project's are readable)."""
        parsed = parse_id(raw_id)
        record = None if parsed is None else self.store.get(rtype.id, parsed)
        if record is None:
            raise not_found()
        if rtype.id == "project":
            return record
        if project_id is not None and record.account_id != project_id:
            raise not_found()
        return record

    def listing(
        self, rtype: ResourceType, project_id: int | None, include_removed: bool
    ) -> list[Record]:
        """A project's records of one type (every project's with `project_id` None), id
        ascending; removed ones only on request."""
        if rtype.id == "project":
            records = self.projects()
        elif project_id is None:
            records = sorted(
                (r for p in self.projects() for r in self.store.owned(rtype.id, p.id)),
                key=lambda r: r.id,
            )
        else:
            records = sorted(self.store.owned(rtype.id, project_id), key=lambda r: r.id)
        if include_removed:
            return records
        return [r for r in records if r.removed is None]

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
        self, rtype: ResourceType, project_id: int, body: Mapping[str, Any], now: float
    ) -> Record:
        if "POST" not in rtype.collection_methods:
            raise method_not_allowed()
        values = validate_create(rtype, body, self._resolver(project_id))
        store = self.store
        if rtype.id == "registry":
            self._check_server_address(project_id, values["serverAddress"])
        if rtype.id == "registrationToken":
            public, secret = tokens.generate_key_pair(store.random)
            values |= {"publicValue": public, "secretValue": secret}
            # Issued once: a token read back must not change (nor need its secret again).
            values["token"] = tokens.make_token(public, secret, now)
        record = Record(
            type=rtype.id,
            id=store.next_id(TABLE_OF[rtype.id]),
            account_id=project_id,
            uuid=store.new_uuid(),
            created=int(now),
            state="requested",
            values={"name": None, "description": None, **values},
        )
        store.add(record)
        store.start(record, "create", now)
        return record

    def validate_update(
        self, rtype: ResourceType, project_id: int, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        """PUT's fields, checked before the row is loaded; unknown and non-updatable keys are
        dropped."""
        if "PUT" not in rtype.resource_methods:
            raise method_not_allowed()
        return validate_update(rtype, body, self._resolver(project_id))

    def apply_update(self, record: Record, values: Mapping[str, Any]) -> Record:
        """PUT: synchronous, in any state."""
        self.store.update_values(record, dict(values))
        return record

    def action(self, rtype: ResourceType, record: Record, name: str, now: float) -> Record:
        if name not in rtype.actions:
            raise validation_error("InvalidAction", "action")
        if name not in available_actions(rtype.actions, record.state):
            raise validation_error("ActionNotAvailable", "action")
        self.store.start(record, name, now)
        return record

    def delete(self, rtype: ResourceType, record: Record, now: float) -> Record:
        """DELETE is the remove process; 405 where it cannot start, a no-op once done."""
        if "DELETE" not in rtype.resource_methods:
            raise method_not_allowed()
        if record.state in ("removed", "removing"):
            return record
        if not PROCESSES["remove"].can_start(record.state):
            raise method_not_allowed()
        self.store.start(record, "remove", now)
        return record

    # -- helpers --------------------------------------------------------------------------
    def _resolver(self, project_id: int) -> Any:
        def resolve(field: Field, raw: str) -> int | None:
            parsed = parse_id(raw)
            if parsed is None:
                return None
            record = self.store.get(field.reference_type, parsed)
            if record is None or record.account_id != project_id:
                return None
            return parsed

        return resolve

    def _check_server_address(self, project_id: int, address: str) -> None:
        wanted = address.lower()
        for registry in self.store.owned("registry", project_id):
            live = registry.removed is None and registry.state not in ("removed", "purged")
            if live and str(registry.values.get("serverAddress", "")).lower() == wanted:
                raise ApiError(400, "ServerAddressUsed", message="ServerAddressUsed")
