"""Black-box tests of collections (spec §3.7, §6.3): the collection document, filters and their
modifiers, sort, pagination, include, `_removed`, type names in URLs and link collections."""

from __future__ import annotations

import calendar
import itertools
import re
import time
from typing import Any

import pytest
from freezegun import freeze_time
from helpers import action, create, create_credential, create_registry, create_token, settled
from werkzeug.test import Client

BASE = "http://localhost/v1"

DOCUMENT_KEYS = [
    "type",
    "resourceType",
    "links",
    "createTypes",
    "actions",
    "data",
    "sortLinks",
    "pagination",
    "sort",
    "filters",
    "createDefaults",
]

# collectionFilters of the live v1 dumps (§6.5).
CREDENTIAL_FILTERS = [
    "accountId",
    "created",
    "description",
    "id",
    "kind",
    "name",
    "publicValue",
    "registryId",
    "removeTime",
    "removed",
    "secretValue",
    "state",
    "uuid",
]
REGISTRY_FILTERS = [
    "accountId",
    "agentId",
    "created",
    "description",
    "driverName",
    "external",
    "externalId",
    "id",
    "kind",
    "name",
    "physicalTotalSizeMb",
    "removeTime",
    "removed",
    "state",
    "uuid",
    "virtualTotalSizeMb",
    "volumeAccessMode",
    "zoneId",
]

_addresses = itertools.count(1)


# --------------------------------------------------------------------------- helpers


def get_doc(api: Client, url: str, query: str = "") -> dict[str, Any]:
    response = api.get(f"{url}?{query}" if query else url)
    assert response.status_code == 200, response.get_data(as_text=True)
    doc: dict[str, Any] = response.get_json()
    return doc


def listing(api: Client, collection: str, query: str = "") -> dict[str, Any]:
    doc = get_doc(api, f"{BASE}/{collection}", query)
    assert doc["type"] == "collection"
    return doc


def ids(doc: dict[str, Any]) -> list[str]:
    return [item["id"] for item in doc["data"]]


def registry(api: Client, **fields: Any) -> dict[str, Any]:
    return create_registry(api, f"reg-{next(_addresses)}.example.com", **fields)


def remove(api: Client, doc: dict[str, Any]) -> dict[str, Any]:
    """Deactivate, then remove (tokens have no DELETE); the resource ends `removed`."""
    inactive = settled(api, action(api, doc, "deactivate"))
    assert inactive["state"] == "inactive"
    removed = settled(api, action(api, inactive, "remove"))
    assert removed["state"] == "removed"
    return removed


def purge(api: Client, doc: dict[str, Any]) -> dict[str, Any]:
    purged = settled(api, action(api, remove(api, doc), "purge"))
    assert purged["state"] == "purged"
    return purged


def schema_filters(api: Client, type_name: str) -> list[str]:
    schema = get_doc(api, f"{BASE}/schemas/{type_name}")
    return sorted(schema["collectionFilters"])


def iso_to_ms(text: str) -> int:
    return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ")) * 1000


def db_id(resource_id: str) -> int:
    return int(re.sub(r"^1[a-z]+", "", resource_id))


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def named(api: Client) -> dict[str | None, str]:
    """Registries named alpha, Alpha2, beta and one without a name: name -> id."""
    out: dict[str | None, str] = {}
    for name in ["alpha", "Alpha2", "beta", None]:
        fields = {} if name is None else {"name": name}
        out[name] = registry(api, **fields)["id"]
    return out


@pytest.fixture
def two_registries(api: Client) -> tuple[dict[str, Any], dict[str, Any], list[str], list[str]]:
    """Two registries with two and one credentials: (reg1, reg2, reg1 cred ids, reg2 cred ids)."""
    first, second = registry(api), registry(api)
    first_creds = [
        create_credential(api, first["id"], name="one", publicValue="robot-a")["id"],
        create_credential(api, first["id"], name="two", secretValue="s3cret")["id"],
    ]
    second_creds = [create_credential(api, second["id"], name="three")["id"]]
    return first, second, first_creds, second_creds


# --------------------------------------------------------------------------- the document


def test_credential_collection_matches_spec_example(api: Client) -> None:
    """§6.3: GET /v1/registrycredentials?limit=1, key by key (host http://localhost)."""
    reg = registry(api)
    first = create_credential(api, reg["id"])
    create_credential(api, reg["id"])
    doc = listing(api, "registrycredentials", "limit=1")
    assert list(doc) == DOCUMENT_KEYS
    url = f"{BASE}/registrycredentials"
    assert doc["type"] == "collection"
    assert doc["resourceType"] == "registryCredential"
    assert doc["links"] == {"self": url}
    assert doc["createTypes"] == {}
    assert doc["actions"] == {}
    assert doc["data"] == [settled(api, first)]
    assert doc["sortLinks"] == {name: f"{url}?limit=1&sort={name}" for name in CREDENTIAL_FILTERS}
    assert list(doc["sortLinks"]) == CREDENTIAL_FILTERS
    assert doc["pagination"] == {
        "first": None,
        "previous": None,
        "next": f"{url}?limit=1&marker=m1",
        "limit": 1,
        "total": None,
        "partial": True,
    }
    assert doc["sort"] is None
    assert doc["filters"] == dict.fromkeys(CREDENTIAL_FILTERS)
    assert list(doc["filters"]) == CREDENTIAL_FILTERS
    assert doc["createDefaults"] == {}


