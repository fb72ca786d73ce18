"""What some types do beyond the generic resource: a declaration names its behaviour
(`ResourceType.hook`), and the resource layer and renderer call it without asking which type
they hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from fakerancher import tokens
from fakerancher.auth import digest
from fakerancher.errors import ApiError
from fakerancher.store import Record, Store
from fakerancher.validation import parse_id

if TYPE_CHECKING:
    from fakerancher.urls import Urls

AGENT_IMAGE_STATES = frozenset({"requested", "registering"})
DEFAULT_TEMPLATE = "Cattle"
DEFAULT_PORT_RANGE = {"type": "servicesPortRange", "endPort": 65535, "startPort": 49153}
# The public project templates of Rancher 1.6's catalog, by name, and their orchestration.
PUBLIC_TEMPLATES = (
    ("Cattle", "cattle"),
    ("Kubernetes", "kubernetes"),
    ("Mesos", "mesos"),
    ("Swarm", "swarm"),
    ("Windows", "windows"),
)


class Behaviour:
    """The generic resource: nothing extra."""

    # Computed keys shown although no schema field declares them.
    extra_output: tuple[str, ...] = ()
    # Values a restored row must carry (issued once, never derived again).
    restored_values: tuple[str, ...] = ()
    # Whether a row's document shows values of other rows (a member shows its account's name).
    shows_other_rows: bool = False
    # Field -> the stored value a role that always reads the field is shown instead (the
    # create answer still shows what `prepare` returned).
    stored_as: dict[str, str] = {}

    def prepare(self, values: dict[str, Any], store: Store, now: float) -> dict[str, Any]:
        """Complete the values of a row about to be created; returns the values shown in the
        create answer only."""
        return {}

    def kind(self, record: Record) -> str:
        return record.type

    def computed(self, record: Record, urls: Urls, account_name: str | None) -> dict[str, Any]:
        """Field values derived at render time."""
        return {}

    def links(self, record: Record, computed: Mapping[str, Any]) -> dict[str, str]:
        return {}

    def check_process(self, store: Store, record: Record, process: str) -> None:
        """Refuse a process the row may not run (raise `ApiError`)."""


class AgentRegistration(Behaviour):
    """registrationToken: a key pair and the token string issued once, at create; the agent
    command and script URL once the create process generated them."""

    extra_output = ("windowsCommand",)
    restored_values = ("token",)

    def prepare(self, values: dict[str, Any], store: Store, now: float) -> dict[str, Any]:
        public, secret = tokens.generate_key_pair(store.random)
        values |= {"publicValue": public, "secretValue": secret}
        values["token"] = tokens.make_token(public, secret, now)
        return {}

    def computed(self, record: Record, urls: Urls, account_name: str | None) -> dict[str, Any]:
        if record.state in AGENT_IMAGE_STATES:
            return dict.fromkeys(("token", "registrationUrl", "command", "image"))
        token = record.values["token"]
        url = urls.script(token)
        return {
            "token": token,
            "registrationUrl": url,
            "command": tokens.register_command(url),
            "image": tokens.AGENT_IMAGE,
            "windowsCommand": tokens.WINDOWS_COMMAND,
        }

    def links(self, record: Record, computed: Mapping[str, Any]) -> dict[str, str]:
        url = computed.get("registrationUrl")
        return {"registrationUrl": url} if url else {}


class KeyPair(Behaviour):
    """apiKey: generated keys unless a public value is given (then the secret is what was
    sent, possibly none); the secret is kept as a digest and shown in the create answer.
    A role that reads `secretValue` on every answer (the superadmin) sees the digest, as
    Cattle shows the hash it stores."""

    stored_as = {"secretValue": "secretDigest"}

    def prepare(self, values: dict[str, Any], store: Store, now: float) -> dict[str, Any]:
        secret = values.pop("secretValue", None)
        if values.get("publicValue") is None:
            values["publicValue"], secret = tokens.generate_key_pair(store.random)
        values["secretDigest"] = None if secret is None else digest(secret)
        return {"secretValue": secret}


class Account(Behaviour):
    def prepare(self, values: dict[str, Any], store: Store, now: float) -> dict[str, Any]:
        values.setdefault("kind", "user")
        return {}

    def kind(self, record: Record) -> str:
        return str(record.values.get("kind") or "user")

    def check_process(self, store: Store, record: Record, process: str) -> None:
        """The last active admin account may not be deactivated or removed (AccountFilter,
        AccountDeactivateActionHandler)."""
        if process not in ("deactivate", "remove") or self.kind(record) != "admin":
            return
        others = [
            a
            for a in store.owned_all("account")
            if a is not record and self.kind(a) == "admin" and a.state == "active"
        ]
        if not others:
            verb = "deactivate" if process == "deactivate" else "delete"
            raise ApiError(
                405,
                "LastAdminAccount",
                message=f"Cannot {verb} the last admin account.",
                detail="At least one admin account is required at all times",
            )

    def computed(self, record: Record, urls: Urls, account_name: str | None) -> dict[str, Any]:
        external = record.values.get("externalId")
        identity = (
            f"{record.values.get('externalIdType')}:{external}"
            if external is not None
            else f"rancher_id:{record.id}"
        )
        return {"identity": f"1i!{identity}"}


class Environment(Behaviour):
    """project: members are rows of their own (`members` is never stored on the project); its
    orchestration comes from its project template, the `Cattle` one unless it names another
    (`project.template.default.name`)."""

    def prepare(self, values: dict[str, Any], store: Store, now: float) -> dict[str, Any]:
        values.pop("members", None)
        for flag in ("kubernetes", "mesos", "publicDns", "swarm", "virtualMachine"):
            values.setdefault(flag, False)
        values.setdefault("allowSystemRole", False)
        template_id = values.get("projectTemplateId")
        template = None if template_id is None else store.get("projectTemplate", template_id)
        if template is None:
            template = next(
                (
                    t
                    for t in store.owned_all("projectTemplate")
                    if t.values.get("name") == DEFAULT_TEMPLATE
                ),
                None,
            )
        values["projectTemplateId"] = None if template is None else template.id
        values["orchestration"] = (
            "cattle" if template is None else template.values.get("orchestration", "cattle")
        )
        values.setdefault("healthState", "healthy")
        values.setdefault("version", "2")
        if values.get("servicesPortRange") is None:  # Cattle's default range (the capture's)
            values["servicesPortRange"] = dict(DEFAULT_PORT_RANGE)
        return {}

    def computed(self, record: Record, urls: Urls, account_name: str | None) -> dict[str, Any]:
        return {"members": None}


class Membership(Behaviour):
    """projectMember: who (an account id, shown as `1a7`) holds which role in a project."""

    shows_other_rows = True

    def computed(self, record: Record, urls: Urls, account_name: str | None) -> dict[str, Any]:
        external = record.values.get("externalId")
        if record.values.get("externalIdType") == "rancher_id" and isinstance(external, int):
            external = f"1a{external}"
        return {"externalId": external, "name": account_name}


class Setting(Behaviour):
    """setting: stored in the database, so its active value is the value."""

    def computed(self, record: Record, urls: Urls, account_name: str | None) -> dict[str, Any]:
        return {"activeValue": record.values.get("value"), "inDb": True, "source": "Database"}


BEHAVIOURS: dict[str | None, Behaviour] = {
    None: Behaviour(),
    "registrationToken": AgentRegistration(),
    "apiKey": KeyPair(),
    "account": Account(),
    "project": Environment(),
    "projectMember": Membership(),
    "setting": Setting(),
}


def parse_members(raw: Any) -> list[dict[str, Any]]:
    """`members` of a project create or `setmembers`: each needs externalId, externalIdType
    and role, and one must be an owner (Cattle's ProjectMemberResourceManager#setMembers)."""
    members: list[dict[str, Any]] = []
    for item in raw:
        if not isinstance(item, dict) or any(
            not isinstance(item.get(k), str) or not item.get(k)
            for k in ("externalId", "externalIdType", "role")
        ):
            raise ApiError(400, "InvalidFormat", message="Member format invalid")
        external: Any = item["externalId"]
        if item["externalIdType"] == "rancher_id":
            parsed = parse_id(external) if not external.isdigit() else int(external)
            if parsed is None:
                raise ApiError(400, "InvalidFormat", message="Member format invalid")
            external = parsed
        members.append(
            {"externalId": external, "externalIdType": item["externalIdType"], "role": item["role"]}
        )
    if not any(member["role"] == "owner" for member in members):
        raise ApiError(400, "InvalidFormat", message="Members list does not have an owner")
    return members
