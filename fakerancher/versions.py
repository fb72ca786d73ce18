"""API versions as data: `/v1` (Cattle's schemas frozen in August 2016) and `/v2-beta` (its live
schemas at Rancher 1.6), each an overlay over the one declaration per type in `schemas.py`.

The declarations are the `/v1` view; a version overlay drops, adds or re-declares fields,
actions and filters, and says which types it serves. Roles (`roles.py`) apply on top. Nothing
else in the fake asks which version a request uses: it asks the version's schema set, and
builds its URLs with the version's name.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from fakerancher.schemas import (
    ACCOUNT_STATES,
    EQUALITY_MODIFIERS,
    Field,
    ResourceType,
)


@dataclass(frozen=True, slots=True)
class TypeChange:
    """How one version shows one type, against its declaration."""

    drop_fields: tuple[str, ...] = ()
    fields: tuple[Field, ...] = ()  # added, or replacing the declared field of that name
    drop_actions: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()  # added actions
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)  # added filters

    def apply(self, declared: ResourceType) -> ResourceType:
        replaced = {f.name: f for f in self.fields}
        kept = tuple(
            replaced.pop(f.name, f) for f in declared.fields if f.name not in self.drop_fields
        )
        merged = {f.name: f for f in (*kept, *replaced.values())}
        fields = tuple(merged[n] for n in sorted(merged) if n not in declared.tail)
        fields += tuple(merged[n] for n in declared.tail if n in merged)
        actions = tuple(a for a in declared.actions if a not in self.drop_actions) + self.actions
        return replace(
            declared,
            fields=fields,
            actions=actions,
            filters={**declared.filters, **self.filters},
        )


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: one object a version
class ApiVersion:
    name: str
    changes: dict[str, TypeChange] = field(default_factory=dict)
    # Declared types this version does not serve.
    without: frozenset[str] = frozenset()

    def view(self, declared: ResourceType) -> ResourceType | None:
        """The declared type as this version serves it, or None."""
        if declared.id in self.without:
            return None
        change = self.changes.get(declared.id)
        return declared if change is None else change.apply(declared)


# `/v2-beta` at Rancher 1.6 (cattle v1.6 head): what changed after the v1 freeze.
_V2_PROJECT_STATES = tuple(sorted({*ACCOUNT_STATES, "upgrading"} - {"restoring"}))
_V2_STATES = tuple(sorted(set(ACCOUNT_STATES) - {"restoring"}))

V2_BETA = ApiVersion(
    "v2-beta",
    {
        # cattle 52c1a6291 "Drop email from registry" (2017-03-16).
        "registryCredential": TypeChange(drop_fields=("email",)),
        # cattle 7eaf7f48a "Remove restore action" (2017-03-31); storagePool's new filter.
        "registry": TypeChange(
            fields=(Field("state", "enum", max_length=128, options=_V2_STATES),),
            drop_actions=("restore",),
            filters={"storageDriverId": EQUALITY_MODIFIERS},
        ),
        # Orchestration comes from a project template; the v1 booleans are gone.
        "project": TypeChange(
            drop_fields=("kubernetes", "mesos", "publicDns", "swarm"),
            fields=(
                Field("state", "enum", max_length=128, options=_V2_PROJECT_STATES),
                Field(
                    "projectTemplateId", "reference[projectTemplate]", create=True, nullable=True
                ),
                Field("orchestration", "string"),
                Field("healthState", "string"),
                Field("version", "string"),
                Field("defaultNetworkId", "reference[network]"),
                Field("hostRemoveDelaySeconds", "int", create=True, update=True, nullable=True),
            ),
            drop_actions=("restore",),
            actions=("upgrade",),
        ),
    },
)

V1 = ApiVersion("v1", without=frozenset({"projectTemplate"}))

VERSIONS: dict[str, ApiVersion] = {version.name: version for version in (V1, V2_BETA)}
LATEST = V2_BETA