def test_credential_collection_spec_example_with_filter_and_sort(api: Client) -> None:
    """§6.3: `?registryId=<id>&sort=name&order=desc` echoes the DB id and a reverse link."""
    reg = registry(api)
    cred = create_credential(api, reg["id"])
    db_id = reg["id"].removeprefix("1sp")
    query = f"registryId={reg['id']}&sort=name&order=desc"
    doc = listing(api, "registrycredentials", query)
    assert ids(doc) == [cred["id"]]
    assert doc["filters"] == {
        **dict.fromkeys(CREDENTIAL_FILTERS),
        "registryId": [{"modifier": "eq", "value": db_id}],
    }
    assert doc["sort"] == {
        "name": "name",
        "order": "desc",
        "reverse": f"{BASE}/registrycredentials?registryId={reg['id']}&sort=name&order=asc",
    }


@pytest.mark.parametrize(
    ("collection", "schema", "resource_type", "filters"),
    [
        ("registrycredentials", "registrycredential", "registryCredential", CREDENTIAL_FILTERS),
        ("registrationtokens", "registrationtoken", "registrationToken", CREDENTIAL_FILTERS),
        ("registries", "registry", "registry", REGISTRY_FILTERS),
    ],
)
def test_collection_document_shape(
    api: Client, collection: str, schema: str, resource_type: str, filters: list[str] | None
) -> None:
    """Every collectionFilters key appears in `filters` (null) and `sortLinks`, sorted."""
    reg = registry(api)
    create_credential(api, reg["id"])
    create_token(api)
    expected = filters if filters is not None else schema_filters(api, schema)
    assert expected == schema_filters(api, schema)
    url = f"{BASE}/{collection}"
    doc = listing(api, collection)
    assert list(doc) == DOCUMENT_KEYS
    assert doc["resourceType"] == resource_type
    assert doc["links"] == {"self": url}
    assert doc["createTypes"] == {}
    assert doc["actions"] == {}
    assert doc["createDefaults"] == {}
    assert len(doc["data"]) == 1
    assert {item["type"] for item in doc["data"]} == {resource_type}
    assert doc["sortLinks"] == {name: f"{url}?sort={name}" for name in expected}
    assert list(doc["sortLinks"]) == expected
    assert doc["filters"] == dict.fromkeys(expected)
    assert list(doc["filters"]) == expected
    assert doc["sort"] is None
    assert doc["pagination"] == {
        "first": None,
        "previous": None,
        "next": None,
        "limit": 100,
        "total": None,
        "partial": False,
    }


def test_project_collection_lists_the_default_project(api: Client) -> None:
    doc = listing(api, "projects")
    assert ids(doc) == ["1a5"]
    assert doc["data"][0]["name"] == "Default"
    # Cattle's project list honours only id, uuid and name (in any case): no filters, sort or
    # pagination (ProjectResourceManager; test_project_no_filters_and_sort).
    assert (doc["sortLinks"], doc["filters"], doc["sort"], doc["pagination"]) == (
        {},
        {},
        None,
        None,
    )
    assert ids(listing(api, "projects", "name=DEFAULT")) == ["1a5"]
    assert ids(listing(api, "projects", "uuid=adminProject")) == ["1a5"]
    assert ids(listing(api, "projects", "id=1a5")) == ["1a5"]
    assert ids(listing(api, "projects", "name=Other")) == []
    assert ids(listing(api, "projects", "name_ne=Default&sort=name&limit=0")) == ["1a5"]


def test_empty_collection(api: Client) -> None:
    doc = listing(api, "registrycredentials")
    assert doc["data"] == []
    assert doc["pagination"]["next"] is None
    assert doc["pagination"]["partial"] is False


def test_project_scoped_collection_links_keep_the_project_path(api: Client) -> None:
    reg = registry(api)
    create_credential(api, reg["id"])
    create_credential(api, reg["id"])
    url = f"{BASE}/projects/1a5/registrycredentials"
    doc = get_doc(api, url, "limit=1")
    assert doc["links"] == {"self": url}
    assert doc["pagination"]["next"] == f"{url}?limit=1&marker=m1"
    assert doc["sortLinks"]["name"] == f"{url}?limit=1&sort=name"
    assert doc["data"][0]["links"]["self"].startswith(f"{url}/")


# --------------------------------------------------------------------------- type names


