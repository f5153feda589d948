from django.urls import path

from safehaven.referrals import partner_views

app_name = "partner"
urlpatterns = [
    path("", partner_views.partner_list, name="list"),
    path("referrals/<str:public_id>/", partner_views.partner_referral, name="referral"),
    path("r/<str:token>/", partner_views.link, name="link"),
]
