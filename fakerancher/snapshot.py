"""The fake's whole state as a JSON document, and back: the `--state FILE` format.

Secrets are not exported: Cattle never shows a `secretValue` after the create response, so a
restored credential answers exactly as before without it, and a state file or a
`GET /_fake/state` cannot leak one. Registration tokens keep their issued `token` string.
"""

from __future__ import annotations

import base64
import binascii
import math
import random
import struct
import time
from typing import Any

from fakerancher.behaviours import BEHAVIOURS
from fakerancher.clock import in_range
from fakerancher.errors import ApiError
from fakerancher.lifecycle import PROCESS_NAMES, PROCESSES
from fakerancher.schemas import ID_PREFIX, lookup
from fakerancher.store import (
    ADMIN_ACCOUNT_ID,
    DEFAULT_PROJECT_ID,
    FIRST_IDS,
    NEVER,
    TABLE_OF,
    Pending,
    Record,
    Store,
)
from fakerancher.transitions import Transitions, parse_rule

FORMAT = "fakerancher-state"
VERSION = 2  # 2: accounts, API keys and project members are records
_STATES = frozenset(
    {"requested", "active", "inactive", "removed", "purged"}
    | {s for p in PROCESSES.values() for s in (*p.transitioning.values(), *p.done.values())}
)
_SECRET_FIELDS = frozenset({"secretValue"})
_TABLE_OF_PREFIX = {prefix: table for table, prefix in ID_PREFIX.items()}
_MT_WORDS = 625  # the Mersenne Twister's state words and its position


class StateError(ApiError):
    """A state document that does not fit; names the problem."""

    def __init__(self, problem: str) -> None:
        super().__init__(400, "InvalidState", message=problem, detail=problem)


def export_state(store: Store, clock_doc: dict[str, Any], access_control: bool) -> dict[str, Any]:
    records = sorted(store.all_records(), key=lambda r: (r.table, r.id))
    return {
        "format": FORMAT,
        "version": VERSION,
        "clock": clock_doc,
        # API keys are records, with their secrets' digests only.
        "auth": {"accessControl": access_control},
        "sequences": store.sequences(),
        "transitions": store.transitions.document(),
        "random": _random_document(store.random),
        "records": [_record_document(r) for r in records],
    }


def _random_document(rng: random.Random) -> str:
    """The position of the stream uuids and tokens come from, so that a restored fake goes on
    where this one is: restarted from its seed it would hand out its first uuids a second time.
    (Error ids have a stream of their own, left out: a rejected request changes no state.)"""
    _, words, _ = rng.getstate()
    return base64.b64encode(struct.pack(f"<{len(words)}I", *words)).decode("ascii")


def _restore_random(rng: random.Random, raw: Any, where: str) -> None:
    try:
        data = base64.b64decode(raw, validate=True) if isinstance(raw, str) else b""
        words = struct.unpack(f"<{_MT_WORDS}I", data)
        rng.setstate((3, words, None))
    except (ValueError, TypeError, struct.error, binascii.Error):
        raise StateError(f"{where} must be a random state as exported") from None


def _record_document(record: Record) -> dict[str, Any]:
    pending = record.pending
    return {
        "type": record.type,
        "id": record.api_id,
        "accountId": f"{ID_PREFIX['account']}{record.account_id}",
        "uuid": record.uuid,
        "created": record.created,
        "state": record.state,
        "removed": record.removed,
        "transitioningError": record.transitioning_error,
        "transitioningMessage": record.transitioning_message,
        "values": {k: v for k, v in record.values.items() if k not in _SECRET_FIELDS},
        "pending": None
        if pending is None
        else {
            "processes": list(pending.processes),
            "due": None if pending.due == NEVER else pending.due,
            "readsLeft": pending.reads_left,
            "failMessage": pending.fail_message,
            "scheduled": pending.scheduled,
        },
    }


