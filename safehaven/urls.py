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
    path("screening/", include("safehaven.screening.urls")),
    path("consent/", include("safehaven.consent.urls")),
    path("care/", include("safehaven.careplans.urls")),
    path("directory/", include("safehaven.directory.urls")),
    path("referrals/", include("safehaven.referrals.urls")),
    path("follow-up/", include("safehaven.followup.urls")),
    path("training/", include("safehaven.training.urls")),
    path("evaluation/", include("safehaven.evaluation.urls")),
    path("fhir/", include("safehaven.fhir.urls")),
    path("hsds/", include("safehaven.directory.hsds_urls")),
    path("partner/", include("safehaven.referrals.partner_urls")),
]
