"""The OpenAPI description of the JSON API. Capabilities add their paths with `add_paths`."""

EXTRA_PATHS: dict = {}
EXTRA_SCHEMAS: dict = {}

ERROR = {"$ref": "#/components/schemas/Error"}


def add_paths(paths: dict, schemas: dict | None = None) -> None:
    """Add paths (and component schemas) contributed by a capability."""
    EXTRA_PATHS.update(paths)
    EXTRA_SCHEMAS.update(schemas or {})


def _errors(*codes: int) -> dict:
    text = {400: "Bad request", 401: "Not signed in", 403: "Role not allowed", 404: "Not found"}
    return {
        str(c): {"description": text[c], "content": {"application/json": {"schema": ERROR}}}
        for c in codes
    }


def build_openapi() -> dict:
    """Return the whole description."""
    paths = {
        "/api/v1/people": {
            "get": {
                "operationId": "listPeople",
                "summary": "People on my care teams",
                "parameters": [
                    {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 100}},
                    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                ],
                "responses": {
                    "200": {
                        "description": "A page of people",
                        "content": {"application/json": {"schema": {
                            "type": "object",
                            "required": ["results", "page", "has_more"],
                            "properties": {
                                "results": {"type": "array", "items": {"$ref": "#/components/schemas/Person"}},
                                "page": {"type": "integer"},
                                "has_more": {"type": "boolean"},
                            },
                        }}},
                    },
                    **_errors(400, 401, 403),
                },
            }
        },
        "/api/v1/people/{id}": {
            "get": {
                "operationId": "getPerson",
                "summary": "One person on my care team",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {
                    "200": {"description": "The person", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Person"}}}},
                    **_errors(401, 403, 404),
                },
            }
        },
    }
    paths.update(EXTRA_PATHS)
    _no_null_characters(paths)
    schemas = {
        "Error": {"type": "object", "required": ["detail"], "properties": {"detail": {"type": "string"}}},
        "Person": {
            "type": "object",
            "required": ["id", "chosen_name", "is_minor", "preferred_language", "site"],
            "properties": {
                "id": {"type": "string", "format": "uuid"},
                "chosen_name": {"type": "string"},
                "pronouns": {"type": "string"},
                "age_band": {"type": "string"},
                "is_minor": {"type": "boolean"},
                "preferred_language": {"type": "string"},
                "interpreter_needed": {"type": "boolean"},
                "site": {"type": "string"},
            },
        },
    }
    schemas.update(EXTRA_SCHEMAS)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Safe Haven API", "version": "1"},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"session": {"type": "apiKey", "in": "cookie", "name": "sessionid"}},
        },
        "security": [{"session": []}],
    }


def _no_null_characters(paths: dict) -> None:
    """Document that no query string may hold a NUL (the server refuses it with a 400)."""
    for operations in paths.values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                schema = parameter.get("schema", {})
                if parameter.get("in") == "query" and schema.get("type") == "string" and "pattern" not in schema:
                    parameter["schema"] = {**schema, "pattern": "^[^\\u0000]*$"}
