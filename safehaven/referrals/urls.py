from django.urls import path

from safehaven.referrals import views

app_name = "referrals"
urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("settings/", views.policy, name="policy"),
    path("new/<str:person_id>/", views.new, name="new"),
    path("<str:public_id>/", views.detail, name="detail"),
    path("<str:public_id>/send/", views.send, name="send"),
    path("<str:public_id>/status/", views.change_status, name="status"),
    path("<str:public_id>/link/", views.make_link, name="make_link"),
    path("<str:public_id>/link/<str:link_id>/revoke/", views.revoke_link, name="revoke_link"),
    path("<str:public_id>/help/", views.help_answer, name="help_answer"),
]
