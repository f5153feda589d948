"""OpenAPI description of the read-only HSDS API (/hsds/...), after the HSDS 3.0 OpenAPI."""

_PAGE = {"$ref": "#/components/schemas/HSDSPage"}
_OBJ = {"$ref": "#/components/schemas/HSDSRecord"}
_ERR = {"$ref": "#/components/schemas/Error"}


PARAM_SCHEMAS = {
    "search": {"type": "string", "maxLength": 100},
    "page": {"type": "integer", "minimum": 1, "maximum": 100000},
    "per_page": {"type": "integer", "minimum": 1, "maximum": 100},
    "format": {"type": "string", "enum": ["json"]},
    "taxonomy_term_id": {"type": "string", "format": "uuid"},
    "taxonomy_id": {"type": "string", "format": "uuid"},
    "organization_id": {"type": "string", "format": "uuid"},
    "parent_id": {"type": "string", "format": "uuid"},
    "modified_after": {"type": "string", "format": "date-time"},
    "minimal": {"type": "boolean"}, "full": {"type": "boolean"},
    "full_service": {"type": "boolean"}, "top_only": {"type": "boolean"},
    "postcode": {"type": "string", "maxLength": 40},
}


def _q(name, typ="string"):
    schema = PARAM_SCHEMAS.get(name, {"type": typ})
    return {"name": name, "in": "query", "required": False, "schema": schema}


def _errors(*codes):
    text = {400: "Bad request", 401: "Not signed in", 404: "Not found"}
    return {str(c): {"description": text[c], "content": {"application/json": {"schema": _ERR}}} for c in codes}


def _list(op, summary, extra=()):
    params = [_q("search"), _q("page", "integer"), _q("per_page", "integer"), _q("format"), *[_q(n) for n in extra]]
    return {"get": {"operationId": op, "summary": summary, "tags": ["HSDS"], "parameters": params,
                    "responses": {"200": {"description": "A page", "content": {"application/json": {"schema": _PAGE}}},
                                  **_errors(400, 401)}}}


def _one(op, summary):
    return {"get": {"operationId": op, "summary": summary, "tags": ["HSDS"],
                    "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                    "responses": {"200": {"description": "One record", "content": {"application/json": {"schema": _OBJ}}},
                                  **_errors(401, 404)}}}


SERVICE_FILTERS = ("taxonomy_term_id", "taxonomy_id", "organization_id", "modified_after", "minimal", "full")
PATHS = {
    "/hsds/services": _list("hsdsListServices", "Services (HSDS 3.0)", SERVICE_FILTERS),
    "/hsds/services/{id}": _one("hsdsGetService", "A fully nested service"),
    "/hsds/organizations": _list("hsdsListOrganizations", "Organizations", ("full_service", "full")),
    "/hsds/organizations/{id}": _one("hsdsGetOrganization", "An organization with its services"),
    "/hsds/service_at_locations": _list("hsdsListServiceAtLocations", "Services at locations",
                                        (*SERVICE_FILTERS, "postcode")),
    "/hsds/service_at_locations/{id}": _one("hsdsGetServiceAtLocation", "A service at a location"),
    "/hsds/taxonomies": _list("hsdsListTaxonomies", "Taxonomies"),
    "/hsds/taxonomies/{id}": _one("hsdsGetTaxonomy", "A taxonomy"),
    "/hsds/taxonomy_terms": _list("hsdsListTaxonomyTerms", "Taxonomy terms", ("taxonomy_id", "parent_id", "top_only")),
    "/hsds/taxonomy_terms/{id}": _one("hsdsGetTaxonomyTerm", "A taxonomy term"),
}
SCHEMAS = {
    "HSDSPage": {
        "type": "object",
        "required": ["total_items", "total_pages", "page_number", "size", "first_page", "last_page", "empty", "contents"],
        "properties": {
            "total_items": {"type": "integer"}, "total_pages": {"type": "integer"},
            "page_number": {"type": "integer"}, "size": {"type": "integer"},
            "first_page": {"type": "boolean"}, "last_page": {"type": "boolean"},
            "empty": {"type": "boolean"}, "contents": {"type": "array", "items": _OBJ},
        },
    },
    "HSDSRecord": {
        "type": "object", "required": ["id"],
        "description": "An HSDS 3.0 record (service, organization, service_at_location, taxonomy, taxonomy_term).",
        "properties": {"id": {"type": "string", "format": "uuid"}},
    },
}
