from django.urls import path

from safehaven.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("two-factor/", views.verify_view, name="verify"),
    path("two-factor/setup/", views.enroll_view, name="enroll"),
    path("logout/", views.logout_view, name="logout"),
    path("unlock/", views.unlock_view, name="unlock"),
]
