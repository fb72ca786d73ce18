"""Who is calling: API keys, accounts, project scope and role, as Cattle's `ApiAuthenticator`
resolves them.

A request with HTTP Basic credentials of an active API key whose account is active acts as
that account (with access control off too, as in Cattle). Without valid credentials, access
control decides: on (or `X-ENFORCE-AUTHENTICATION: true`) → 401 with a `WWW-Authenticate`
challenge (unless `X-API-No-Challenge: true`); off → the fake's anonymous caller, Cattle's
admin fallback (see `roles.ROLES["anonymous"]`).

The effective account is the project a request names (path, `X-API-Project-Id`, `projectId`)
or else the caller's own account; the role follows (`roles.py`). Secret keys are kept only as
SHA-256 digests, as Cattle hashes `apiKey` secrets.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass

from fakerancher.errors import ApiError
from fakerancher.roles import MEMBER_ROLES, ROLES, Role, SchemaSet, role_of_kind
from fakerancher.schemas import TYPES
from fakerancher.store import ADMIN_ACCOUNT_ID, DEFAULT_PROJECT_ID, Record, Store
from fakerancher.versions import V1, ApiVersion

REALM = 'Basic realm="Enter API access key and secret key as username and password"'
# An account acts while in one of these states (AccountDaoImpl#getAccountActiveStates).
ACTIVE_STATES = frozenset({"active", "activating", "upgrading", "updating-active"})


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def unauthorized(challenge: bool) -> ApiError:
    error = ApiError(401)
    error.headers = {"WWW-Authenticate": REALM} if challenge else {}
    return error


@dataclass(frozen=True, slots=True)
class Caller:
    """The account a request runs as, the account it acts in, and its role there."""

    user: Record  # the authenticated account (a project, for an environment key)
    account_id: int  # the effective account: the project in scope, else the user
    role: Role
    # Whether a project was named (or the key is an environment key): reads are confined to it.
    scoped: bool
    # The caller's own account acts for every account (admin, service, the anonymous caller):
    # it sets `accountId` on what it makes and owns every project it enters.
    acts_for_all: bool = False

    def schemas(self, version: ApiVersion = V1) -> SchemaSet:
        return self.role.schemas(version)

    @property
    def reads_all(self) -> bool:
        """Reads every account's rows: an admin-like role outside any project."""
        return self.role.list_all and not self.scoped

    @property
    def visible_account(self) -> int | None:
        return None if self.reads_all else self.account_id


def key_account(store: Store, authorization: str | None) -> Record | None:
    """The account of the active API key named by `Authorization: Basic`, if its secret
    matches and its account may act (an inactive or removed project's keys stop working)."""
    if not authorization or authorization[:6].lower() != "basic ":
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    public, _, secret = decoded.partition(":")
    wanted = digest(secret)
    for key in store.find_unique("apiKey", public):
        if (
            key.state == "active"
            and key.values.get("publicValue") == public
            and hmac.compare_digest(str(key.values.get("secretDigest", "")), wanted)
        ):
            account = store.account(key.account_id)
            if account is not None and account.state in ACTIVE_STATES:
                return account
    return None


def member_role(store: Store, project: Record, account_id: int) -> str | None:
    """The strongest role `account_id` holds among the project's active members."""
    roles = {
        member.values.get("role")
        for member in store.owned("projectMember", project.id)
        if member.state == "active" and member.values.get("externalId") == account_id
    }
    return next((role for role in MEMBER_ROLES if role in roles), None)


def resolve(store: Store, user: Record | None, requested: Record | None, named: bool) -> Caller:
    """The caller of a request: `user` from its key (None: the anonymous caller), the project
    it names (`named`; `requested` None when that names no project). 403 when the caller may
    not act in the named project; 401 when its account kind has no role."""
    if user is None:
        user = store.account(ADMIN_ACCOUNT_ID)
        assert user is not None
        if not named:
            return Caller(user, DEFAULT_PROJECT_ID, ROLES["anonymous"], False, True)
        return Caller(user, _enterable(requested).id, ROLES["owner"], True, True)
    if TYPES[user.type].environment:  # an environment key: its project only
        if named and (requested is None or requested.id != user.id):
            raise ApiError(403)
        return Caller(user, user.id, ROLES["project"], scoped=True)
    own_role = role_of_kind(str(user.values.get("kind")))
    if own_role is None:
        raise unauthorized(challenge=True)
    if not named:
        return Caller(user, user.id, own_role, False, own_role.all_accounts)
    project = _enterable(requested)
    if own_role.all_accounts:
        return Caller(user, project.id, ROLES["owner"], True, True)
    role = member_role(store, project, user.id)
    if role is None:
        raise ApiError(403)
    return Caller(user, project.id, ROLES[role], scoped=True)


def _enterable(project: Record | None) -> Record:
    """A project a request may act in: known, not removed, active (Cattle answers 403)."""
    if project is None or project.removed is not None or project.state not in ACTIVE_STATES:
        raise ApiError(403)
    return project