def build_store(doc: Any, seed: int | None) -> tuple[Store, dict[str, Any]]:
    """A new store from a state document, and the document's clock; `StateError` if unfit."""
    if not isinstance(doc, dict):
        raise StateError("a state document is a JSON object")
    if doc.get("format") != FORMAT:
        raise StateError(f'"format" must be "{FORMAT}"')
    if doc.get("version") != VERSION:
        raise StateError(f"unsupported state version {doc.get('version')!r}; expected {VERSION}")
    transitions = _transitions(doc.get("transitions"))
    store = Store(transitions, seed)
    records = _expect(doc.get("records"), list, "records")
    for index, raw in enumerate(records):
        try:
            record = _record(raw)
        except StateError as error:
            raise StateError(f"records[{index}]: {error.message}") from None
        if store.holds(record.table, record.id):
            raise StateError(f"records[{index}]: duplicate id {record.api_id}")
        store.add(record)
    store.restore_sequences(_sequences(doc.get("sequences"), store))
    _randoms(doc.get("random"), store, seed)
    _schedule_pending(store)
    if store.get("project", DEFAULT_PROJECT_ID) is None:
        raise StateError("the Default project 1a5 is missing")
    if store.account(ADMIN_ACCOUNT_ID) is None:
        raise StateError("the admin account 1a1 is missing")
    for record in store.all_records():
        if store.account(record.account_id) is None:
            raise StateError(f"{record.api_id} belongs to an unknown account 1a{record.account_id}")
    return store, _clock(doc.get("clock"))


def _randoms(raw: Any, store: Store, seed: int | None) -> None:
    uuids = ",".join(sorted(r.uuid for r in store.all_records()))
    if seed is not None:
        # Reproducible under a seed, and never a replay of the streams that made the document.
        store.random.seed(f"{seed}:{uuids}")
        store.reseed_errors(f"errors:{seed}:{uuids}")
    if raw is not None:
        _restore_random(store.random, raw, "random")


