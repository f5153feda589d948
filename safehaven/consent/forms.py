import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safehaven.consent.models import (
    DATA_CATEGORIES,
    METHODS,
    PURPOSES,
    RECIPIENT_CATEGORIES,
    REPORT_RECIPIENTS,
    STEP_STATUSES,
)
from safehaven.consent.steps import STEP_BY_CODE
from safehaven.people.forms import clean_text

LANGUAGE_CHOICES = [("en", "English"), ("es", "Español"), ("fr", "Français")]


class StepAnswerForm(forms.Form):
    step = forms.ChoiceField(label=_("Step"), choices=[(c, s.label) for c, s in STEP_BY_CODE.items()])
    status = forms.ChoiceField(label=_("Their answer"), choices=STEP_STATUSES)
    preference = forms.CharField(label=_("Their preference"), max_length=30, required=False)
    note = forms.CharField(label=_("In their words (optional)"), max_length=500, required=False)
    # The answer the page showed for this step ("" when none): a stale yes or no is refused.
    seen = forms.CharField(required=False, max_length=36, widget=forms.HiddenInput)

    def clean_note(self):
        return clean_text(self.cleaned_data["note"])


class GrantForm(forms.Form):
    provision = forms.ChoiceField(
        label=_("Their decision"),
        choices=[("permit", _("They allow this sharing")), ("deny", _("They refuse this sharing"))],
        initial="permit",
    )
    recipient_kind = forms.ChoiceField(
        label=_("Who would receive it"),
        choices=[
            ("organization", _("A partner organisation")),
            ("service", _("A named service")),
            ("category", _("Any recipient of one kind")),
        ],
    )
    recipient_label = forms.CharField(
        label=_("Recipient's name"), max_length=200,
        help_text=_("As the person would recognise it."),
    )
    recipient_ref = forms.CharField(
        label=_("Directory identifier of the organisation or service"), max_length=64, required=False,
        help_text=_("Needed for an organisation or a named service."),
    )
    recipient_category = forms.ChoiceField(label=_("Kind of recipient"), choices=RECIPIENT_CATEGORIES)
    purposes = forms.MultipleChoiceField(
        label=_("For what"), choices=PURPOSES, widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one purpose.")},
    )
    categories = forms.MultipleChoiceField(
        label=_("Which information"), choices=DATA_CATEGORIES, widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one kind of information.")},
    )
    expires_on = forms.DateField(
        label=_("Ends on"), widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Every consent ends. At most one year from today."),
        error_messages={"required": _("Give an end date. Every consent must end.")},
    )
    method = forms.ChoiceField(label=_("How they gave it"), choices=METHODS)
    signature_name = forms.CharField(
        label=_("Typed signature (their name as they sign it)"), max_length=150, required=False
    )
    signature_image = forms.CharField(required=False, max_length=20000, widget=forms.HiddenInput)
    witness_name = forms.CharField(label=_("Witness (for verbal consent)"), max_length=150, required=False)
    language = forms.ChoiceField(label=_("Language it was explained in"), choices=LANGUAGE_CHOICES)
    informed = forms.BooleanField(
        label=_("I explained what will be shared, with whom, for how long, and that they can change their mind at any time without losing any care."),
        required=False,
    )
    explicit_protected = forms.BooleanField(
        label=_("They asked for this sharing with law enforcement or immigration themselves."),
        required=False,
    )

    def clean_recipient_label(self):
        value = clean_text(self.cleaned_data["recipient_label"])
        if not value:
            raise forms.ValidationError(_("Write the recipient's name."))
        return value

    def clean_recipient_ref(self):
        return clean_text(self.cleaned_data["recipient_ref"])

    def clean_signature_name(self):
        return clean_text(self.cleaned_data["signature_name"])

    def clean_witness_name(self):
        return clean_text(self.cleaned_data["witness_name"])

    def clean_expires_on(self):
        day = self.cleaned_data["expires_on"]
        if day <= timezone.localdate():
            raise forms.ValidationError(_("The end date must be in the future."))
        return day

    def expires_at(self) -> datetime.datetime:
        day = self.cleaned_data["expires_on"]
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time(23, 59)))


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("Reason (optional; never required)"), max_length=300, required=False)
    # The version of the consent the page showed: a withdrawal from a stale page is refused.
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def clean_reason(self):
        return clean_text(self.cleaned_data["reason"])


class RequiredReportForm(forms.Form):
    recipient_category = forms.ChoiceField(label=_("Reported to"), choices=REPORT_RECIPIENTS)
    agency = forms.CharField(label=_("Agency name"), max_length=200)
    legal_basis = forms.CharField(
        label=_("Law that requires the report"), max_length=200,
        help_text=_("For example: the state's mandated reporter law for minors."),
    )
    categories = forms.MultipleChoiceField(
        label=_("Information reported"), choices=DATA_CATEGORIES, widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose what kinds of information were reported.")},
    )
    person_told = forms.BooleanField(label=_("They have been told about this report"), required=False)
    how_told = forms.CharField(label=_("How and by whom they were told"), max_length=500, required=False)
    notes = forms.CharField(label=_("Notes"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def clean_agency(self):
        value = clean_text(self.cleaned_data["agency"])
        if not value:
            raise forms.ValidationError(_("Name the agency."))
        return value

    def clean_legal_basis(self):
        value = clean_text(self.cleaned_data["legal_basis"])
        if not value:
            raise forms.ValidationError(_("Name the law that requires the report."))
        return value

    def clean_how_told(self):
        return clean_text(self.cleaned_data["how_told"])

    def clean_notes(self):
        return clean_text(self.cleaned_data["notes"])


class ReportToldForm(forms.Form):
    how_told = forms.CharField(
        label=_("How and by whom they were told"), max_length=500,
        error_messages={"required": _("Say how they were told about the report.")},
    )

    def clean_how_told(self):
        value = clean_text(self.cleaned_data["how_told"])
        if not value:
            raise forms.ValidationError(_("Say how they were told about the report."))
        return value


class FhirImportForm(forms.Form):
    resource = forms.CharField(
        label=_("FHIR Consent or Bundle (JSON)"), max_length=200000,
        widget=forms.Textarea(attrs={"rows": 10}),
    )
    holds_original = forms.BooleanField(
        label=_("We hold the signed or witnessed original of these consents."),
        error_messages={"required": _("Confirm that the clinic holds the original consents.")},
    )
