"""Synthetic demo directory: about 30 local services, one of them a confidential shelter.

Idempotent: ids are stable, so running it again updates the same records.
"""

import uuid

from django.db import transaction

from safehaven.directory.actions import FLAG_TAXONOMY_ID, FLAG_TERMS, import_tables
from safehaven.directory.models import Location

NS = uuid.UUID("3b0f3c5e-8a51-4c1e-b7a4-1d2e9f6a7c00")
CENTER = (37.80, -122.27)  # a synthetic city
# (name, need keyword term, languages, free, trauma-informed, serves survivors, police, hours)
SERVICES = [
    ("Harbor Safe House", "Emergency Shelter", ["en", "es"], True, True, True, False, ("SU,MO,TU,WE,TH,FR,SA", "00:00", "00:00")),
    ("Open Door Drop-in Centre", "Emergency Shelter", ["en"], True, True, False, False, ("MO,TU,WE,TH,FR", "20:00", "08:00")),
    ("Eastside Transitional Housing", "Transitional Housing", ["en", "es"], False, True, True, False, ("MO,TU,WE,TH,FR", "09:00", "17:00")),
    ("Community Food Pantry", "Food Pantries", ["en", "es", "vi"], True, False, False, False, ("TU,TH,SA", "10:00", "14:00")),
    ("Hot Meals Kitchen", "Meals", ["en"], True, False, False, False, ("MO,TU,WE,TH,FR,SA,SU", "11:00", "13:30")),
    ("Free Clothing Closet", "Clothing", ["en", "es"], True, True, False, False, ("WE,SA", "10:00", "15:00")),
    ("Bay Legal Aid", "Legal Services", ["en", "es", "zh"], True, True, True, False, ("MO,TU,WE,TH,FR", "09:00", "17:00")),
    ("Immigrant Rights Clinic", "Immigration Law", ["en", "es", "fr", "ar"], True, True, True, False, ("MO,WE,FR", "09:00", "16:00")),
    ("Victim Witness Office", "Victim Rights", ["en", "es"], True, True, True, True, ("MO,TU,WE,TH,FR", "08:00", "17:00")),
    ("Riverside Counselling", "Counseling", ["en", "fr"], False, True, True, False, ("MO,TU,WE,TH", "10:00", "19:00")),
    ("Peer Support Circle", "Mental Health Support Groups", ["en", "es"], True, True, True, False, ("TH", "18:00", "20:00")),
    ("Crisis Line", "Crisis Intervention", ["en", "es", "fr", "zh", "vi", "ar"], True, True, True, False, ("SU,MO,TU,WE,TH,FR,SA", "00:00", "00:00")),
    ("Recovery Path Outpatient", "Substance Use Treatment", ["en", "es"], False, True, False, False, ("MO,TU,WE,TH,FR", "07:00", "15:00")),
    ("Harm Reduction Van", "Harm Reduction", ["en", "es"], True, True, True, False, ("TU,FR", "17:00", "23:00")),
    ("Neighbourhood Health Clinic", "Medical Clinic", ["en", "es", "vi"], False, True, False, False, ("MO,TU,WE,TH,FR", "08:00", "18:00")),
    ("Free Dental Day", "Dental Care", ["en"], True, False, False, False, ("SA", "09:00", "13:00")),
    ("Women's Health Centre", "Primary Care", ["en", "es"], False, True, True, False, ("MO,TU,WE,TH,FR", "09:00", "17:00")),
    ("Adult School GED", "GED Education", ["en", "es"], True, False, False, False, ("MO,WE", "18:00", "21:00")),
    ("English Conversation Club", "ESL Classes", ["es", "zh", "ar"], True, False, False, False, ("SA", "10:00", "12:00")),
    ("Job Readiness Workshop", "Job Training", ["en", "es"], True, True, True, False, ("TU,TH", "13:00", "16:00")),
    ("Benefits Navigation Desk", "Benefits Assistance", ["en", "es", "vi"], True, False, False, False, ("MO,TU,WE,TH,FR", "09:00", "16:00")),
    ("Bus Pass Programme", "Transportation Assistance", ["en"], True, False, False, False, ("MO,TU,WE,TH,FR", "09:00", "12:00")),
    ("Family Resource Centre", "Parenting Support", ["en", "es"], True, True, False, False, ("MO,TU,WE,TH,FR", "09:00", "17:00")),
    ("Childcare Subsidy Office", "Child Care Assistance", ["en", "es"], True, False, False, False, ("MO,TU,WE,TH", "08:30", "16:30")),
    ("ID Replacement Help", "Identification Documents", ["en", "es"], True, True, True, False, ("WE", "10:00", "14:00")),
    ("Youth Drop-in (12-24)", "Youth Shelter", ["en", "es"], True, True, True, False, ("SU,MO,TU,WE,TH,FR,SA", "16:00", "02:00")),
    ("Tenant Rights Hotline", "Tenant Rights", ["en", "es", "zh"], True, False, False, False, ("MO,TU,WE,TH,FR", "10:00", "18:00")),
    ("Survivor Advocacy Network", "Victim Advocacy", ["en", "es", "fr"], True, True, True, False, ("MO,TU,WE,TH,FR", "09:00", "21:00")),
    ("Night Street Outreach", "Street Outreach", ["en", "es"], True, True, True, False, ("TH,FR,SA", "21:00", "03:00")),
    ("Police Community Liaison", "Victim Rights", ["en"], True, False, False, True, ("MO,TU,WE,TH,FR", "09:00", "17:00")),
]
CONFIDENTIAL = {"Harbor Safe House"}


