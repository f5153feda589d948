"""The registry of FHIR R4 resource types the project can serve and export.

Each capability describes its resources in `safehaven/fhir/resources/<app>.py` with a
module-level `RESOURCES = [ResourceSpec(...)]`; the FHIR API, search and bulk export
discover them here. All FHIR code stays in the `safehaven.fhir` package.

A converter `to_fhir(obj) -> dict` returns R4 JSON (checked with `fhir.resources.R4B`
in that capability's tests) including `meta.security` labels for sensitive data.
"""

import importlib
import logging
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ResourceSpec:
    """How one FHIR resource type is read from our models."""

    type: str  # FHIR resource type, e.g. "Goal"
    model: Any  # the Django model
    to_fhir: Callable[[Any], dict]
    # Path from the model to the Person (for care-team filtering and the `patient` parameter);
    # "pk" when the resource is the person (Patient); "" for resources that are not about
    # one person (e.g. Questionnaire).
    person_path: str = "person"
    # Data categories (consent.models.DATA_CATEGORIES) a resource of this type discloses.
    categories: tuple[str, ...] = ("clinical_summary",)
    updated_field: str = "updated_at"  # for _lastUpdated
    date_field: str | None = None  # for `date`
    status_field: str | None = None  # for `status`
    code_field: str | None = None  # for `code` (a token: system|code or code)
    # Optional: a function(queryset) -> queryset adding select_related/prefetch for to_fhir.
    optimise: Callable[[Any], Any] | None = None
    # Optional: a function(obj) -> list[str] of extra data categories of that one object.
    object_categories: Callable[[Any], list[str]] | None = None
    extra: dict = field(default_factory=dict)


def specs_by_type() -> dict[str, list[ResourceSpec]]:
    """Return every registered spec, grouped by FHIR type, in a stable order.

    A type may be read from several models (Condition: needs from care plans and
    screening's health concerns). Within a type, specs keep the order of their modules'
    names and of their RESOURCES lists; that order is the order of search results.
    """
    from safehaven.fhir import resources

    specs: dict[str, list[ResourceSpec]] = {}
    for module_info in sorted(pkgutil.iter_modules(resources.__path__), key=lambda m: m.name):
        try:
            module = importlib.import_module(f"{resources.__name__}.{module_info.name}")
        except Exception:  # one capability's broken module must not take the whole API down
            logging.getLogger(__name__).exception("FHIR resources module %s failed to load", module_info.name)
            continue
        for spec in getattr(module, "RESOURCES", []):
            specs.setdefault(spec.type, []).append(spec)
    return specs


def every_spec() -> list[ResourceSpec]:
    """Return every registered spec (several per type where several models serve one type)."""
    return [spec for specs in specs_by_type().values() for spec in specs]


def all_specs() -> dict[str, ResourceSpec]:
    """Return the first registered spec of each type, by type name.

    Kept for callers that want one model per type; the API, search, the
    CapabilityStatement and bulk export use `specs_by_type()` and serve every spec.
    """
    return {name: specs[0] for name, specs in specs_by_type().items()}


def base_queryset(spec: ResourceSpec, qs=None):
    """Return the spec's rows with its own `optimise` applied (which may also narrow them,
    e.g. to concerns the person agreed to export)."""
    qs = spec.model.objects.all() if qs is None else qs
    return spec.optimise(qs) if spec.optimise else qs


def person_pk_lookup(spec: ResourceSpec) -> str | None:
    """Return the ORM lookup that yields the person's primary key for this type, or None."""
    path = spec.person_path
    if not path:
        return None
    if path == "pk":
        return "pk"
    return f"{path}_id" if "__" not in path else f"{path}__id"
