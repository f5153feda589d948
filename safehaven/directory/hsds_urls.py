from django.urls import path

from safehaven.directory import hsds_views as v

app_name = "hsds"
urlpatterns = [
    path("", v.root, name="root"),
    path("services", v.services, name="services"),
    path("services/<str:id>", v.service, name="service"),
    path("organizations", v.organizations, name="organizations"),
    path("organizations/<str:id>", v.organization, name="organization"),
    path("service_at_locations", v.service_at_locations, name="service_at_locations"),
    path("service_at_locations/<str:id>", v.service_at_location, name="service_at_location"),
    path("taxonomies", v.taxonomies, name="taxonomies"),
    path("taxonomies/<str:id>", v.taxonomy, name="taxonomy"),
    path("taxonomy_terms", v.taxonomy_terms, name="taxonomy_terms"),
    path("taxonomy_terms/<str:id>", v.taxonomy_term, name="taxonomy_term"),
]