def _clock(raw: Any) -> dict[str, Any]:
    raw = _expect(raw if raw is not None else {}, dict, "clock")
    frozen = raw.get("frozenAt")
    offset = raw.get("offset", 0.0)
    for name, value in (("frozenAt", frozen), ("offset", offset)):
        if value is not None and (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise StateError(f"clock.{name} must be a finite number")
    offset = 0.0 if offset is None else offset
    # Checked here, not by Clock.restore, so that an unfit clock changes nothing.
    try:
        in_range(frozen if frozen is not None else time.time() + offset)
    except ValueError as error:
        raise StateError(f"clock: {error}") from None
    return {"frozenAt": frozen, "offset": offset}


def _expect(value: Any, kind: type, where: str) -> Any:
    if not isinstance(value, kind) or isinstance(value, bool):
        raise StateError(f"{where} must be a JSON {kind.__name__.replace('dict', 'object')}")
    return value


def _transitions(raw: Any) -> Transitions:
    raw = _expect(raw if raw is not None else {}, dict, "transitions")
    default = _expect(raw.get("default", {}), dict, "transitions.default")
    transitions = Transitions(_number(default.get("delay", 0), "transitions.default.delay"))
    for index, rule in enumerate(_expect(raw.get("rules", []), list, "transitions.rules")):
        try:
            transitions.add(parse_rule(rule))
        except ApiError as error:
            raise StateError(f"transitions.rules[{index}]: {error.message}") from None
    purge_after = raw.get("purgeAfter")
    if purge_after is not None:
        transitions.purge_after = _number(purge_after, "transitions.purgeAfter")
    return transitions


def _finite(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise StateError(f"{where} must be a finite number")
    return float(value)


def _number(value: Any, where: str) -> float:
    value = _finite(value, where)
    if value < 0:
        raise StateError(f"{where} must not be negative")
    return float(value)


def _api_id(value: Any, where: str) -> tuple[str, int]:
    if not isinstance(value, str):
        raise StateError(f"{where} must be an id string like 1c3")
    for prefix, table in _TABLE_OF_PREFIX.items():
        digits = value[len(prefix) :]
        if value.startswith(prefix) and digits.isdigit() and len(digits) < 10:
            return table, int(digits)
    raise StateError(f"{where} {value!r} is not an id like 1c3, 1sp2 or 1a5")


def _record(raw: Any) -> Record:
    raw = _expect(raw, dict, "a record")
    type_id = raw.get("type")
    if type_id not in TABLE_OF:
        raise StateError(f"unknown type {type_id!r}")
    table, record_id = _api_id(raw.get("id"), "id")
    if table != TABLE_OF[type_id]:
        raise StateError(f"id {raw['id']} does not fit type {type_id}")
    account_table, account_id = _api_id(raw.get("accountId"), "accountId")
    if account_table != TABLE_OF["project"]:
        raise StateError("accountId must be an account or project id like 1a5")
    state = raw.get("state")
    if state not in _STATES:
        raise StateError(f"unknown state {state!r}")
    values = _expect(raw.get("values", {}), dict, "values")
    declared = lookup(type_id)
    assert declared is not None
    for name in BEHAVIOURS[declared.hook].restored_values:
        if not isinstance(values.get(name), str):
            raise StateError(f"a {type_id} needs its issued values.{name}")
    created = raw.get("created")
    removed = raw.get("removed")
    if isinstance(created, bool) or not isinstance(created, int):
        raise StateError("created must be epoch seconds")
    if removed is not None and (isinstance(removed, bool) or not isinstance(removed, int)):
        raise StateError("removed must be epoch seconds or null")
    message = raw.get("transitioningMessage")
    if message is not None and not isinstance(message, str):
        raise StateError("transitioningMessage must be a string or null")
    uuid = raw.get("uuid")
    if not isinstance(uuid, str):
        raise StateError("uuid must be a string")
    return Record(
        type=type_id,
        id=record_id,
        account_id=account_id,
        uuid=uuid,
        created=created,
        state=state,
        values=dict(values),
        removed=removed,
        transitioning_error=raw.get("transitioningError") is True,
        transitioning_message=message,
        pending=_pending(raw.get("pending")),
    )


def _pending(raw: Any) -> Pending | None:
    if raw is None:
        return None
    raw = _expect(raw, dict, "pending")
    processes = _expect(raw.get("processes"), list, "pending.processes")
    if not processes or any(p not in PROCESS_NAMES for p in processes):
        raise StateError(f"pending.processes must name processes of {', '.join(PROCESS_NAMES)}")
    due = raw.get("due")
    reads = raw.get("readsLeft")
    if reads is not None and (isinstance(reads, bool) or not isinstance(reads, int)):
        raise StateError("pending.readsLeft must be an integer or null")
    fail = raw.get("failMessage")
    if fail is not None and not isinstance(fail, str):
        raise StateError("pending.failMessage must be a string or null")
    return Pending(
        processes=list(processes),
        due=NEVER if due is None else _number(due, "pending.due"),
        seq=0,
        reads_left=reads,
        fail_message=fail,
        scheduled=raw.get("scheduled") is True,
    )


def _sequences(raw: Any, store: Store) -> dict[str, int]:
    raw = _expect(raw if raw is not None else {}, dict, "sequences")
    sequences = {}
    for table, first in FIRST_IDS.items():
        used = max((r.id + 1 for r in store.all_records() if r.table == table), default=first)
        value = raw.get(table, used)
        if isinstance(value, bool) or not isinstance(value, int) or value < used:
            raise StateError(f"sequences.{table} must be an integer >= {used}")
        sequences[table] = value
    return sequences


def _schedule_pending(store: Store) -> None:
    """Queue the restored records' pending transitions in their original due order."""
    waiting = [r for r in store.all_records() if r.pending is not None]
    for record in sorted(waiting, key=lambda r: r.pending.due if r.pending else 0.0):
        store.requeue(record)


def parse_auth(doc: Any, store: Store) -> bool:
    """The access-control switch of a state document (checked by `build_store` first, so
    `doc` is an object)."""
    raw = _expect(doc.get("auth") if doc.get("auth") is not None else {}, dict, "auth")
    access_control = raw.get("accessControl", False)
    if not isinstance(access_control, bool):
        raise StateError("auth.accessControl must be true or false")
    return access_control
