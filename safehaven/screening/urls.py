from django.urls import path

from safehaven.screening import views

app_name = "screening"
urlpatterns = [
    path("instruments/", views.instruments, name="instruments"),
    path("instruments/<str:instrument_id>/status/", views.instrument_status, name="instrument_status"),
    path("people/<str:public_id>/start/", views.start, name="start"),
    path("people/<str:public_id>/cues/", views.cues, name="cues"),
    path("sessions/<str:public_id>/", views.session_view, name="session"),
    path("sessions/<str:public_id>/ask/<str:instrument_id>/", views.ask, name="ask"),
    path("sessions/<str:public_id>/tablet/", views.tablet, name="tablet"),
    path("sessions/<str:public_id>/tablet/<str:instrument_id>/", views.tablet_ask, name="tablet_ask"),
    path("sessions/<str:public_id>/hand-back/", views.handback, name="handback"),
    path("tasks/<str:public_id>/", views.task_view, name="task"),
    path("reports/<str:public_id>/", views.report_view, name="report"),
    path("encounters/<str:public_id>/summary.pdf", views.visit_summary, name="visit_summary"),
]
