"""Root URL configuration. Each capability mounts its own urls module here."""

from django.urls import include, path

from safehaven.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home-root"),
    path("", include("safehaven.core.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("safehaven.accounts.urls")),
    path("people/", include("safehaven.people.urls")),
    path("access/", include("safehaven.access.urls")),
    path("audit/", include("safehaven.audit.urls")),
    path("api/", include("safehaven.api.urls")),
]
