from django.urls import path

from safehaven.core import views

app_name = "core"
urlpatterns = [
    path("home/", views.home, name="home"),
    path("weather/", views.neutral, name="neutral"),
    path("healthz", views.healthz, name="healthz"),
    path("robots.txt", views.robots, name="robots"),
]
