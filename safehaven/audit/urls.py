from django.urls import path

from safehaven.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.log, name="log"),
    path("people/<str:public_id>/", views.person_access, name="person"),
]