@pytest.mark.parametrize(
    ("path", "resource_type", "plural"),
    [
        ("REGISTRY", "registry", "registries"),
        ("registry", "registry", "registries"),
        ("Registries", "registry", "registries"),
        ("registryCredential", "registryCredential", "registrycredentials"),
        ("registrycredential", "registryCredential", "registrycredentials"),
        ("registrycredentials", "registryCredential", "registrycredentials"),
        ("REGISTRYCREDENTIALS", "registryCredential", "registrycredentials"),
        ("RegistrationToken", "registrationToken", "registrationtokens"),
        ("registrationTokens", "registrationToken", "registrationtokens"),
        ("PROJECTMEMBER", "projectMember", "projectmembers"),
        ("Accounts", "account", "accounts"),
    ],
)
def test_type_names_in_any_case_singular_or_plural(
    api: Client, path: str, resource_type: str, plural: str
) -> None:
    reg = registry(api)
    create_credential(api, reg["id"])
    create_token(api)
    url = f"{BASE}/{path}"
    doc = get_doc(api, url, "limit=1")
    assert doc["resourceType"] == resource_type
    assert len(doc["data"]) == 1
    item = doc["data"][0]
    assert item["type"] == resource_type
    # Resource URLs are emitted lower-case plural ...
    assert item["links"]["self"] == f"{BASE}/{plural}/{item['id']}"
    for name, link in item["links"].items():
        if name != "registrationUrl":  # keeps the token's case (§2.5)
            assert link == link.lower(), name
    for link in item["actions"].values():
        assert link.startswith(f"{BASE}/{plural}/{item['id']}/?action=")
    # ... while self, sort and pagination links are the request URL (§3.1 `current()`).
    assert doc["links"] == {"self": url}
    assert doc["sortLinks"]["id"] == f"{url}?limit=1&sort=id"


def test_unknown_type_is_not_found(api: Client) -> None:
    assert api.get(f"{BASE}/registrys").status_code == 404


# --------------------------------------------------------------------------- string filters


@pytest.mark.parametrize(
    ("query", "expected", "echo"),
    [
        ("name=alpha", {"alpha"}, ("eq", "alpha")),
        ("name=ALPHA", {"alpha"}, ("eq", "ALPHA")),
        ("name_eq=beta", {"beta"}, ("eq", "beta")),
        ("name_ne=alpha", {"Alpha2", "beta"}, ("ne", "alpha")),
        ("name_prefix=al", {"alpha", "Alpha2"}, ("prefix", "al")),
        ("name_prefix=AL", {"alpha", "Alpha2"}, ("prefix", "AL")),
        ("name_prefix=lph", set(), ("prefix", "lph")),
        ("name_like=%25ph%25", {"alpha", "Alpha2"}, ("like", "%ph%")),
        ("name_like=bet_", {"beta"}, ("like", "bet_")),
        ("name_like=be", set(), ("like", "be")),
        ("name_notlike=al%25", {"beta"}, ("notlike", "al%")),
        ("name_null=1", {None}, ("null", None)),
        ("name_null=", {None}, ("null", None)),
        ("name_notnull=1", {"alpha", "Alpha2", "beta"}, ("notnull", None)),
        # lt/lte/gt/gte are not modifiers of string fields: ignored
        ("name_lt=b", {"alpha", "Alpha2", "beta", None}, None),
        ("name_gte=b", {"alpha", "Alpha2", "beta", None}, None),
    ],
)
def test_string_filter_modifiers(
    api: Client,
    named: dict[str | None, str],
    query: str,
    expected: set[str | None],
    echo: tuple[str, str | None] | None,
) -> None:
    by_id = {v: k for k, v in named.items()}
    doc = listing(api, "registries", query)
    assert {by_id[i] for i in ids(doc)} == expected
    assert ids(doc) == sorted(ids(doc), key=lambda i: db_id(i))
    if echo is None:
        assert doc["filters"]["name"] is None
    else:
        (entry,) = doc["filters"]["name"]
        assert entry["modifier"] == echo[0]
        if echo[1] is not None:
            assert entry["value"] == echo[1]
    others = {k: v for k, v in doc["filters"].items() if k != "name"}
    assert others == dict.fromkeys(others)


def test_description_and_public_value_filters(api: Client) -> None:
    reg = registry(api)
    a = create_credential(api, reg["id"], description="Production pull", publicValue="bot-a")
    b = create_credential(api, reg["id"], description="staging", publicValue="bot-b")
    c = create_credential(api, reg["id"], publicValue="human")
    assert ids(listing(api, "registrycredentials", "description_prefix=prod")) == [a["id"]]
    assert ids(listing(api, "registrycredentials", "description_null=1")) == [c["id"]]
    assert ids(listing(api, "registrycredentials", "publicValue_prefix=bot-")) == [
        a["id"],
        b["id"],
    ]
    assert ids(listing(api, "registrycredentials", "publicValue_notlike=bot%25")) == [c["id"]]


def test_secret_value_is_filterable_though_never_shown(api: Client) -> None:
    """§2.4 quirk: secretValue stays in collectionFilters."""
    reg = registry(api)
    hit = create_credential(api, reg["id"], secretValue="open-sesame")
    create_credential(api, reg["id"], secretValue="other")
    doc = listing(api, "registrycredentials", "secretValue=open-sesame")
    assert ids(doc) == [hit["id"]]
    assert doc["data"][0]["secretValue"] is None
    assert ids(listing(api, "registrycredentials", "secretValue_prefix=open")) == [hit["id"]]


