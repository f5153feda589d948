from django.urls import path

from safehaven.evaluation import views

app_name = "evaluation"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("research/", views.research_extract, name="research"),
]
