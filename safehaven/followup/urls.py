from django.urls import path

from safehaven.followup import views

app_name = "followup"
urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("day/", views.day, name="day"),
    path("outreach/", views.outreach, name="outreach"),
    path("outreach/<str:public_id>/", views.outreach_update, name="outreach_update"),
    path("person/<str:public_id>/event/", views.record_event, name="event"),
    path("person/<str:public_id>/book/", views.book, name="book"),
    path("person/<str:public_id>/reminder/", views.reminder, name="reminder"),
    path("person/<str:public_id>/outcomes/", views.person_outcomes, name="person_outcomes"),
    path("due/<str:public_id>/", views.due_item, name="due"),
    path("appointment/<str:public_id>/status/", views.appointment_status, name="appointment_status"),
    path("protocols/", views.protocols, name="protocols"),
    path("protocols/step/<str:public_id>/", views.step_edit, name="step"),
    path("templates/", views.templates, name="templates"),
    path("outcomes/", views.clinic_outcomes, name="outcomes"),
]