def test_kind_and_uuid_filters(api: Client, named: dict[str | None, str]) -> None:
    everything = list(named.values())
    assert ids(listing(api, "registries", "kind=registry")) == everything
    assert ids(listing(api, "registries", "kind_prefix=REG")) == everything
    assert ids(listing(api, "registries", "kind=registryCredential")) == []
    target = get_doc(api, f"{BASE}/registries/{named['beta']}")
    assert ids(listing(api, "registries", f"uuid={target['uuid']}")) == [target["id"]]
    assert ids(listing(api, "registries", f"uuid_ne={target['uuid']}")) == [
        i for i in everything if i != target["id"]
    ]


# --------------------------------------------------------------------------- id filters


@pytest.mark.parametrize(
    ("param", "expected"),
    [
        ("id={1}", [1]),
        ("id_eq={1}", [1]),
        ("id_ne={1}", [0, 2, 3]),
        ("id_lt={2}", [0, 1]),
        ("id_lte={2}", [0, 1, 2]),
        ("id_gt={1}", [2, 3]),
        ("id_gte={1}", [1, 2, 3]),
        ("id_null=1", []),
        ("id_notnull=1", [0, 1, 2, 3]),
        ("id_prefix=1sp", [0, 1, 2, 3]),  # not an id modifier: ignored
    ],
)
def test_id_filter_modifiers(
    api: Client, named: dict[str | None, str], param: str, expected: list[int]
) -> None:
    all_ids = list(named.values())
    doc = listing(api, "registries", param.format(*all_ids))
    assert ids(doc) == [all_ids[i] for i in expected]


def test_id_filter_parses_the_id(api: Client, named: dict[str | None, str]) -> None:
    """§2.2/docs/fidelity.md: the prefix is not checked; the echoed value is the DB id."""
    target = named["beta"]
    number = target.removeprefix("1sp")
    doc = listing(api, "registries", f"id=1c{number}")
    assert ids(doc) == [target]
    assert doc["filters"]["id"] == [{"modifier": "eq", "value": number}]
    for garbage in ["abc", "15", number]:
        doc = listing(api, "registries", f"id={garbage}")
        assert ids(doc) == []
        assert doc["filters"]["id"] == [{"modifier": "eq", "value": "-1"}]


def test_reference_filters(
    api: Client, two_registries: tuple[dict[str, Any], dict[str, Any], list[str], list[str]]
) -> None:
    first, second, first_creds, second_creds = two_registries
    every = first_creds + second_creds

    def creds(query: str) -> list[str]:
        return ids(listing(api, "registrycredentials", query))

    assert creds(f"registryId={first['id']}") == first_creds
    assert creds(f"registryId_eq={second['id']}") == second_creds
    assert creds(f"registryId_ne={first['id']}") == second_creds
    assert creds("registryId_null=1") == []
    assert creds("registryId_notnull=1") == every
    assert creds("registryId_prefix=1sp") == every  # not a reference modifier: ignored
    assert creds("registryId=1sp999") == []
    assert creds("accountId=1a5") == every
    assert creds("accountId_ne=1a5") == []
    assert creds("accountId=1a6") == []
    doc = listing(api, "registrycredentials", "registryId=bogus")
    assert ids(doc) == []
    assert doc["filters"]["registryId"] == [{"modifier": "eq", "value": "-1"}]
    doc = listing(api, "registrycredentials", "accountId=1a5")
    assert doc["filters"]["accountId"] == [{"modifier": "eq", "value": "5"}]


def test_state_filters(api: Client, named: dict[str | None, str]) -> None:
    target = get_doc(api, f"{BASE}/registries/{named['beta']}")
    assert settled(api, action(api, target, "deactivate"))["state"] == "inactive"
    others = [i for i in named.values() if i != target["id"]]
    assert ids(listing(api, "registries", "state=inactive")) == [target["id"]]
    assert ids(listing(api, "registries", "state_ne=inactive")) == others
    assert ids(listing(api, "registries", "state_null=1")) == []
    assert ids(listing(api, "registries", "state_notnull=1")) == list(named.values())
    # `prefix` is not a modifier of an enum: ignored
    assert ids(listing(api, "registries", "state_prefix=in")) == list(named.values())


# --------------------------------------------------------------------------- date filters

T0 = "2024-03-01T12:00:00Z"
T1 = "2024-03-01T12:00:10Z"
T2 = "2024-03-01T12:00:20Z"


@pytest.fixture
def dated(api: Client) -> list[str]:
    """Three registries created at T0, T1 and T2."""
    out = []
    with freeze_time(T0) as frozen:
        for _ in range(3):
            doc = registry(api)
            out.append(doc["id"])
            frozen.tick(10)
    for reg_id, when in zip(out, [T0, T1, T2], strict=True):
        assert get_doc(api, f"{BASE}/registries/{reg_id}")["created"] == when
    return out


