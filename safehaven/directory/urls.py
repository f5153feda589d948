from django.urls import path

from safehaven.directory import views

app_name = "directory"
urlpatterns = [
    path("", views.search, name="search"),
    path("services/<str:public_id>/", views.service_detail, name="service"),
]
