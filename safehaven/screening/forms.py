from django import forms
from django.utils.translation import gettext_lazy as _

from safehaven.people.forms import clean_text
from safehaven.screening.models import CONCERN_CODES, CUES, CueObservation, ResponseTask

YES_NO = [("yes", _("Yes")), ("no", _("No"))]


class PrivacyForm(forms.Form):
    alone = forms.ChoiceField(
        label=_("Is the person on their own with you right now (no companion, no one listening)?"),
        choices=YES_NO, widget=forms.RadioSelect,
    )


class EducationForm(forms.Form):
    accepted = forms.ChoiceField(
        label=_("Did they take the information (card, leaflet or conversation)?"),
        choices=[("yes", _("Yes")), ("no", _("No, not today"))], widget=forms.RadioSelect,
    )


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(
        choices=[("completed", _("Finished")), ("declined", _("They said no, thank you")),
                 ("deferred", _("Another time"))],
    )
    note = forms.CharField(label=_("Note (optional)"), required=False, max_length=1000,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def clean_note(self):
        return clean_text(self.cleaned_data["note"])


class ImportForm(forms.Form):
    files = forms.FileField(label=_("Questionnaire JSON file"))


class InstrumentStatusForm(forms.Form):
    """Offer an instrument in new sessions ("1") or retire it ("0")."""

    active = forms.ChoiceField(choices=[("1", _("Offer")), ("0", _("Retire"))])


class TaskForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=ResponseTask.STATUSES)
    resources_offered = forms.CharField(
        label=_("Resources offered"), required=False, max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    choices = forms.CharField(
        label=_("What the person chose"), required=False, max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_resources_offered(self):
        return clean_text(self.cleaned_data["resources_offered"])

    def clean_choices(self):
        return clean_text(self.cleaned_data["choices"])


class ConcernForm(forms.Form):
    code = forms.ChoiceField(label=_("Health concern (ICD-10-CM)"), choices=[("", "—")] + CONCERN_CODES)
    decided_with_person = forms.BooleanField(
        label=_("I decided this together with the person"), required=False,
    )
    in_record = forms.BooleanField(label=_("They agree it is written in the record"), required=False)
    on_printouts = forms.BooleanField(label=_("It may appear on printouts"), required=False)
    on_portal = forms.BooleanField(label=_("It may appear in patient-portal views"), required=False)
    on_claims = forms.BooleanField(label=_("It may appear on insurance claims"), required=False)
    on_exports = forms.BooleanField(label=_("It may appear in exports and record exchange"), required=False)
    note = forms.CharField(label=_("Note (optional)"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def clean_note(self):
        return clean_text(self.cleaned_data["note"])

    def clean(self):
        data = super().clean()
        if not data.get("decided_with_person"):
            self.add_error(
                "decided_with_person",
                _("Decide with the person first how this is written down and where it may appear."),
            )
        return data


class ReportForm(forms.Form):
    agency = forms.CharField(label=_("Agency"), max_length=200, required=False)
    reference = forms.CharField(label=_("Reference of the report"), max_length=200, required=False)
    reported = forms.BooleanField(label=_("The report has been made"), required=False)
    young_person_told = forms.BooleanField(label=_("The young person was told about the report"),
                                           required=False)

    def clean_agency(self):
        return clean_text(self.cleaned_data["agency"])

    def clean_reference(self):
        return clean_text(self.cleaned_data["reference"])

    def clean(self):
        data = super().clean()
        if data.get("reported") and not data.get("reference"):
            self.add_error("reference", _("Give the reference of the report."))
        return data


class CueForm(forms.Form):
    cues = forms.MultipleChoiceField(label=_("What you noticed"), choices=CUES, required=False,
                                     widget=forms.CheckboxSelectMultiple)
    offered = forms.ChoiceField(label=_("What you offered"), choices=CueObservation.OFFERS,
                                widget=forms.RadioSelect)
    note = forms.CharField(label=_("Note (optional)"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def clean_note(self):
        return clean_text(self.cleaned_data["note"])