@pytest.mark.parametrize(
    ("param", "expected"),
    [
        (f"created={T1}", [1]),
        (f"created_eq={T1}", [1]),
        (f"created={iso_to_ms(T1)}", [1]),
        (f"created_ne={T1}", [0, 2]),
        (f"created_lt={T1}", [0]),
        (f"created_lte={T1}", [0, 1]),
        (f"created_gt={T1}", [2]),
        (f"created_gte={T1}", [1, 2]),
        (f"created_gt={iso_to_ms(T0)}", [1, 2]),
        ("created_lt=2024-03-01T12:00:05Z", [0]),
        ("created_null=1", []),
        ("created_notnull=1", [0, 1, 2]),
        ("created_gt=yesterday", []),
        ("created_gt=³", []),  # a digit to str.isdigit, not to int()
        ("created_prefix=2024", [0, 1, 2]),  # not a date modifier: ignored
    ],
)
def test_date_filter_modifiers(
    api: Client, dated: list[str], param: str, expected: list[int]
) -> None:
    doc = listing(api, "registries", param)
    assert ids(doc) == [dated[i] for i in expected]
    name, _, value = param.partition("=")
    modifier = name.partition("_")[2] or "eq"
    if modifier == "prefix":
        assert doc["filters"]["created"] is None
    else:
        (entry,) = doc["filters"]["created"]
        assert entry["modifier"] == modifier
        if modifier not in ("null", "notnull"):
            assert entry["value"] == value


def test_removed_date_filters(api: Client, named: dict[str | None, str]) -> None:
    gone = remove(api, get_doc(api, f"{BASE}/registries/{named['alpha']}"))
    live = [i for i in named.values() if i != gone["id"]]
    assert ids(listing(api, "registries", "removed_notnull=1&_removed=1")) == [gone["id"]]
    assert ids(listing(api, "registries", "removed_null=1&_removed=1")) == live
    assert ids(listing(api, "registries", "removed_notnull=1")) == []
    query = f"removed_gte={gone['removed']}&_removed=1"
    assert ids(listing(api, "registries", query)) == [gone["id"]]


# --------------------------------------------------------------------------- combining filters


def test_repeated_parameter_is_anded(api: Client, named: dict[str | None, str]) -> None:
    doc = listing(api, "registries", "name_ne=alpha&name_ne=beta")
    assert ids(doc) == [named["Alpha2"]]
    assert doc["filters"]["name"] == [
        {"modifier": "ne", "value": "alpha"},
        {"modifier": "ne", "value": "beta"},
    ]
    assert ids(listing(api, "registries", "name=alpha&name=beta")) == []


def test_filters_on_different_fields_are_anded(api: Client, named: dict[str | None, str]) -> None:
    target = get_doc(api, f"{BASE}/registries/{named['Alpha2']}")
    settled(api, action(api, target, "deactivate"))
    doc = listing(api, "registries", "name_prefix=al&state=inactive")
    assert ids(doc) == [target["id"]]
    assert doc["filters"]["name"] == [{"modifier": "prefix", "value": "al"}]
    assert doc["filters"]["state"] == [{"modifier": "eq", "value": "inactive"}]


@pytest.mark.parametrize(
    ("query", "expected", "echo"),
    [
        ("name_prefix=al&name_ne=alpha", {"Alpha2", "beta"}, {"modifier": "ne", "value": "alpha"}),
        (
            "name_ne=alpha&name_prefix=al",
            {"alpha", "Alpha2"},
            {"modifier": "prefix", "value": "al"},
        ),
        (
            "name=beta&name_notnull=1",
            {"alpha", "Alpha2", "beta"},
            {"modifier": "notnull", "value": "1"},
        ),
    ],
)
def test_two_modifiers_of_one_field_the_later_wins(
    api: Client,
    named: dict[str | None, str],
    query: str,
    expected: set[str],
    echo: dict[str, str],
) -> None:
    """§3.7: one condition list per field; docs/fidelity.md: the later parameter name wins."""
    by_id = {v: k for k, v in named.items()}
    doc = listing(api, "registries", query)
    assert {by_id[i] for i in ids(doc)} == expected
    assert doc["filters"]["name"] == [echo]


@pytest.mark.parametrize(
    ("collection", "query"),
    [
        ("registries", "serverAddress=nomatch"),
        ("registries", "transitioning=yes"),
        ("registries", "bogus=1"),
        ("registries", "name_bogus=x"),
        ("registries", "name_=x"),
        ("registries", "name_NE=alpha"),
        ("registries", "volumeCapabilities=x"),
        ("registries", "agentId=1"),  # filterable, but not a visible field
        ("registries", "zoneId_notnull=1"),
        ("registries", "removeTime_notnull=1"),
        ("registrycredentials", "email=nomatch"),
        ("registrycredentials", "removeTime_notnull=1"),
        ("registrycredentials", "transitioningMessage_notnull=1"),
        ("registrationtokens", "publicValue=nomatch"),  # not a token field
        ("registrationtokens", "secretValue_null=1"),
        ("registrationtokens", "registryId_notnull=1"),
        ("registrationtokens", "token=nomatch"),
    ],
)
def test_unknown_fields_and_modifiers_are_ignored_and_not_echoed(
    api: Client, collection: str, query: str
) -> None:
    reg = registry(api, name="alpha")
    create_credential(api, reg["id"])
    create_token(api)
    everything = ids(listing(api, collection))
    assert len(everything) == 1
    doc = listing(api, collection, query)
    assert ids(doc) == everything
    expected = REGISTRY_FILTERS if collection == "registries" else CREDENTIAL_FILTERS
    assert doc["filters"] == dict.fromkeys(expected)