def _id(*parts: str) -> str:
    return str(uuid.uuid5(NS, ":".join(parts)))


def demo_tables() -> dict:
    t: dict[str, list[dict]] = {k: [] for k in (
        "organizations", "services", "locations", "service_at_locations", "addresses", "phones",
        "schedules", "languages", "taxonomies", "taxonomy_terms", "attributes")}
    t["taxonomies"].append({"id": _id("taxonomy"), "name": "Demo local categories", "description": "Synthetic"})
    t["taxonomies"].append({"id": str(FLAG_TAXONOMY_ID), "name": "Safe Haven directory flags", "description": "Flags"})
    for code, (_, label) in FLAG_TERMS.items():
        t["taxonomy_terms"].append({"id": str(uuid.uuid5(FLAG_TAXONOMY_ID, code)), "code": code, "name": label,
                                    "description": label, "taxonomy_id": str(FLAG_TAXONOMY_ID)})
    for i, (name, term, langs, free, ti, ss, police, (days, opens, closes)) in enumerate(SERVICES):
        org, svc, loc, sal = _id("org", name), _id("svc", name), _id("loc", name), _id("sal", name)
        t["organizations"].append({"id": org, "name": f"{name} (demo organisation)", "description": "Synthetic demo data."})
        t["services"].append({
            "id": svc, "organization_id": org, "name": name, "status": "active",
            "description": f"Synthetic demo service: {term.lower()}.",
            "minimum_age": 12 if "Youth" in name else None, "maximum_age": 24 if "Youth" in name else None,
        })
        t["locations"].append({
            "id": loc, "organization_id": org, "name": f"{name} site", "location_type": "physical",
            "latitude": round(CENTER[0] + ((i * 37) % 21 - 10) * 0.006, 5),
            "longitude": round(CENTER[1] + ((i * 53) % 21 - 10) * 0.006, 5),
        })
        t["service_at_locations"].append({"id": sal, "service_id": svc, "location_id": loc})
        t["addresses"].append({"id": _id("addr", name), "location_id": loc, "address_1": f"{100 + i * 10} Example Street",
                               "city": "Demo City", "state_province": "CA", "postal_code": "94000", "country": "US",
                               "address_type": "physical"})
        t["phones"].append({"id": _id("phone", name), "service_id": svc, "number": f"555-01{i:02d}"})
        t["schedules"].append({"id": _id("sched", name), "service_id": svc, "freq": "WEEKLY", "byday": days,
                               "opens_at": opens, "closes_at": closes})
        for code in langs:
            t["languages"].append({"id": _id("lang", name, code), "service_id": svc, "code": code, "name": code})
        term_id = _id("term", term)
        if not any(x["id"] == term_id for x in t["taxonomy_terms"]):
            t["taxonomy_terms"].append({"id": term_id, "name": term, "description": term, "taxonomy_id": _id("taxonomy")})
        t["attributes"].append({"id": _id("attr", name), "taxonomy_term_id": term_id, "link_id": svc, "link_entity": "service"})
        for code, value in (("sh-trauma-informed", ti), ("sh-serves-survivors", ss),
                            ("sh-involves-law-enforcement", police), ("sh-free", free)):
            t["attributes"].append({"id": _id("flag", name, code), "taxonomy_term_id": str(uuid.uuid5(FLAG_TAXONOMY_ID, code)),
                                    "link_id": svc, "link_entity": "service", "value": "true" if value else "false"})
    return t


@transaction.atomic
def load_demo_directory(stdout=None) -> None:
    """Create or refresh the synthetic demo directory."""
    report = import_tables(tables=demo_tables(), flavour="demo", by="safehaven demo")
    Location.objects.filter(public_id__in=[uuid.UUID(_id("loc", n)) for n in CONFIDENTIAL]).update(
        confidential_location=True
    )
    if stdout is not None:
        stdout.write(f"Directory: {report.imported.get('services', 0)} services added, "
                     f"{report.updated.get('services', 0)} refreshed.")
