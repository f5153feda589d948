from django.urls import path

from safehaven.training import views

app_name = "training"
urlpatterns = [
    path("", views.home, name="home"),
    path("staff/", views.staff_overview, name="staff"),
    path("settings/", views.clinic_settings, name="settings"),
    path("certificate/<str:public_id>/", views.certificate, name="certificate"),
    path("m/<str:code>/", views.module_detail, name="module"),
    path("m/<str:code>/pre-test/", views.take_test, {"kind": "pre"}, name="pre_test"),
    path("m/<str:code>/check/", views.take_test, {"kind": "post"}, name="check"),
]