# --------------------------------------------------------------------------- sort


@pytest.fixture
def sortable(api: Client) -> list[str]:
    """Registries named b, a, B, c, A (in id order)."""
    return [registry(api, name=name)["id"] for name in ["b", "a", "B", "c", "A"]]


def test_sort_ascending_with_id_tie_break(api: Client, sortable: list[str]) -> None:
    b1, a1, b2, c1, a2 = sortable
    doc = listing(api, "registries", "sort=name")
    # string sort is case-insensitive (docs/fidelity.md); ties go by id, same direction
    assert ids(doc) == [a1, a2, b1, b2, c1]
    assert doc["sort"] == {
        "name": "name",
        "order": "asc",
        "reverse": f"{BASE}/registries?sort=name&order=desc",
    }


def test_sort_descending_with_id_tie_break(api: Client, sortable: list[str]) -> None:
    b1, a1, b2, c1, a2 = sortable
    doc = listing(api, "registries", "order=desc&sort=name")
    assert ids(doc) == [c1, b2, b1, a2, a1]
    assert doc["sort"] == {
        "name": "name",
        "order": "desc",
        "reverse": f"{BASE}/registries?order=asc&sort=name",
    }


def test_following_the_reverse_link_reverses(api: Client, sortable: list[str]) -> None:
    asc = listing(api, "registries", "sort=name&limit=10")
    desc = get_doc(api, asc["sort"]["reverse"])
    assert ids(desc) == list(reversed(ids(asc)))
    assert desc["sort"]["order"] == "desc"
    assert ids(get_doc(api, desc["sort"]["reverse"])) == ids(asc)


def test_sort_by_created_breaks_ties_by_id(api: Client) -> None:
    with freeze_time(T0) as frozen:
        first = registry(api)["id"]
        frozen.tick(5)
        second, third = registry(api)["id"], registry(api)["id"]
    frozen_ids = [first, second, third]
    assert ids(listing(api, "registries", "sort=created")) == frozen_ids
    assert ids(listing(api, "registries", "sort=created&order=desc")) == [third, second, first]


def test_sort_by_id_descending(api: Client, sortable: list[str]) -> None:
    doc = listing(api, "registries", "sort=id&order=desc")
    assert ids(doc) == list(reversed(sortable))
    assert doc["sort"]["name"] == "id"


@pytest.mark.parametrize(
    ("collection", "query"),
    [
        ("registries", "sort=removeTime&order=desc"),  # filterable, not a visible field
        ("registries", "sort=serverAddress&order=desc"),  # visible, not filterable
        ("registries", "sort=transitioning&order=desc"),
        ("registries", "sort=bogus&order=desc"),
        ("registries", "order=desc"),  # order alone does nothing
        ("registrycredentials", "sort=email&order=desc"),
        ("registrycredentials", "sort=removeTime&order=desc"),
        ("registrationtokens", "sort=publicValue&order=desc"),
        ("registrationtokens", "sort=token&order=desc"),
    ],
)
def test_sort_on_a_non_sortable_field_is_ignored(api: Client, collection: str, query: str) -> None:
    reg = registry(api, name="zz")
    registry(api, name="aa")
    create_credential(api, reg["id"], email="z@example.com", publicValue="z")
    create_credential(api, reg["id"], email="a@example.com", publicValue="a")
    create_token(api)
    create_token(api)
    doc = listing(api, collection, query)
    assert len(doc["data"]) == 2
    assert ids(doc) == sorted(ids(doc), key=lambda i: db_id(i))
    assert doc["sort"] is None


def test_sort_links_replace_sort_and_order_and_keep_the_rest(
    api: Client, sortable: list[str]
) -> None:
    query = "name_notnull=1&sort=name&order=desc&limit=5"
    doc = listing(api, "registries", query)
    assert doc["sortLinks"] == {
        name: f"{BASE}/registries?name_notnull=1&limit=5&sort={name}" for name in REGISTRY_FILTERS
    }
    followed = get_doc(api, doc["sortLinks"]["id"])
    assert followed["sort"]["name"] == "id"
    assert followed["sort"]["order"] == "asc"
    assert ids(followed) == sortable


# --------------------------------------------------------------------------- pagination


@pytest.fixture
def many(api: Client) -> list[str]:
    """250 registry credentials, id ascending."""
    reg = registry(api)
    body = {"registryId": reg["id"], "email": "ci@example.com"}
    return [create(api, "registrycredentials", body)["id"] for _ in range(250)]


