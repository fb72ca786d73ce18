"""A corpus of malformed requests fired at a populated store (transition_delay=5, frozen clock,
resources resting and mid-transition). Every answer must be a 4xx with a Cattle error document
(or a 2xx where the spec says the input is silently ignored), never a 5xx, and a full dump of the
store taken through HTTP must be identical before and after each request."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from freezegun import freeze_time
from werkzeug.test import Client

from fakerancher import FakeRancher

BASE = "http://localhost/v1"
COLLECTIONS = ["registries", "registrycredentials", "registrationtokens"]
ANY = "any"  # 2xx (input silently ignored) or 4xx
FOURXX = "4xx"


# --------------------------------------------------------------------------- the store


class Store:
    """Holds the populated fake, its placeholders and the baseline dump."""

    def __init__(self, frozen: Any) -> None:
        self.frozen = frozen
        self.dirty = True
        self.api: Client
        self.ctx: dict[str, str] = {}
        self.baseline: dict[str, Any] = {}

    def build(self) -> None:
        fake = FakeRancher(transition_delay=5.0)
        api = Client(fake.wsgi_app)
        frozen = self.frozen

        def post(collection: str, payload: dict[str, Any]) -> dict[str, Any]:
            response = api.post(f"{BASE}/{collection}", json=payload)
            assert response.status_code == 201, response.get_data(as_text=True)
            doc: dict[str, Any] = response.get_json()
            return doc

        def act(doc: dict[str, Any], name: str) -> None:
            response = api.post(f"{doc['links']['self']}/?action={name}")
            assert response.status_code == 202, response.get_data(as_text=True)

        def tick() -> None:
            frozen.tick(5)
            # touching the store settles due transitions
            assert api.get(f"{BASE}/registries").status_code == 200

        docs: dict[str, dict[str, Any]] = {}
        docs["reg_active"] = post("registries", {"serverAddress": "quay.io", "name": "Quay"})
        docs["reg_inactive"] = post("registries", {"serverAddress": "docker.io"})
        docs["reg_removed"] = post("registries", {"serverAddress": "gone.example.com"})
        docs["reg_purged"] = post("registries", {"serverAddress": "purged.example.com"})
        rid = docs["reg_active"]["id"]
        for label in ["cred_active", "cred_inactive", "cred_removed", "cred_deactivating"]:
            docs[label] = post(
                "registrycredentials",
                {
                    "registryId": rid,
                    "email": f"{label}@example.com",
                    "publicValue": label,
                    "secretValue": "s3cret",
                    "name": label,
                },
            )
        for label in ["tok_active", "tok_inactive", "tok_removed"]:
            docs[label] = post("registrationtokens", {"name": label})
        tick()
        tick()
        for label in ["reg_inactive", "reg_removed", "reg_purged", "cred_inactive"]:
            act(docs[label], "deactivate")
        for label in ["cred_removed", "tok_inactive", "tok_removed"]:
            act(docs[label], "deactivate")
        tick()
        for label in ["reg_removed", "reg_purged", "cred_removed", "tok_removed"]:
            act(docs[label], "remove")
        tick()
        act(docs["reg_purged"], "purge")
        tick()
        # mid-transition residents: the clock never moves again
        docs["reg_registering"] = post("registries", {"serverAddress": "pending.example.com"})
        docs["tok_registering"] = post("registrationtokens", {})
        act(docs["cred_deactivating"], "deactivate")

        ctx: dict[str, str] = {}
        for label, doc in docs.items():
            ctx[label] = doc["links"]["self"]
            ctx[f"{label}_id"] = doc["id"]
            ctx[f"{label}_n"] = doc["id"].lstrip("1").lstrip("abcdefghijklmnopqrstuvwxyz")
        self.api = api
        self.ctx = ctx
        self.baseline = self.dump()
        expected = {
            "reg_active": "active",
            "reg_inactive": "inactive",
            "reg_removed": "removed",
            "reg_purged": "purged",
            "reg_registering": "registering",
            "cred_active": "active",
            "cred_inactive": "inactive",
            "cred_removed": "removed",
            "cred_deactivating": "deactivating",
            "tok_active": "active",
            "tok_inactive": "inactive",
            "tok_removed": "removed",
            "tok_registering": "registering",
        }
        states = {label: self.baseline["by_id"][ctx[label]]["state"] for label in expected}
        assert states == expected
        self.dirty = False

    def dump(self) -> dict[str, Any]:
        lists: dict[str, Any] = {}
        by_id: dict[str, Any] = {}
        for collection in COLLECTIONS:
            response = self.api.get(
                f"{BASE}/{collection}", query_string={"_removed": "true", "limit": "3000"}
            )
            assert response.status_code == 200, response.get_data(as_text=True)
            lists[collection] = response.get_json()
            for item in lists[collection]["data"]:
                single = self.api.get(item["links"]["self"])
                assert single.status_code == 200
                by_id[item["links"]["self"]] = single.get_json()
        return {"lists": lists, "by_id": by_id}


@pytest.fixture(scope="module")
def store() -> Iterator[Store]:
    with freeze_time("2024-06-01 08:00:00") as frozen:
        holder = Store(frozen)
        yield holder


@pytest.fixture
def populated(store: Store) -> Store:
    if store.dirty:
        store.build()
    return store


# --------------------------------------------------------------------------- the corpus


@dataclass
class Case:
    name: str
    method: str
    url: str
    data: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    expect: int | str = FOURXX
    code: str | None = None
    field_name: str | None = None


def js(value: Any) -> bytes:
    return json.dumps(value).encode()


CORPUS: list[Case] = []


def add(*cases: Case) -> None:
    CORPUS.extend(cases)


# ---- bad JSON of many kinds, at every kind of write -----------------------------------------

_rng = random.Random(20240601)
BAD_BODIES: dict[str, bytes] = {
    "open-brace": b"{",
    "close-brace": b"}",
    "unterminated-object": b'{"serverAddress": "x"',
    "unterminated-string": b'{"serverAddress": "x',
    "missing-colon": b'{"serverAddress" "x"}',
    "missing-value": b'{"serverAddress": }',
    "double-comma": b'{"serverAddress": "x",, "name": "y"}',
    "trailing-comma": b'{"serverAddress": "x",}',
    "array-trailing-comma": b'{"name": [1,]}',
    "single-quotes": b"{'serverAddress': 'x'}",
    "unquoted-key": b'{serverAddress: "x"}',
    "line-comment": b'// hi\n{"serverAddress": "x"}',
    "block-comment": b'/* hi */ {"serverAddress": "x"}',
    "nan": b'{"serverAddress": "x", "name": NaN}',
    "infinity": b'{"serverAddress": "x", "name": Infinity}',
    "minus-infinity": b'{"serverAddress": "x", "name": -Infinity}',
    "bare-nan": b"NaN",
    "leading-zero": b'{"serverAddress": "x", "name": 01}',
    "bare-fraction": b'{"serverAddress": "x", "name": .5}',
    "bad-exponent": b'{"serverAddress": "x", "name": 1e}',
    "plus-number": b'{"serverAddress": "x", "name": +1}',
    "hex-number": b'{"serverAddress": "x", "name": 0x10}',
    "bad-escape": b'{"serverAddress": "x\\q"}',
    "short-unicode-escape": b'{"serverAddress": "x\\u12"}',
    "control-char": b'{"serverAddress": "a\x01b"}',
    "python-none": b'{"serverAddress": "x", "name": None}',
    "python-true": b'{"serverAddress": "x", "name": True}',
    "undefined": b'{"serverAddress": "x", "name": undefined}',
    "trailing-garbage": b'{"serverAddress": "x"} trailing',
    "two-documents": b'{"serverAddress": "x"}{"name": "y"}',
    "trailing-nul": b'{"serverAddress": "x"}\x00',
    "invalid-utf8": b'{"serverAddress": "caf\xe9"}',
    "overlong-utf8": b'{"serverAddress": "\xc0\xaf"}',
    "lone-continuation": b'{"name": "\x80", "serverAddress": "x"}',
    "deep-arrays": b'{"serverAddress": "x", "name": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
    "deep-objects": b'{"serverAddress": "x", "n": ' + b'{"a":' * 30_000 + b"1" + b"}" * 30_001,
    "random-binary": _rng.randbytes(512),
    "nul-bytes": b"\x00" * 64,
    "png-header": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    "gzip-header": b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03",
    "bare-word": b"serverAddress=x",
    "xml": b"<registry><serverAddress>x</serverAddress></registry>",
}
BAD_BODY_TARGETS = {
    "create-registry": ("POST", f"{BASE}/registries"),
    "create-credential": ("POST", f"{BASE}/registrycredentials"),
    "create-token": ("POST", f"{BASE}/registrationtokens"),
    "put-credential": ("PUT", "{cred_active}"),
    "put-registry": ("PUT", "{reg_inactive}"),
    "deactivate-credential": ("POST", "{cred_active}/?action=deactivate"),
    "activate-token": ("POST", "{tok_inactive}/?action=activate"),
    "remove-registry": ("POST", "{reg_inactive}/?action=remove"),
}
_BODY_TARGET_SUBSET = {
    # every bad body at the creates; a spread of them at the other writes
    "create-registry": list(BAD_BODIES),
    "create-credential": list(BAD_BODIES)[::2],
    "create-token": list(BAD_BODIES),
    "put-credential": list(BAD_BODIES)[::3],
    "put-registry": list(BAD_BODIES)[1::3],
    "deactivate-credential": list(BAD_BODIES)[::3],
    "activate-token": list(BAD_BODIES)[2::4],
    "remove-registry": list(BAD_BODIES)[1::4],
}
for target, body_names in _BODY_TARGET_SUBSET.items():
    method, url = BAD_BODY_TARGETS[target]
    for body_name in body_names:
        add(
            Case(
                f"badjson-{target}-{body_name}",
                method,
                url,
                BAD_BODIES[body_name],
                {"Content-Type": "application/json"},
                400,
                "InvalidBodyContent",
            )
        )

# JSON that is valid but not an object, where the request would otherwise succeed or create
for label, raw in {"array": b"[]", "string": b'"x"', "number": b"42", "true": b"true"}.items():
    add(Case(f"nonobject-create-registry-{label}", "POST", f"{BASE}/registries", raw))
    add(Case(f"nonobject-put-credential-{label}", "PUT", "{cred_active}", raw, expect=ANY))
add(Case("null-body-create-registry", "POST", f"{BASE}/registries", b"null"))
add(Case("whitespace-body-create-registry", "POST", f"{BASE}/registries", b"   \n\t "))

# ---- wrong JSON types in every writable field of every type ---------------------------------

WRONG_TYPES: dict[str, Any] = {
    "object": {"a": 1},
    "empty-object": {},
    "list": ["x"],
    "empty-list": [],
    "nested": [{"a": [1, {"b": None}]}],
}
CRED_BASE = {
    "registryId": "{reg_active_id}",
    "email": "x@example.com",
    "publicValue": "u",
    "secretValue": "s",
}
for type_name, wrong in WRONG_TYPES.items():
    for fld in ["serverAddress", "name", "description"]:
        payload = {"serverAddress": "fresh.example.com", fld: wrong}
        add(
            Case(
                f"type-create-registry-{fld}-{type_name}",
                "POST",
                f"{BASE}/registries",
                js(payload),
                expect=422,
                code="InvalidFormat",
                field_name=fld,
            )
        )
    for fld in ["email", "publicValue", "secretValue", "name", "description"]:
        add(
            Case(
                f"type-create-credential-{fld}-{type_name}",
                "POST",
                f"{BASE}/registrycredentials",
                js({**CRED_BASE, fld: wrong}),
                expect=422,
                code="InvalidFormat",
                field_name=fld,
            )
        )
    add(
        Case(
            f"type-create-credential-registryId-{type_name}",
            "POST",
            f"{BASE}/registrycredentials",
            js({**CRED_BASE, "registryId": wrong}),
            expect=422,
            field_name="registryId",
        )
    )
    for fld in ["name", "description"]:
        add(
            Case(
                f"type-create-token-{fld}-{type_name}",
                "POST",
                f"{BASE}/registrationtokens",
                js({fld: wrong}),
                expect=422,
                code="InvalidFormat",
                field_name=fld,
            )
        )
for type_name in ["object", "list"]:
    wrong = WRONG_TYPES[type_name]
    for fld in ["email", "publicValue", "secretValue", "name", "description"]:
        for label in ["cred_active", "cred_removed", "cred_deactivating"]:
            add(
                Case(
                    f"type-put-{label}-{fld}-{type_name}",
                    "PUT",
                    "{" + label + "}",
                    js({fld: wrong}),
                    expect=422,
                    code="InvalidFormat",
                    field_name=fld,
                )
            )
    for fld in ["name", "description"]:
        for label in ["reg_active", "reg_registering", "reg_purged"]:
            add(
                Case(
                    f"type-put-{label}-{fld}-{type_name}",
                    "PUT",
                    "{" + label + "}",
                    js({fld: wrong}),
                    expect=422,
                    code="InvalidFormat",
                    field_name=fld,
                )
            )
    # a non-updatable field with a wrong type is dropped, whatever else happens
    add(
        Case(
            f"type-put-registryId-{type_name}",
            "PUT",
            "{cred_inactive}",
            js({"registryId": wrong}),
            expect=ANY,
        )
    )
    add(
        Case(
            f"type-put-serverAddress-{type_name}",
            "PUT",
            "{reg_inactive}",
            js({"serverAddress": wrong}),
            expect=ANY,
        )
    )

# ---- over-long strings, missing / null / empty required fields -----------------------------

LONG = {"name": 256, "description": 1025, "publicValue": 4097, "secretValue": 4097}
for fld, length in LONG.items():
    add(
        Case(
            f"long-create-credential-{fld}",
            "POST",
            f"{BASE}/registrycredentials",
            js({**CRED_BASE, fld: "x" * length}),
            expect=422,
            code="MaxLengthExceeded",
            field_name=fld,
        )
    )
    add(
        Case(
            f"long-put-credential-{fld}",
            "PUT",
            "{cred_inactive}",
            js({fld: "y" * length}),
            expect=422,
            code="MaxLengthExceeded",
            field_name=fld,
        )
    )
for fld in ["name", "description"]:
    length = LONG[fld]
    add(
        Case(
            f"long-create-registry-{fld}",
            "POST",
            f"{BASE}/registries",
            js({"serverAddress": "fresh.example.com", fld: "r" * length}),
            expect=422,
            code="MaxLengthExceeded",
            field_name=fld,
        )
    )
    add(
        Case(
            f"long-create-token-{fld}",
            "POST",
            f"{BASE}/registrationtokens",
            js({fld: "t" * length}),
            expect=422,
            code="MaxLengthExceeded",
            field_name=fld,
        )
    )
    add(
        Case(
            f"long-put-registry-{fld}",
            "PUT",
            "{reg_active}",
            js({fld: "p" * length}),
            expect=422,
            code="MaxLengthExceeded",
            field_name=fld,
        )
    )
add(
    Case(
        "long-megabyte-name",
        "PUT",
        "{cred_active}",
        js({"name": "m" * 1_000_000}),
        expect=422,
        code="MaxLengthExceeded",
        field_name="name",
    ),
    Case(
        "long-emoji-name",
        "POST",
        f"{BASE}/registrationtokens",
        js({"name": "\U0001f600" * 256}),
        expect=422,
        code="MaxLengthExceeded",
        field_name="name",
    ),
    Case(
        "many-unknown-keys-no-address",
        "POST",
        f"{BASE}/registries",
        js({f"k{i}": i for i in range(5000)}),
        expect=422,
        code="MissingRequired",
        field_name="serverAddress",
    ),
)
REQUIRED_CASES: list[tuple[str, str, dict[str, Any], str, str]] = [
    ("registries", "empty", {}, "MissingRequired", "serverAddress"),
    ("registries", "null-address", {"serverAddress": None}, "NotNullable", "serverAddress"),
    ("registries", "empty-address", {"serverAddress": ""}, "MinLengthExceeded", "serverAddress"),
    ("registries", "unicode-no-address", {"name": "日本語"}, "MissingRequired", "serverAddress"),
    ("registrycredentials", "empty", {"email": "a@b.c"}, "MissingRequired", "registryId"),
    (
        "registrycredentials",
        "no-email",
        {"registryId": "{reg_active_id}"},
        "MissingRequired",
        "email",
    ),
    (
        "registrycredentials",
        "null-email",
        {**CRED_BASE, "email": None},
        "NotNullable",
        "email",
    ),
    (
        "registrycredentials",
        "empty-email",
        {**CRED_BASE, "email": ""},
        "MinLengthExceeded",
        "email",
    ),
    (
        "registrycredentials",
        "null-registry",
        {**CRED_BASE, "registryId": None},
        "NotNullable",
        "registryId",
    ),
]
for collection, label, payload, code, fld in REQUIRED_CASES:
    add(
        Case(
            f"required-{collection}-{label}",
            "POST",
            f"{BASE}/{collection}",
            js(payload),
            expect=422,
            code=code,
            field_name=fld,
        )
    )
for label in ["cred_active", "cred_removed"]:
    add(
        Case(
            f"put-null-email-{label}",
            "PUT",
            "{" + label + "}",
            js({"email": None}),
            expect=422,
            code="NotNullable",
            field_name="email",
        ),
        Case(
            f"put-empty-email-{label}",
            "PUT",
            "{" + label + "}",
            js({"email": ""}),
            expect=422,
            code="MinLengthExceeded",
            field_name="email",
        ),
    )
for bad_ref in ["1sp99999", "abc", "1sp0", "1sp-1", "1sp1.5", "", "%00", "1sp99999999999999999999"]:
    add(
        Case(
            f"bad-registry-id-{bad_ref or 'empty'}",
            "POST",
            f"{BASE}/registrycredentials",
            js({**CRED_BASE, "registryId": bad_ref}),
            expect=422,
            field_name="registryId",
        )
    )
for address in ["QUAY.IO", "quay.io", "Docker.IO", "PENDING.example.com"]:
    add(
        Case(
            f"duplicate-address-{address}",
            "POST",
            f"{BASE}/registries",
            js({"serverAddress": address}),
            expect=400,
            code="ServerAddressUsed",
        )
    )

# ---- unknown types and weird ids ------------------------------------------------------------

for path in [
    "/foos",
    "/foos/1f1",
    "/registry-credentials",
    "/registrycredentialz",
    "/régistries",
    "/%00",
    "/" + "a" * 7_000,
    "/registries/1sp1/" + "x/" * 2_000,
    "/registries/1sp" + "9" * 5_000,
]:
    add(Case(f"unknown-get-{path[:30]}", "GET", f"{BASE}{path}", expect=404, code="Not Found"))
# Past the 16 KiB request-header buffer Cattle gives Jetty: refused before any routing.
add(Case("uri-too-long", "GET", f"{BASE}/" + "a" * 17_000, expect=414, code="URI Too Long"))
add(
    Case("unknown-post", "POST", f"{BASE}/foos", js({}), expect=404, code="Not Found"),
    Case("unknown-put", "PUT", f"{BASE}/foos/1f1", js({}), expect=404, code="Not Found"),
    Case("unknown-delete", "DELETE", f"{BASE}/foos/1f1", expect=404, code="Not Found"),
)
WEIRD_IDS = [
    "1",
    "15",
    "abc",
    "%00",
    "1c0",
    "1c-1",
    "1c1.5",
    "1c1e3",
    "1c0x1",
    "1c99999999999999999999999999",
    "1c%20",
    "%2e%2e",
    "1c1%00",
    "9c9",
]
for weird in WEIRD_IDS:
    for collection in ["registrycredentials", "registrationtokens"]:
        add(
            Case(
                f"weird-get-{collection}-{weird}",
                "GET",
                f"{BASE}/{collection}/{weird}",
                expect=404,
                code="Not Found",
            )
        )
    add(
        Case(
            f"weird-delete-{weird}",
            "DELETE",
            f"{BASE}/registrycredentials/{weird}",
            expect=404,
            code="Not Found",
        ),
        Case(
            f"weird-put-{weird}",
            "PUT",
            f"{BASE}/registries/{weird}",
            js({"name": "w"}),
            expect=404,
            code="Not Found",
        ),
        Case(
            f"weird-action-{weird}",
            "POST",
            f"{BASE}/registries/{weird}/?action=deactivate",
            expect=404,
            code="Not Found",
        ),
    )
# upper-case prefix of a real id: the spec strips lower-case letters only
add(
    Case("upper-prefix-get", "GET", f"{BASE}/registrycredentials/1C{{cred_inactive_n}}"),
    Case("upper-prefix-delete", "DELETE", f"{BASE}/registrycredentials/1C{{cred_inactive_n}}"),
    Case("upper-prefix-put", "PUT", f"{BASE}/registries/1SP{{reg_inactive_n}}", js({"name": "u"})),
    # a token is not a registryCredential, nor the reverse
    Case("cross-kind-delete", "DELETE", f"{BASE}/registrycredentials/{{tok_inactive_id}}"),
    Case(
        "cross-kind-put", "PUT", f"{BASE}/registrycredentials/{{tok_active_id}}", js({"name": "x"})
    ),
    Case(
        "cross-kind-action",
        "POST",
        f"{BASE}/registrationtokens/{{cred_active_id}}/?action=deactivate",
    ),
    Case("unknown-link", "GET", "{cred_active}/nosuchlink", expect=404, code="Not Found"),
    Case(
        "link-of-unknown",
        "GET",
        f"{BASE}/registrycredentials/1c99999/registry",
        expect=404,
        code="Not Found",
    ),
)

# ---- wrong methods and method overrides ------------------------------------------------------

for method in ["PATCH", "OPTIONS", "TRACE", "PUT", "DELETE", "HEAD"]:
    for collection in COLLECTIONS:
        add(
            Case(
                f"method-{method}-{collection}",
                method,
                f"{BASE}/{collection}",
                js({}),
                expect=405,
                code="Method not allowed",
            )
        )
for method in ["PATCH", "OPTIONS"]:
    for label in ["reg_active", "cred_inactive", "tok_active", "cred_removed"]:
        add(
            Case(
                f"method-{method}-{label}",
                method,
                "{" + label + "}",
                js({"name": "p"}),
                expect=405,
                code="Method not allowed",
            )
        )
for label in ["reg_active", "cred_active", "tok_inactive", "reg_removed"]:
    add(
        Case(
            f"post-resource-{label}",
            "POST",
            "{" + label + "}",
            js({"name": "x"}),
            expect=405,
            code="Method not allowed",
        )
    )
for label in ["tok_active", "tok_inactive", "tok_removed", "tok_registering"]:
    add(
        Case(
            f"token-put-{label}",
            "PUT",
            "{" + label + "}",
            js({"name": "x"}),
            expect=405,
            code="Method not allowed",
        ),
        Case(
            f"token-delete-{label}",
            "DELETE",
            "{" + label + "}",
            expect=405,
            code="Method not allowed",
        ),
    )
for label in ["reg_active", "cred_active", "cred_deactivating", "reg_purged"]:
    add(
        Case(
            f"delete-not-removable-{label}",
            "DELETE",
            "{" + label + "}",
            expect=405,
            code="Method not allowed",
        )
    )
add(
    Case(
        "override-patch-get",
        "GET",
        "{reg_active}?_method=PATCH",
        expect=405,
        code="Method not allowed",
    ),
    Case(
        "override-patch-post",
        "POST",
        f"{BASE}/registries?_method=PATCH",
        js({"serverAddress": "patched.example.com"}),
        expect=405,
        code="Method not allowed",
    ),
    Case(
        "override-delete-active",
        "GET",
        "{cred_active}?_method=DELETE",
        expect=405,
        code="Method not allowed",
    ),
    Case(
        "override-delete-token",
        "POST",
        "{tok_inactive}?_method=DELETE",
        expect=405,
        code="Method not allowed",
    ),
    Case(
        "override-delete-collection",
        "GET",
        f"{BASE}/registries?_method=DELETE",
        expect=405,
        code="Method not allowed",
    ),
    Case(
        "override-put-collection",
        "POST",
        f"{BASE}/registries?_method=PUT",
        js({}),
        expect=405,
        code="Method not allowed",
    ),
    Case(
        "override-trace",
        "GET",
        "{cred_active}?_method=TRACE",
        expect=405,
        code="Method not allowed",
    ),
    # overriding a create into a read must not create anything
    Case(
        "override-get-create", "POST", f"{BASE}/registrationtokens?_method=GET", js({}), expect=200
    ),
    Case(
        "override-get-create-registry",
        "POST",
        f"{BASE}/registries?_method=GET",
        js({"serverAddress": "not-created.example.com"}),
        expect=200,
    ),
)

# ---- actions ----------------------------------------------------------------------------------

for label, name, code in [
    ("cred_active", "bogus", "InvalidAction"),
    ("cred_active", "restore", "InvalidAction"),
    ("tok_active", "delete", "InvalidAction"),
    ("reg_active", "restore", "ActionNotAvailable"),
    ("reg_active", "activate", "ActionNotAvailable"),
    ("reg_active", "remove", "ActionNotAvailable"),
    ("reg_active", "purge", "ActionNotAvailable"),
    ("cred_active", "create", "ActionNotAvailable"),
    ("cred_inactive", "deactivate", "ActionNotAvailable"),
    ("cred_inactive", "purge", "ActionNotAvailable"),
    ("cred_removed", "activate", "ActionNotAvailable"),
    ("cred_removed", "update", "ActionNotAvailable"),
    ("reg_purged", "purge", "ActionNotAvailable"),
    ("reg_purged", "remove", "ActionNotAvailable"),
    ("cred_deactivating", "activate", "ActionNotAvailable"),
    ("cred_deactivating", "remove", "ActionNotAvailable"),
    ("cred_deactivating", "deactivate", "ActionNotAvailable"),
    ("tok_removed", "deactivate", "ActionNotAvailable"),
    ("tok_active", "remove", "ActionNotAvailable"),
]:
    add(
        Case(
            f"action-{label}-{name}",
            "POST",
            "{" + label + "}/?action=" + name,
            js({}),
            expect=422,
            code=code,
            field_name="action",
        )
    )
add(
    Case("action-empty-name", "POST", "{cred_active}/?action=", js({})),
    Case(
        "action-unicode-name",
        "POST",
        "{cred_active}/?action=d%C3%A9activate",
        js({}),
        expect=422,
        code="InvalidAction",
    ),
    Case("action-on-collection", "POST", f"{BASE}/registrationtokens?action=deactivate", js({})),
    Case("action-bogus-on-collection", "POST", f"{BASE}/registrationtokens?action=bogus", js({})),
    Case("action-via-get", "GET", "{cred_active}/?action=deactivate", expect=200),
    Case("action-via-get-remove", "GET", "{reg_inactive}/?action=remove", expect=200),
    Case("action-via-put", "PUT", "{cred_active}/?action=deactivate", js({}), expect=ANY),
    Case(
        "action-via-delete-on-active",
        "DELETE",
        "{cred_active}/?action=deactivate",
        expect=405,
        code="Method not allowed",
    ),
)

# ---- bad query modifiers and values (filters that don't apply are ignored) -----------------

QUERIES = [
    "limit=abc",
    "limit=-5",
    "limit=0",
    "limit=1.5",
    "limit=",
    "limit=99999999999999999999999999",
    "marker=zzz",
    "marker=m-1",
    "marker=mabc",
    "marker=m99999",
    "marker=",
    "sort=nonexistent",
    "sort=",
    "sort=email",
    "sort=name&order=sideways",
    "order=sideways",
    "order=",
    "created_gt=notadate",
    "created_lt=",
    "removed_lte=2024-99-99T99:99:99Z",
    "id_gt=abc",
    "id=garbage",
    "registryId=garbage",
    "registryId_ne=",
    "state_bogus=x",
    "name_like=%25",
    "name_like=%25%25___",
    "name=%00",
    "name_prefix=%E6%97%A5%E6%9C%AC",
    "name_notlike=",
    "name_null=whatever",
    "transitioning=yes",
    "email=x",
    "serverAddress=quay.io",
    "secretValue_like=%25",
    "include=nonexistent",
    "include=",
    "include=registry&include=account",
    "_removed",
    "foo=bar&&&==&",
    "name=" + "q" * 100_000,
    "%ff%fe=%ff",
    "name_eq=a&name_eq=b&name_ne=c",
]
for i, query in enumerate(QUERIES):
    collection = COLLECTIONS[i % 3]
    add(Case(f"query-{collection}-{query[:40]}", "GET", f"{BASE}/{collection}?{query}", expect=ANY))
for query in ["include=nonexistent", "limit=abc", "_removed=1", "projectId=1a5"]:
    add(Case(f"query-by-id-{query}", "GET", "{cred_removed}?" + query, expect=ANY))
add(Case("query-link", "GET", "{reg_active}/credentials?limit=abc&sort=zzz", expect=ANY))

# ---- projects -------------------------------------------------------------------------------

add(
    Case(
        "project-unknown-list",
        "GET",
        f"{BASE}/projects/1a999/registries",
        expect=403,
        code="Forbidden",
    ),
    Case(
        "project-garbage-list",
        "GET",
        f"{BASE}/projects/garbage/registrycredentials",
        expect=403,
        code="Forbidden",
    ),
    Case(
        "project-unknown-create",
        "POST",
        f"{BASE}/projects/1a999/registrationtokens",
        js({}),
        expect=403,
        code="Forbidden",
    ),
    Case(
        "project-unknown-put",
        "PUT",
        f"{BASE}/projects/1a999/registrycredentials/{{cred_active_id}}",
        js({"name": "p"}),
        expect=403,
        code="Forbidden",
    ),
    Case(
        "project-unknown-delete",
        "DELETE",
        f"{BASE}/projects/1a999/registrycredentials/{{cred_inactive_id}}",
        expect=403,
        code="Forbidden",
    ),
    Case(
        "project-unknown-action",
        "POST",
        f"{BASE}/projects/1a999/registrycredentials/{{cred_active_id}}/?action=deactivate",
        expect=403,
        code="Forbidden",
    ),
    Case(
        "project-header-unknown",
        "POST",
        f"{BASE}/registrationtokens",
        js({}),
        {"X-API-Project-Id": "1a999"},
        expect=403,
        code="Forbidden",
    ),
    Case(
        "project-header-garbage",
        "DELETE",
        "{reg_inactive}",
        headers={"X-API-Project-Id": "\u00e9\u00e9"},
        expect=403,
        code="Forbidden",
    ),
    Case(
        "project-query-unknown",
        "POST",
        f"{BASE}/registrationtokens?projectId=1a999",
        js({}),
        expect=403,
        code="Forbidden",
    ),
    Case(
        "project-query-garbage",
        "GET",
        f"{BASE}/registries?projectId=%00",
        expect=403,
        code="Forbidden",
    ),
)


# --------------------------------------------------------------------------- running a case


def fill(template: str, ctx: dict[str, str]) -> str:
    for key in sorted(ctx, key=len, reverse=True):
        template = template.replace("{" + key + "}", ctx[key])
    return template


def fill_bytes(data: bytes, ctx: dict[str, str]) -> bytes:
    for key in sorted(ctx, key=len, reverse=True):
        data = data.replace(("{" + key + "}").encode(), ctx[key].encode())
    return data


def check_error_document(response: Any, case: Case) -> None:
    assert response.headers.get("X-API-Schemas"), "no X-API-Schemas header"
    raw = response.get_data()
    if case.method == "HEAD" and not raw:
        return
    assert response.mimetype == "application/json", response.mimetype
    doc = json.loads(raw)
    assert doc["type"] == "error", doc
    assert doc["baseType"] == "error", doc
    assert doc["status"] == response.status_code, doc
    assert isinstance(doc["code"], str) and doc["code"], doc
    assert isinstance(doc["id"], str) and doc["id"], doc
    assert doc["links"] == {}, doc
    assert doc["actions"] == {}, doc
    assert "message" in doc and "detail" in doc, doc
    if case.code is not None:
        assert doc["code"] == case.code, doc
    if case.field_name is not None:
        assert doc.get("fieldName") == case.field_name, doc


@pytest.mark.parametrize("case", CORPUS, ids=[case.name for case in CORPUS])
def test_malformed_request(populated: Store, case: Case) -> None:
    api, ctx = populated.api, populated.ctx
    url = fill(case.url, ctx)
    data = fill_bytes(case.data, ctx) if case.data is not None else None
    response = api.open(url, method=case.method, data=data, headers=case.headers)
    status = response.status_code
    problems = []
    if status >= 500:
        problems.append(f"5xx: {status} {response.get_data(as_text=True)[:500]}")
    elif case.expect == FOURXX and not 400 <= status < 500:
        problems.append(f"expected a 4xx, got {status}")
    elif case.expect == ANY and not (200 <= status < 300 or 400 <= status < 500):
        problems.append(f"expected 2xx/4xx, got {status}")
    elif isinstance(case.expect, int) and status != case.expect:
        problems.append(f"expected {case.expect}, got {status}: {response.get_data()[:300]!r}")
    if not problems and 400 <= status < 500:
        try:
            check_error_document(response, case)
        except (AssertionError, ValueError, KeyError) as exc:
            problems.append(f"bad error document: {exc}")
    if not problems and 200 <= status < 300 and case.method != "HEAD":
        try:
            json.loads(response.get_data())
        except ValueError as exc:
            problems.append(f"2xx without JSON: {exc}")

    after = populated.dump()
    if after != populated.baseline:
        populated.dirty = True
        changed = sorted(
            key
            for key in set(after["by_id"]) | set(populated.baseline["by_id"])
            if after["by_id"].get(key) != populated.baseline["by_id"].get(key)
        )
        problems.append(f"store changed: {changed or 'list metadata'}")
    assert not problems, problems


def test_corpus_is_big_enough() -> None:
    assert len(CORPUS) >= 150
    assert len({case.name for case in CORPUS}) == len(CORPUS)


def test_store_unchanged_after_whole_corpus() -> None:
    """Fire the entire corpus at one store, then compare one dump before and after."""
    with freeze_time("2024-06-01 08:00:00") as frozen:
        holder = Store(frozen)
        holder.build()
        for case in CORPUS:
            url = fill(case.url, holder.ctx)
            data = fill_bytes(case.data, holder.ctx) if case.data is not None else None
            response = holder.api.open(url, method=case.method, data=data, headers=case.headers)
            assert response.status_code < 500, (case.name, response.status_code)
        assert holder.dump() == holder.baseline
