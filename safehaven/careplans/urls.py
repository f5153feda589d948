from django.urls import path

from safehaven.careplans import views

app_name = "careplans"
urlpatterns = [
    path("caseload/", views.caseload, name="caseload"),
    path("tasks/<str:public_id>/status/", views.task_status, name="task_status"),
    path("needs/<str:public_id>/", views.assessment, name="assessment"),
    path("goals/<str:public_id>/status/", views.goal_status, name="goal_status"),
    path("goals/<str:public_id>/steps/", views.add_step, name="add_step"),
    path("steps/<str:public_id>/", views.update_step, name="update_step"),
    path("conferences/<str:public_id>/", views.conference, name="conference"),
    path(
        "conferences/<str:public_id>/outside/<str:attendee_id>/",
        views.conference_external, name="conference_external",
    ),
    path("people/<str:public_id>/needs/", views.needs, name="needs"),
    path("people/<str:public_id>/plan/", views.plan, name="plan"),
    path("people/<str:public_id>/plan/goals/", views.add_goal, name="add_goal"),
    path("people/<str:public_id>/plan/print/", views.print_plan, name="print"),
    path("people/<str:public_id>/safety/", views.safety_plan, name="safety"),
    path("people/<str:public_id>/contacts/", views.contacts, name="contacts"),
    path("people/<str:public_id>/conferences/new/", views.new_conference, name="new_conference"),
    path("people/<str:public_id>/timeline/", views.timeline, name="timeline"),
]