def test_paging_through_250_items_gives_every_id_once_in_order(
    api: Client, many: list[str]
) -> None:
    url: str | None = f"{BASE}/registrycredentials?limit=100"
    seen: list[str] = []
    pages: list[dict[str, Any]] = []
    while url is not None:
        page = get_doc(api, url)
        pages.append(page)
        seen.extend(ids(page))
        url = page["pagination"]["next"]
    assert seen == many
    assert [len(p["data"]) for p in pages] == [100, 100, 50]
    assert [p["pagination"]["partial"] for p in pages] == [True, True, False]
    assert [p["pagination"]["next"] for p in pages] == [
        f"{BASE}/registrycredentials?limit=100&marker=m100",
        f"{BASE}/registrycredentials?limit=100&marker=m200",
        None,
    ]
    assert {p["pagination"]["limit"] for p in pages} == {100}
    for page in pages:
        assert page["pagination"]["first"] is None
        assert page["pagination"]["previous"] is None
        assert page["pagination"]["total"] is None


@pytest.mark.parametrize(
    ("limit", "size", "effective"),
    [
        (None, 100, 100),
        ("1", 1, 1),
        ("249", 249, 249),
        ("250", 250, 250),
        ("3000", 250, 3000),
        ("3001", 250, 3000),
        ("100000", 250, 3000),
        ("0", 250, 3000),
        ("-1", 250, 3000),
        ("abc", 100, 100),
        ("", 100, 100),
    ],
)
def test_limit(api: Client, many: list[str], limit: str | None, size: int, effective: int) -> None:
    query = "" if limit is None else f"limit={limit}"
    doc = listing(api, "registrycredentials", query)
    assert ids(doc) == many[:size]
    assert doc["pagination"]["limit"] == effective
    assert doc["pagination"]["partial"] is (size < 250)
    assert (doc["pagination"]["next"] is None) is (size == 250)


def test_last_page_exactly_full_has_no_next(api: Client, sortable: list[str]) -> None:
    first = listing(api, "registries", "limit=5")
    assert ids(first) == sortable
    assert first["pagination"]["next"] is None
    assert first["pagination"]["partial"] is False
    second = get_doc(api, listing(api, "registries", "limit=3")["pagination"]["next"])
    assert ids(second) == sortable[3:]
    assert second["pagination"]["next"] is None
    assert second["pagination"]["partial"] is False


@pytest.mark.parametrize(
    ("marker", "expected"),
    [("m2", [2, 3]), ("m0", [0, 1]), ("m5", []), ("m99999", []), ("zzz", [0, 1]), ("m-1", [0, 1])],
)
def test_marker(api: Client, sortable: list[str], marker: str, expected: list[int]) -> None:
    doc = listing(api, "registries", f"limit=2&marker={marker}")
    assert ids(doc) == [sortable[i] for i in expected]


def test_next_link_keeps_filters_and_sort_and_replaces_marker(
    api: Client, sortable: list[str]
) -> None:
    b1, a1, _, _, a2 = sortable
    query = "name_notnull=1&sort=name&order=desc&limit=2&marker=m2"
    doc = listing(api, "registries", query)
    assert ids(doc) == [b1, a2]
    assert doc["pagination"]["next"] == (
        f"{BASE}/registries?name_notnull=1&sort=name&order=desc&limit=2&marker=m4"
    )
    last = get_doc(api, doc["pagination"]["next"])
    assert ids(last) == [a1]
    assert last["pagination"]["next"] is None


# --------------------------------------------------------------------------- include


def test_include_credentials_embeds_each_registrys_credentials(
    api: Client, two_registries: tuple[dict[str, Any], dict[str, Any], list[str], list[str]]
) -> None:
    first, second, first_creds, second_creds = two_registries
    empty = registry(api)
    doc = listing(api, "registries", "include=credentials")
    embedded = {item["id"]: item["credentials"] for item in doc["data"]}
    assert [c["id"] for c in embedded[first["id"]]] == first_creds
    assert [c["id"] for c in embedded[second["id"]]] == second_creds
    assert embedded[empty["id"]] == []
    cred = embedded[first["id"]][0]
    assert cred == get_doc(api, f"{BASE}/registrycredentials/{cred['id']}")


@pytest.mark.parametrize("include", ["registry", "REGISTRY", "Registry"])
def test_include_registry_embeds_the_registry(
    api: Client,
    two_registries: tuple[dict[str, Any], dict[str, Any], list[str], list[str]],
    include: str,
) -> None:
    first, second, first_creds, second_creds = two_registries
    doc = listing(api, "registrycredentials", f"include={include}")
    owner = {c: first["id"] for c in first_creds} | {c: second["id"] for c in second_creds}
    for item in doc["data"]:
        assert item["registry"] == get_doc(api, f"{BASE}/registries/{owner[item['id']]}")


def test_only_the_first_include_is_used(api: Client) -> None:
    reg = registry(api)
    create_credential(api, reg["id"])
    (item,) = listing(api, "registrycredentials", "include=account&include=registry")["data"]
    assert item["account"]["id"] == "1a5"
    assert item["account"]["type"] == "project"
    assert "registry" not in item


