"""An OpenAPI 3.1 document made from the schema documents the API serves (`GET /v1/schemas`).

Everything comes from those documents (`pluralName`, `links.collection`, `resourceFields`,
`collectionFilters` with their modifiers, `resourceActions`, `includeableLinks`, the methods)
plus Cattle's generic conventions, which no schema states: `/<plural>/<id>` paths, actions as
`POST ...?action=<name>`, the `/projects/<id>/` sub-context, the collection envelope, sort and
paging parameters, and the error document. So the description cannot drift from the API.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

OPENAPI_VERSION = "3.1.0"
PROJECT_TYPE = "project"
# Sent by every operation that reads a body; those that do not parse one never answer 400/413.
_BODY_ERRORS = (400, 413, 422)
_REASONS = {
    400: "Bad Request: a body that is not a JSON object (InvalidBodyContent) or a refused value",
    401: "Unauthorized: access control is on and no valid API key was sent",
    403: "Forbidden: the project named by the path is unknown or not the API key's",
    404: "Not Found",
    405: "Method not allowed (e.g. DELETE of an active resource, POST without ?action=)",
    413: "Request Entity Too Large: a body over 16 MiB",
    422: "Validation error: code (MissingRequired, InvalidOption, ...) and fieldName",
}
_ERROR = {"$ref": "#/components/schemas/error"}


def openapi_document(schemas: dict[str, Any], version: str) -> dict[str, Any]:
    """The OpenAPI document for the schemas collection `schemas` (as `GET <root>/schemas` answers
    it) of API version `version`."""
    schemas_url = urlsplit(schemas["links"]["self"])
    server = f"{schemas_url.scheme}://{schemas_url.netloc}"
    root = schemas_url.path.rstrip("/").removesuffix("/schemas")
    documents = sorted(schemas["data"], key=lambda s: s["id"])
    ids = {s["id"] for s in documents}
    # Cattle's sub-context: `/<version>/projects/<id>/<rest>` is `<rest>` scoped to that project.
    scoped = PROJECT_TYPE in ids and "/projects/" not in root
    paths: dict[str, Any] = {}
    components: dict[str, Any] = {"error": _error_schema(), **_envelopes()}
    for schema in documents:
        collection = _collection_path(schema, root)
        components.update(_type_schemas(schema))
        forms = [(collection, "")]
        if scoped and schema["id"] != PROJECT_TYPE:
            forms.append((collection.replace(root, f"{root}/projects/{{projectId}}", 1), "project"))
        for path, scope in forms:
            paths.update(_type_paths(schema, path, scope))
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": f"Rancher 1.x (Cattle) API {version}, as served by fakerancher",
            "version": version,
            "description": (
                "Generated from this server's own schema documents "
                f"({schemas['links']['self']}). Filters take a field name alone (eq) or "
                "with a modifier suffix (name_ne, name_prefix, ...); unknown parameters, "
                "and filters or sorts on fields that are not filterable, are ignored."
            ),
        },
        "servers": [{"url": server}],
        "paths": paths,
        "components": {
            "schemas": components,
            "parameters": _shared_parameters(),
            "headers": {
                "X-API-Schemas": {
                    "description": "The URL of the schemas this caller sees",
                    "required": True,
                    "schema": {"type": "string"},
                }
            },
            "securitySchemes": {
                "apiKey": {
                    "type": "http",
                    "scheme": "basic",
                    "description": "An environment API key: access key as user, secret key as "
                    "password. Needed only while access control is on.",
                }
            },
        },
        "security": [{}, {"apiKey": []}],
    }


def _collection_path(schema: dict[str, Any], root: str) -> str:
    link = schema.get("links", {}).get("collection")
    if link:
        return str(urlsplit(link).path)
    return f"{root}/{schema['pluralName'].lower()}"


# -- paths ------------------------------------------------------------------------------------
def _codes(*statuses: int) -> tuple[int, ...]:
    return tuple(sorted(set(statuses)))


def _type_paths(schema: dict[str, Any], collection: str, scope: str) -> dict[str, Any]:
    type_id = schema["id"]
    prefix = f"{scope}_" if scope else ""
    scope_params = [{"$ref": "#/components/parameters/projectId"}] if scope else []
    collection_methods = schema.get("collectionMethods", [])
    resource_methods = schema.get("resourceMethods", [])
    actions = sorted(schema.get("resourceActions", {}))
    # Inside a project the caller's role there decides (an owner may lack a method the
    # caller has outside), and a project's own links (`projectMembers`) answer 404.
    in_project = (404, 405) if scope else ()
    paths: dict[str, Any] = {}
    item: dict[str, Any] = {}
    if "GET" in collection_methods:
        item["get"] = _operation(
            f"{prefix}list_{type_id}",
            type_id,
            f"List {schema['pluralName']}",
            {200: _json(f"{type_id}Collection", "The collection")},
            _codes(401, 403, *in_project),
            parameters=_collection_parameters(schema),
        )
    if "POST" in collection_methods:
        item["post"] = _operation(
            f"{prefix}create_{type_id}",
            type_id,
            f"Create a {type_id}",
            {201: _json(type_id, "Created; still transitioning (e.g. registering)")},
            _codes(401, 403, *in_project, *_BODY_ERRORS),
            body=f"{type_id}Create",
        )
    if item:
        paths[collection] = _with_parameters(item, scope_params)
    resource = f"{collection}/{{id}}"
    item = {}
    if "GET" in resource_methods:
        item["get"] = _operation(
            f"{prefix}get_{type_id}",
            type_id,
            f"Read a {type_id}",
            {200: _json(type_id, "The resource")},
            _codes(401, 403, 404, *in_project),
        )
    if "PUT" in resource_methods:
        item["put"] = _operation(
            f"{prefix}update_{type_id}",
            type_id,
            f"Update a {type_id} (its state does not change)",
            {200: _json(type_id, "The updated resource")},
            _codes(401, 403, 404, *in_project, *_BODY_ERRORS),
            body=f"{type_id}Update",
        )
    if "DELETE" in resource_methods:
        item["delete"] = _operation(
            f"{prefix}delete_{type_id}",
            type_id,
            f"Remove a {type_id} (as the remove action; an active one is refused)",
            {200: _json(type_id, "The resource, now removing")},
            (401, 403, 404, 405),
        )
    if actions:
        item["post"] = _operation(
            f"{prefix}action_{type_id}",
            type_id,
            f"Run an action on a {type_id}: POST ?action=<name>",
            {202: _json(type_id, "The resource, in the action's transitioning state")},
            (401, 403, 404, 405, *_BODY_ERRORS),
            parameters=[
                {
                    "name": "action",
                    "in": "query",
                    "required": True,
                    "description": "The action; the resource's `actions` lists those its "
                    "state offers (others: 422 ActionNotAvailable)",
                    "schema": {"type": "string", "enum": actions},
                }
            ],
        )
        inputs = {
            name: spec["input"]
            for name, spec in sorted(schema["resourceActions"].items())
            if isinstance(spec, dict) and spec.get("input")
        }
        if inputs:  # the body is the input schema of the action named
            item["post"]["requestBody"] = {
                "required": False,
                "description": "The action's input: "
                + ", ".join(f"{name}: {kind}" for name, kind in inputs.items()),
                "content": {"application/json": {"schema": {"type": "object"}}},
            }
    if item:
        paths[resource] = _with_parameters(item, [*scope_params, _id_parameter()])
    for link in sorted(schema.get("includeableLinks", [])):
        paths[f"{resource}/{link.lower()}"] = _with_parameters(
            {
                "get": _operation(
                    f"{prefix}link_{type_id}_{link}",
                    type_id,
                    f"Follow the {link} link of a {type_id}",
                    {200: _json("linked", "The linked resource or collection")},
                    (401, 403, 404),
                )
            },
            [*scope_params, _id_parameter()],
        )
    return paths


def _with_parameters(item: dict[str, Any], parameters: list[dict[str, Any]]) -> dict[str, Any]:
    return {"parameters": parameters, **item} if parameters else item


def _id_parameter() -> dict[str, Any]:
    return {"$ref": "#/components/parameters/id"}


def _operation(
    operation_id: str,
    tag: str,
    summary: str,
    answers: dict[int, dict[str, Any]],
    errors: tuple[int, ...],
    *,
    parameters: list[dict[str, Any]] | None = None,
    body: str | None = None,
) -> dict[str, Any]:
    responses: dict[str, Any] = {str(status): answer for status, answer in answers.items()}
    for status in sorted(set(errors)):
        responses[str(status)] = {
            "description": _REASONS[status],
            "headers": _HEADERS,
            "content": {"application/json": {"schema": _ERROR}},
        }
    operation: dict[str, Any] = {"operationId": operation_id, "tags": [tag], "summary": summary}
    if parameters:
        operation["parameters"] = parameters
    if body is not None:
        operation["requestBody"] = {
            "required": False,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{body}"}}},
        }
    operation["responses"] = responses
    return operation


_HEADERS = {"X-API-Schemas": {"$ref": "#/components/headers/X-API-Schemas"}}


def _json(schema: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": _HEADERS,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


def filter_parameter_names(field: str, modifiers: list[str]) -> list[str]:
    """`name`, `name_ne`, ...: the query parameters of one filterable field."""
    return [field if modifier == "eq" else f"{field}_{modifier}" for modifier in modifiers]


def _collection_parameters(schema: dict[str, Any]) -> list[dict[str, Any]]:
    fields = schema.get("resourceFields", {})
    filters = schema.get("collectionFilters", {})
    parameters: list[dict[str, Any]] = []
    for field, spec in sorted(filters.items()):
        modifiers = list(spec.get("modifiers") or [])
        visible = field in fields
        for name, modifier in zip(filter_parameter_names(field, modifiers), modifiers, strict=True):
            text = f"Filter: {field} {modifier}"
            if modifier in ("null", "notnull"):
                text += " (the value is ignored)"
            if not visible:
                text += f"; {field} is not a field of this schema, so it is ignored"
            parameters.append(
                {
                    "name": name,
                    "in": "query",
                    "required": False,
                    "description": text,
                    "schema": _filter_value(fields.get(field), modifier),
                }
            )
    sortable = sorted(name for name in filters if name in fields)
    if sortable:
        parameters.append(
            {
                "name": "sort",
                "in": "query",
                "required": False,
                "description": "Sort by a filterable field (then by id)",
                "schema": {"type": "string", "enum": sortable},
            }
        )
        parameters.append({"$ref": "#/components/parameters/order"})
    parameters += [
        {"$ref": "#/components/parameters/limit"},
        {"$ref": "#/components/parameters/marker"},
        {"$ref": "#/components/parameters/removed"},
    ]
    links = sorted(schema.get("includeableLinks", []))
    if links:
        parameters.append(
            {
                "name": "include",
                "in": "query",
                "required": False,
                "description": "Embed a link's data in each item, under the link's name",
                "schema": {"type": "string", "enum": links},
            }
        )
    return parameters


def _filter_value(field: dict[str, Any] | None, modifier: str) -> dict[str, Any]:
    enum = field is not None and field.get("type") == "enum" and field.get("options")
    if enum and modifier in ("eq", "ne"):
        assert field is not None
        return {"type": "string", "enum": list(field["options"])}
    return {"type": "string"}


def _shared_parameters() -> dict[str, Any]:
    return {
        "id": {
            "name": "id",
            "in": "path",
            "required": True,
            "description": "The resource id, e.g. 1c5 or 1sp2",
            "schema": {"type": "string"},
        },
        "projectId": {
            "name": "projectId",
            "in": "path",
            "required": True,
            "description": "The project (environment) the request acts in",
            "schema": {"type": "string"},
            "example": "1a5",
        },
        "order": {
            "name": "order",
            "in": "query",
            "required": False,
            "description": "With sort: asc (default) or desc",
            "schema": {"type": "string", "enum": ["asc", "desc"]},
        },
        "limit": {
            "name": "limit",
            "in": "query",
            "required": False,
            "description": "Page size: default 100; at most 3000 (0 or less means 3000)",
            "schema": {"type": "integer", "maximum": 3000},
        },
        "marker": {
            "name": "marker",
            "in": "query",
            "required": False,
            "description": "Where the page starts, as pagination.next names it (m<offset>)",
            "schema": {"type": "string", "pattern": "^m[0-9]{1,9}$"},
        },
        "removed": {
            "name": "_removed",
            "in": "query",
            "required": False,
            "description": "Present: list removed resources too",
            "schema": {"type": "string"},
        },
    }


# -- components -------------------------------------------------------------------------------
def _type_schemas(schema: dict[str, Any]) -> dict[str, Any]:
    type_id = schema["id"]
    fields: dict[str, Any] = schema.get("resourceFields", {})
    out: dict[str, Any] = {
        type_id: _resource_schema(type_id, fields),
        f"{type_id}Collection": _collection_schema(type_id),
    }
    if "POST" in schema.get("collectionMethods", []):
        out[f"{type_id}Create"] = _input_schema(type_id, fields, "create")
    if "PUT" in schema.get("resourceMethods", []):
        out[f"{type_id}Update"] = _input_schema(type_id, fields, "update")
    return out


def _value_schema(field: dict[str, Any], nullable: bool) -> dict[str, Any]:
    """The JSON Schema of a GDAPI field type (string, password, enum, int, date, reference[x],
    array[x], map[x], json, boolean)."""
    kind = str(field.get("type", "string"))
    out = _type_schema(kind)
    if kind == "enum" and field.get("options"):
        out["enum"] = list(field["options"])
    if kind in ("string", "password"):
        for key in ("minLength", "maxLength"):
            if key in field:
                out[key] = field[key]
    if not nullable:
        return out
    if "enum" in out:
        out["enum"] = [*out["enum"], None]
    if "type" in out:
        out["type"] = [out["type"], "null"]
    return out


def _type_schema(kind: str) -> dict[str, Any]:
    if kind.startswith("array[") and kind.endswith("]"):
        return {"type": "array", "items": _type_schema(kind[6:-1])}
    if kind.startswith("map[") and kind.endswith("]"):
        return {"type": "object", "additionalProperties": _type_schema(kind[4:-1])}
    if kind in ("int", "float"):
        return {"type": "integer" if kind == "int" else "number"}
    if kind == "boolean":
        return {"type": "boolean"}
    if kind == "date":
        return {"type": "string", "format": "date-time"}
    if kind == "json":
        return {}
    if kind in ("string", "password", "enum") or kind.startswith("reference["):
        return {"type": "string"}  # ids in references are strings too
    return {"type": "object"}  # another schema's type (servicesPortRange, projectMember)


def _resource_schema(type_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "id": {"type": "string"},  # declared "int" in Cattle's schemas, always a string id
        "type": {"const": type_id},
        "links": _string_map(),
        "actions": _string_map(),
        "actionLinks": _string_map(),
        "baseType": {"type": "string"},
    }
    for name, field in fields.items():
        if name == "id":
            continue
        # A schema's nullable flag is about input: a read-only field holds whatever the server
        # computed (null until then), and a readOnCreateOnly one is blanked after the create.
        writable = field.get("create") or field.get("update")
        nullable = bool(field.get("nullable") or field.get("readOnCreateOnly") or not writable)
        properties[name] = _value_schema(field, nullable)
        if field.get("type") == "date":
            properties[f"{name}TS"] = {"type": ["integer", "null"]}
    return {
        "type": "object",
        "description": f"A {type_id}: every schema field is present, nulls included",
        "required": ["id", "type", "links", *(n for n in fields if n != "id")],
        "properties": properties,
    }


def _input_schema(type_id: str, fields: dict[str, Any], flag: str) -> dict[str, Any]:
    properties = {
        name: _value_schema(field, bool(field.get("nullable")))
        for name, field in fields.items()
        if field.get(flag)
    }
    required = [n for n, f in fields.items() if f.get(flag) and f.get("required")]
    out: dict[str, Any] = {
        "type": "object",
        "description": f"Fields a {flag} takes; unknown and read-only keys are ignored",
        "properties": properties,
    }
    if flag == "create" and required:
        out["required"] = required
    return out


def _string_map() -> dict[str, Any]:
    return {"type": "object", "additionalProperties": {"type": "string"}}


def _collection_schema(type_id: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["type", "resourceType", "links", "data"],
        "properties": {
            "type": {"const": "collection"},
            "resourceType": {"const": type_id},
            "links": _string_map(),
            "createTypes": {"type": "object"},
            "actions": {"type": "object"},
            "data": {"type": "array", "items": {"$ref": f"#/components/schemas/{type_id}"}},
            "sortLinks": _string_map(),
            "pagination": {"$ref": "#/components/schemas/pagination"},
            "sort": {"$ref": "#/components/schemas/sort"},
            "filters": {
                "type": "object",
                "additionalProperties": {
                    "oneOf": [
                        {"type": "null"},
                        {"type": "array", "items": {"$ref": "#/components/schemas/condition"}},
                    ]
                },
            },
            "createDefaults": {"type": "object"},
        },
    }


def _envelopes() -> dict[str, Any]:
    nullable_string = {"type": ["string", "null"]}
    return {
        "pagination": {
            "oneOf": [
                {"type": "null"},
                {
                    "type": "object",
                    "properties": {
                        "first": nullable_string,
                        "previous": nullable_string,
                        "next": nullable_string,
                        "limit": {"type": "integer"},
                        "total": {"type": ["integer", "null"]},
                        "partial": {"type": "boolean"},
                    },
                },
            ]
        },
        "sort": {
            "oneOf": [
                {"type": "null"},
                {
                    "type": "object",
                    "required": ["name", "order", "reverse"],
                    "properties": {
                        "name": {"type": "string"},
                        "order": {"enum": ["asc", "desc"]},
                        "reverse": {"type": "string"},
                    },
                },
            ]
        },
        "condition": {
            "type": "object",
            "required": ["modifier", "value"],
            "properties": {"modifier": {"type": "string"}, "value": {"type": "string"}},
        },
        "linked": {
            "type": "object",
            "description": "What a link leads to: a resource or a collection",
            "required": ["type"],
            "properties": {"type": {"type": "string"}},
        },
    }


def _error_schema() -> dict[str, Any]:
    nullable_string = {"type": ["string", "null"]}
    return {
        "type": "object",
        "description": "Cattle's error document",
        "required": ["id", "type", "status", "code", "message", "detail", "baseType"],
        "properties": {
            "id": {"type": "string"},
            "type": {"const": "error"},
            "links": {"type": "object"},
            "actions": {"type": "object"},
            "status": {"type": "integer"},
            "code": {"type": "string"},
            "message": nullable_string,
            "detail": nullable_string,
            "fieldName": {"type": "string"},
            "baseType": {"const": "error"},
        },
    }
