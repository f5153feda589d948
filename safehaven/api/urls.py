from django.urls import path

from safehaven.api import views

app_name = "api"
urlpatterns = [
    path("openapi.json", views.openapi, name="openapi"),
    path("v1/people", views.people, name="people"),
    path("v1/people/<str:public_id>", views.person, name="person"),
]
