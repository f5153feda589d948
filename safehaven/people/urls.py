from django.urls import path

from safehaven.people import views

app_name = "people"
urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("register/", views.register, name="register"),
    path("<str:public_id>/", views.person_chart, name="chart"),
    path("<str:public_id>/edit/", views.edit_person, name="edit"),
    path("<str:public_id>/encounters/new/", views.start_encounter, name="start_encounter"),
    path("<str:public_id>/encounters/", views.encounter_history, name="encounters"),
    path("<str:public_id>/team/", views.care_team, name="care_team"),
    path("encounters/<str:public_id>/", views.encounter_detail, name="encounter"),
]
