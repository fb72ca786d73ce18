"""The dict-backed store: records, id sequences, and the process engine that moves states.

The store does no locking itself: its owner, `FakeRancher`, holds one re-entrant lock around
every use, so a replaced store (reset, restored state) is guarded by the same lock. Pending
transitions carry a due time on the fake's clock and settle lazily whenever the store is
touched (`settle(now)`): there are no background threads, so results are deterministic and
frozen time works.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from fakerancher.lifecycle import PROCESSES, follow_up
from fakerancher.schemas import ID_PREFIX, RESOURCE_TYPES, lookup
from fakerancher.transitions import Policy, Transitions

# The table (Cattle base type) each kind lives in; kinds of one table share one id sequence.
TABLE_OF = {t.id: t.table for t in RESOURCE_TYPES}
# Type -> the field whose value must be unique (`ResourceType.unique`), indexed by the store.
_UNIQUE_FIELD = {t.id: t.unique[0] for t in RESOURCE_TYPES if t.unique is not None}
ADMIN_ACCOUNT_ID = 1
DEFAULT_PROJECT_ID = 5
FIRST_IDS = dict.fromkeys(ID_PREFIX, 1)
NEVER = math.inf


@dataclass(slots=True)
class Pending:
    """The running process (first) and the ones chained after it."""

    processes: list[str]
    due: float
    seq: int
    # `reads` policy: by-id reads that still see the transitioning state.
    reads_left: int | None = None
    # `fail` policy: the process ends in error with this message instead of completing.
    fail_message: str | None = None
    # True when the first process has not started yet (automatic purge of removed rows).
    scheduled: bool = False

    def copy(self) -> Pending:
        return Pending(
            list(self.processes),
            self.due,
            self.seq,
            self.reads_left,
            self.fail_message,
            self.scheduled,
        )


@dataclass(slots=True, eq=False)
class Record:
    type: str
    id: int
    account_id: int
    uuid: str
    created: int
    state: str
    values: dict[str, Any] = field(default_factory=dict)
    removed: int | None = None
    transitioning_error: bool = False
    transitioning_message: str | None = None
    pending: Pending | None = None
    # Values shown in the answer that created the record only (an API key's secret).
    once: dict[str, Any] | None = None

    @property
    def table(self) -> str:
        return TABLE_OF[self.type]

    @property
    def api_id(self) -> str:
        return f"{ID_PREFIX[self.table]}{self.id}"

    def __repr__(self) -> str:
        # Never show values: they hold secrets.
        return f"<Record {self.type} {self.id} {self.state}>"


def _uuid4(bits: int) -> str:
    """`str(uuid.UUID(int=bits, version=4))`, without building the UUID object."""
    bits = (bits & ~(0xF000 << 64) | (0x4000 << 64)) & ~(0xC000 << 48) | (0x8000 << 48)
    text = f"{bits:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


@dataclass(slots=True)
class _Journal:
    """What one request may change, as it was before: `Store.rollback` puts it back."""

    sequences: dict[str, int]
    seq: int
    random_state: Any = None  # taken at the first draw: `getstate` is costly
    added: list[Record] = field(default_factory=list)
    # id(record) -> (record, its mutable fields as they were)
    touched: dict[int, tuple[Record, tuple[Any, ...]]] = field(default_factory=dict)


def _saved(record: Record) -> tuple[Any, ...]:
    pending = record.pending
    return (
        record.state,
        record.values,  # replaced on update, never mutated: the reference is the old value
        record.removed,
        record.transitioning_error,
        record.transitioning_message,
        None if pending is None else pending.copy(),
    )


class Store:
    def __init__(self, transitions: Transitions | None = None, seed: int | None = None) -> None:
        self.transitions = transitions if transitions is not None else Transitions()
        self._random = random.Random(seed)
        # Only under a seed must the draws repeat, so only then does a transaction save the
        # random state to put back (`getstate` copies 2.5 KB: a tenth of a create).
        self.repeatable = seed is not None
        self._error_random = random.Random(None if seed is None else ~seed)
        self._by_id: dict[str, dict[int, Record]] = {t: {} for t in FIRST_IDS}
        self._by_owner: dict[tuple[str, int], dict[int, Record]] = {}
        self._sequences = dict(FIRST_IDS)
        self._heap: list[tuple[float, int, Record]] = []
        self._seq = 0
        self._journal: _Journal | None = None
        # (type, lower-cased value of its unique field) -> the records holding it
        self._unique: dict[tuple[str, str], list[Record]] = {}

    # -- all or nothing -------------------------------------------------------------------
    def begin(self) -> bool:
        """Start journaling changes; False when a transaction is already open (joined)."""
        if self._journal is not None:
            return False
        self._journal = _Journal(dict(self._sequences), self._seq)
        return True

    def commit(self) -> None:
        self._journal = None

    def rollback(self) -> None:
        """Undo everything since the transaction began: a request that failed half-way leaves
        no trace."""
        journal, self._journal = self._journal, None
        if journal is None:
            return
        for record in journal.added:
            record.pending = None  # its queued transition, if any, finds nothing to do
            self._by_id[record.table].pop(record.id, None)
            self._by_owner.get((record.type, record.account_id), {}).pop(record.id, None)
            self._unindex(record)
        added = {id(record) for record in journal.added}
        for key, (record, saved) in journal.touched.items():
            if key in added:
                continue
            self._unindex(record)
            (
                record.state,
                record.values,
                record.removed,
                record.transitioning_error,
                record.transitioning_message,
                record.pending,
            ) = saved
            self._index(record)
        self._sequences = journal.sequences
        if journal.random_state is not None:
            self._random.setstate(journal.random_state)
        # Heap entries pushed since `begin` carry sequence numbers no restored record holds,
        # so `settle` skips them; keep numbering past them all the same.

    def _touch(self, record: Record) -> None:
        journal = self._journal
        if journal is not None and id(record) not in journal.touched:
            journal.touched[id(record)] = (record, _saved(record))

    def update_values(self, record: Record, values: dict[str, Any]) -> None:
        """Replace a record's values (a new dict: cached renderings key on its identity)."""
        self._touch(record)
        self._unindex(record)
        record.values = {**record.values, **values}
        self._index(record)

    # -- identity -------------------------------------------------------------------------
    @property
    def random(self) -> random.Random:
        """The seeded source of ids, uuids, tokens and keys (journaled: a rolled-back request
        leaves the next draws as they would have been)."""
        journal = self._journal
        if journal is not None and journal.random_state is None and self.repeatable:
            journal.random_state = self._random.getstate()
        return self._random

    def new_uuid(self) -> str:
        return _uuid4(self.random.getrandbits(128))

    def reseed_errors(self, seed: str) -> None:
        self._error_random.seed(seed)

    def new_error_id(self) -> str:
        """Error documents draw from their own stream: a rejected request must not shift the
        ids, uuids and tokens that later requests get."""
        return _uuid4(self._error_random.getrandbits(128))

    def next_id(self, table: str) -> int:
        value = self._sequences[table]
        self._sequences[table] = value + 1
        return value

    def sequences(self) -> dict[str, int]:
        return dict(self._sequences)

    def restore_sequences(self, sequences: dict[str, int]) -> None:
        self._sequences = dict(sequences)

    # -- records --------------------------------------------------------------------------
    def holds_any(self, table: str) -> bool:
        return bool(self._by_id[table])

    def holds(self, table: str, record_id: int) -> bool:
        return record_id in self._by_id[table]

    def add(self, record: Record) -> None:
        journal = self._journal
        if journal is not None:
            journal.added.append(record)
            # Rolled back by removal: what it was before need not be saved.
            journal.touched[id(record)] = (record, ())
        table = record.table
        # A record added with an explicit id (the Default project) moves its sequence past it.
        self._sequences[table] = max(self._sequences[table], record.id + 1)
        self._by_id[table][record.id] = record
        self._by_owner.setdefault((record.type, record.account_id), {})[record.id] = record
        self._index(record)

    def _unique_key(self, record: Record) -> tuple[str, str] | None:
        name = _UNIQUE_FIELD.get(record.type)
        value = None if name is None else record.values.get(name)
        return None if value is None else (record.type, str(value).lower())

    def _index(self, record: Record) -> None:
        key = self._unique_key(record)
        if key is not None:
            self._unique.setdefault(key, []).append(record)

    def _unindex(self, record: Record) -> None:
        key = self._unique_key(record)
        holders = None if key is None else self._unique.get(key)
        if holders and record in holders:
            holders.remove(record)

    def find_unique(self, type_id: str, value: str) -> list[Record]:
        """The records of `type_id` whose unique field holds `value` (in any case)."""
        return list(self._unique.get((type_id, value.lower()), ()))

    def account(self, account_id: int) -> Record | None:
        """An account or project by its DB id."""
        return self._by_id["account"].get(account_id)

    def get(self, type_id: str, record_id: int) -> Record | None:
        record = self._by_id[TABLE_OF[type_id]].get(record_id)
        return record if record is not None and record.type == type_id else None

    def get_in_table(self, table: str, record_id: int) -> Record | None:
        """A row of a table by id, whatever its type."""
        return self._by_id[table].get(record_id)

    def table_rows(self, table: str) -> Iterator[Record]:
        """Every row of a table, whatever its type."""
        return iter(self._by_id[table].values())

    def owned(self, type_id: str, account_id: int) -> Iterator[Record]:
        """Every record of a type in one project (or, for projects, owned by account 0)."""
        return iter(self._by_owner.get((type_id, account_id), {}).values())

    def owned_all(self, type_id: str) -> Iterator[Record]:
        """Every record of a type, in any project."""
        return (r for r in self._by_id[TABLE_OF[type_id]].values() if r.type == type_id)

    def all_records(self) -> Iterator[Record]:
        for table in self._by_id.values():
            yield from table.values()

    # -- the process engine ---------------------------------------------------------------
    def start(
        self, record: Record, process: str, now: float, then: tuple[str, ...] | None = None
    ) -> None:
        """Move `record` into the transitioning state of `process`, completing per its policy.

        `then` is the chain of processes to run after it; by default Cattle's own follow-up
        (activate after create).
        """
        self._touch(record)
        record.state = PROCESSES[process].transitioning_state(record.state)
        record.transitioning_error = False
        record.transitioning_message = None
        if then is None:
            following = follow_up(process)
            then = (following,) if following else ()
        policy = self.transitions.policy_for(record.type, process, record.api_id)
        pending = self._pend(record, [process, *then], self._due(policy, now))
        if policy.mode == "reads":
            pending.reads_left = policy.reads
        elif policy.mode == "fail":
            pending.fail_message = policy.message
        if policy.mode == "immediate" or (policy.mode == "reads" and policy.reads == 0):
            self._complete(record, now)

    @staticmethod
    def _due(policy: Policy, now: float) -> float:
        if policy.mode in ("manual", "reads"):
            return NEVER
        return now + policy.delay

    def _pend(self, record: Record, processes: list[str], due: float) -> Pending:
        self._seq += 1
        record.pending = Pending(processes, due, self._seq)
        if due != NEVER:
            heapq.heappush(self._heap, (due, self._seq, record))
        return record.pending

    def requeue(self, record: Record) -> None:
        """Queue a restored record's pending transition under a fresh sequence number."""
        assert record.pending is not None
        self._seq += 1
        record.pending.seq = self._seq
        if record.pending.due != NEVER:
            heapq.heappush(self._heap, (record.pending.due, self._seq, record))

    def settle(self, now: float) -> None:
        """Complete every transition that is due by `now`, in due order."""
        heap = self._heap
        while heap and heap[0][0] <= now:
            due, seq, record = heapq.heappop(heap)
            if record.pending is not None and record.pending.seq == seq:
                self._complete(record, due)

    def read(self, record: Record, now: float) -> None:
        """A by-id read: counts towards a `reads` policy."""
        pending = record.pending
        if pending is None or pending.reads_left is None:
            return
        self._touch(record)
        if pending.reads_left <= 0:  # `n` reads have seen it transitioning: done now
            self._complete(record, now)
        else:
            pending.reads_left -= 1

    def step(self, record: Record, now: float) -> None:
        """Complete `record`'s running process now (the next in its chain starts)."""
        if record.pending is not None:
            self._complete(record, now)

    def finish(self, record: Record, now: float) -> None:
        """Run `record`'s pending processes to their end now, whatever their policy."""
        while record.pending is not None:
            self._complete(record, now)

    def purge_now(self, record: Record, now: float) -> None:
        """Deactivate, remove and purge `record` at once, whatever its state."""
        self._touch(record)
        record.pending = None
        record.state = "purged"
        record.removed = int(now)
        record.transitioning_error = False
        record.transitioning_message = None

    def advance(self, now: float, record: Record | None = None) -> int:
        """Complete the waiting (`manual` or `reads`) transitions, or only `record`'s."""
        waiting = [
            r
            for r in ([record] if record is not None else list(self.all_records()))
            if r.pending is not None and r.pending.due == NEVER
        ]
        for waiter in sorted(waiting, key=lambda r: r.pending.seq if r.pending else 0):
            self._complete(waiter, now)
        return len(waiting)

    def _complete(self, record: Record, at: float) -> None:
        pending = record.pending
        assert pending is not None
        self._touch(record)
        running, *rest = pending.processes
        record.pending = None
        if pending.scheduled:
            if PROCESSES[running].can_start(record.state):
                self.start(record, running, at, tuple(rest))
            return
        if pending.fail_message is not None:
            # Cattle leaves a failed process's row in its transitioning state, flagged.
            record.transitioning_error = True
            record.transitioning_message = pending.fail_message
            return
        following = PROCESSES[rest[0]] if rest else None
        # Cattle delegates while the row is still transitioning (create -> activate).
        if following is not None and following.can_start(record.state):
            self.start(record, following.name, at, tuple(rest[1:]))
            return
        record.state = PROCESSES[running].done_state(record.state)
        self._after(record, running, at)
        if following is not None and following.can_start(record.state):
            self.start(record, following.name, at, tuple(rest[1:]))

    def _after(self, record: Record, process: str, at: float) -> None:
        """Post-listeners: removal timestamps, and a purge removes the rows that hang from
        the purged one (a registry's credentials, a project's members)."""
        if process == "remove":
            record.removed = int(at)
            purge_after = self.transitions.purge_after
            if purge_after is not None:
                self._pend(record, ["purge"], at + purge_after).scheduled = True
        elif process == "purge":
            declared = lookup(record.type)
            assert declared is not None
            for child_type, reference in declared.child_links.values():
                self._cascade_purge(record, child_type, reference, at)

    def _cascade_purge(self, parent: Record, child_type: str, reference: str, at: float) -> None:
        # storagepool.purge deactivates and removes every live credential of the registry.
        for child in list(self.owned(child_type, parent.account_id)):
            if child.removed is not None or child.values.get(reference) != parent.id:
                continue
            if child.pending is not None:
                self._touch(child)
                if "remove" not in child.pending.processes:
                    child.pending.processes.append("remove")
            elif PROCESSES["deactivate"].can_start(child.state):
                self.start(child, "deactivate", at, ("remove",))
            elif PROCESSES["remove"].can_start(child.state):
                self.start(child, "remove", at, ())
