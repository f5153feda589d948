from django.urls import path

from safehaven.fhir import views

app_name = "fhir"
urlpatterns = [
    path("r4/", views.base, name="base"),
    path("r4/metadata", views.metadata, name="metadata"),
    path("r4/$export", views.export_system, name="export_system"),
    path("r4/Patient/$export", views.export_patients, name="export_patients"),
    path("r4/Group/<str:group_id>/$export", views.export_group, name="export_group"),
    path("r4/bulk/<uuid:job_id>", views.export_status, name="export_status"),
    path("r4/bulk/<uuid:job_id>/<str:filename>", views.export_file, name="export_file"),
    path("r4/<str:resource_type>", views.type_search, name="search"),
    path("r4/<str:resource_type>/<str:resource_id>", views.read, name="read"),
]
