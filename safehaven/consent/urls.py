from django.urls import path

from safehaven.consent import views

app_name = "consent"
urlpatterns = [
    path("expiring/", views.expiring_page, name="expiring"),
    path("form.pdf", views.blank_form_pdf, name="blank_form_pdf"),
    path("encounters/<str:public_id>/steps/", views.encounter_steps, name="encounter_steps"),
    path("people/<str:public_id>/", views.person_consents, name="person"),
    path("people/<str:public_id>/new/", views.new_grant, name="new_grant"),
    path("people/<str:public_id>/reports/new/", views.new_report, name="new_report"),
    path("people/<str:public_id>/disclosures/", views.disclosure_log, name="disclosures"),
    path("people/<str:public_id>/disclosures.pdf", views.disclosure_log_pdf, name="disclosures_pdf"),
    path("people/<str:public_id>/summary.pdf", views.summary_pdf, name="summary_pdf"),
    path("people/<str:public_id>/fhir/", views.fhir_export, name="fhir_export"),
    path("people/<str:public_id>/fhir/import/", views.fhir_import, name="fhir_import"),
    path("reports/<str:public_id>/told/", views.report_told, name="report_told"),
    path("grants/<str:public_id>/revoke/", views.revoke_grant, name="revoke"),
    path("grants/<str:public_id>/form.pdf", views.grant_pdf, name="grant_pdf"),
]
