"""Every field of every Safe Haven model says what kind of data it holds."""

from django.apps import apps


def test_every_patient_model_field_is_classified():
    exempt_apps = {"accounts", "audit"}  # staff and the audit log, documented in security-model.md
    missing = []
    for model in apps.get_models():
        label = model._meta.app_label
        if not model.__module__.startswith("safehaven.") or label in exempt_apps:
            continue
        classification = getattr(model, "data_classification", None)
        if classification is None:
            missing.append(f"{model._meta.label} (no data_classification)")
            continue
        for field in model._meta.concrete_fields:
            if field.name not in classification:
                missing.append(f"{model._meta.label}.{field.name}")
    assert not missing, "unclassified: " + ", ".join(missing)