@pytest.mark.parametrize(
    ("collection", "include", "key", "value"),
    [
        ("registrycredentials", "images", "images", []),
        ("registries", "registry", "registry", None),  # not includeable: no key
        ("registrationtokens", "registry", "registry", None),
        ("registries", "bogus", "bogus", None),
    ],
)
def test_include_of_other_links(
    api: Client, collection: str, include: str, key: str, value: list[Any] | None
) -> None:
    reg = registry(api)
    create_credential(api, reg["id"])
    create_token(api)
    (item,) = listing(api, collection, f"include={include}")["data"]
    if value is None:
        assert key not in item
    else:
        assert item[key] == value


# --------------------------------------------------------------------------- _removed


@pytest.fixture
def with_removed(api: Client) -> dict[str, list[str]]:
    """Per collection: [live id, removed id, purged id] (tokens: [live, removed])."""
    reg_live, reg_gone, reg_purged = registry(api), registry(api), registry(api)
    cred_live = create_credential(api, reg_live["id"])
    cred_gone = create_credential(api, reg_live["id"])
    cred_purged = create_credential(api, reg_live["id"])
    tok_live, tok_gone = create_token(api), create_token(api)
    out = {
        "registries": [reg_live["id"], remove(api, reg_gone)["id"], purge(api, reg_purged)["id"]],
        "registrycredentials": [
            cred_live["id"],
            remove(api, cred_gone)["id"],
            purge(api, cred_purged)["id"],
        ],
        "registrationtokens": [tok_live["id"], remove(api, tok_gone)["id"]],
    }
    return out


@pytest.mark.parametrize("collection", ["registries", "registrycredentials", "registrationtokens"])
def test_removed_resources_are_hidden_from_lists(
    api: Client, with_removed: dict[str, list[str]], collection: str
) -> None:
    live, *gone = with_removed[collection]
    assert ids(listing(api, collection)) == [live]
    for resource_id in gone:  # still readable by id
        assert get_doc(api, f"{BASE}/{collection}/{resource_id}")["removed"] is not None


@pytest.mark.parametrize("flag", ["_removed", "_removed=", "_removed=true", "_removed=false"])
@pytest.mark.parametrize("collection", ["registries", "registrycredentials", "registrationtokens"])
def test_removed_option_shows_removed_resources(
    api: Client, with_removed: dict[str, list[str]], collection: str, flag: str
) -> None:
    doc = listing(api, collection, flag)
    assert ids(doc) == with_removed[collection]
    states = [item["state"] for item in doc["data"]]
    assert states == ["active", "removed", "purged"][: len(states)]


# --------------------------------------------------------------------------- link collections


def test_registry_credentials_link_lists_only_its_credentials(
    api: Client, two_registries: tuple[dict[str, Any], dict[str, Any], list[str], list[str]]
) -> None:
    first, second, first_creds, second_creds = two_registries
    gone = remove(api, get_doc(api, f"{BASE}/registrycredentials/{first_creds[0]}"))
    url = first["links"]["credentials"]
    assert url == f"{BASE}/registries/{first['id']}/credentials"
    doc = get_doc(api, url)
    assert list(doc) == DOCUMENT_KEYS
    assert doc["resourceType"] == "registryCredential"
    assert doc["links"] == {"self": url}
    assert ids(doc) == [c for c in first_creds if c != gone["id"]]
    assert {item["type"] for item in doc["data"]} == {"registryCredential"}
    assert doc["filters"] == dict.fromkeys(CREDENTIAL_FILTERS)
    assert ids(get_doc(api, second["links"]["credentials"])) == second_creds
    # any case in the link name
    assert ids(get_doc(api, f"{BASE}/REGISTRIES/{first['id']}/Credentials")) == ids(doc)


def test_registry_credentials_link_honours_filters_sort_and_limit(
    api: Client, two_registries: tuple[dict[str, Any], dict[str, Any], list[str], list[str]]
) -> None:
    first, _, first_creds, _ = two_registries
    url = first["links"]["credentials"]
    doc = get_doc(api, url, "name=two")
    assert ids(doc) == [first_creds[1]]
    assert doc["filters"]["name"] == [{"modifier": "eq", "value": "two"}]
    doc = get_doc(api, url, "sort=name&order=desc")
    assert ids(doc) == [first_creds[1], first_creds[0]]
    doc = get_doc(api, url, "limit=1")
    assert ids(doc) == [first_creds[0]]
    assert doc["pagination"]["next"] == f"{url}?limit=1&marker=m1"
    assert ids(get_doc(api, doc["pagination"]["next"])) == [first_creds[1]]


def test_registry_credentials_link_shows_removed_with_option(
    api: Client, two_registries: tuple[dict[str, Any], dict[str, Any], list[str], list[str]]
) -> None:
    first, _, first_creds, _ = two_registries
    remove(api, get_doc(api, f"{BASE}/registrycredentials/{first_creds[0]}"))
    assert ids(get_doc(api, first["links"]["credentials"], "_removed=1")) == first_creds
