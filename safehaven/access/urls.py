from django.urls import path

from safehaven.access import views

app_name = "access"
urlpatterns = [
    path("break-glass/", views.break_glass, name="break_glass"),
    path("review/", views.review, name="review"),
    path("review/<str:public_id>/", views.review_grant, name="review_grant"),
]
