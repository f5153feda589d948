import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safehaven.followup.models import EVENTS, REMINDER_CHANNELS, TEMPLATE_KINDS
from safehaven.people.forms import clean_text


class EventForm(forms.Form):
    kind = forms.ChoiceField(label=_("What happened"), choices=EVENTS)
    occurred_on = forms.DateField(label=_("On"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean_occurred_on(self):
        day = self.cleaned_data["occurred_on"]
        today = timezone.localdate()
        if day > today:
            raise forms.ValidationError(_("The date cannot be in the future."))
        if day < today - datetime.timedelta(days=3650):
            raise forms.ValidationError(_("The date is more than ten years ago."))
        return day


class DueActionForm(forms.Form):
    action = forms.ChoiceField(
        label=_("Mark as"), choices=[("complete", _("Done")), ("cancel", _("Not needed"))]
    )
    completed_on = forms.DateField(
        label=_("Done on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean_completed_on(self):
        day = self.cleaned_data.get("completed_on")
        if day and day > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return day


class AppointmentForm(forms.Form):
    clinician = forms.ChoiceField(label=_("Clinician"))
    starts_at = forms.DateTimeField(
        label=_("Date and time"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    minutes = forms.IntegerField(label=_("Length (minutes)"), min_value=10, max_value=240, initial=30)
    room = forms.CharField(label=_("Where (room)"), max_length=60, required=False)
    interpreter_arranged = forms.BooleanField(label=_("An interpreter is arranged"), required=False)
    preference_note = forms.CharField(
        label=_("If the clinician does not match their preference: they chose this because"),
        max_length=300, required=False,
    )

    def __init__(self, *args, clinicians=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.clinicians = {str(u.public_id): u for u in clinicians}
        self.fields["clinician"].choices = [
            (str(u.public_id), f"{u.name}" + (f" ({u.get_gender_display()})" if u.gender else ""))
            for u in clinicians
        ]

    def clean_room(self):
        return clean_text(self.cleaned_data["room"])

    def clean_preference_note(self):
        return clean_text(self.cleaned_data["preference_note"])

    def clean_starts_at(self):
        value = self.cleaned_data["starts_at"]
        if value < timezone.now() - datetime.timedelta(hours=1):
            raise forms.ValidationError(_("The time is in the past."))
        if value > timezone.now() + datetime.timedelta(days=730):
            raise forms.ValidationError(_("Book no more than two years ahead."))
        return value

    def clinician_user(self):
        return self.clinicians[self.cleaned_data["clinician"]]


class AppointmentStatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Visit"),
        choices=[("arrived", _("Arrived")), ("fulfilled", _("Seen")), ("noshow", _("Missed")),
                 ("cancelled", _("Cancelled"))],
    )


class OutreachForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("in-progress", _("In progress")), ("completed", _("Done")), ("cancelled", _("Cancelled"))],
    )
    note = forms.CharField(label=_("What happened"), max_length=2000, required=False,
                           widget=forms.Textarea(attrs={"rows": 3}))

    def clean_note(self):
        return clean_text(self.cleaned_data["note"])


class ReminderForm(forms.Form):
    kind = forms.ChoiceField(label=_("Message"), choices=TEMPLATE_KINDS)
    channel = forms.ChoiceField(label=_("Send by"), choices=REMINDER_CHANNELS)
    appointment = forms.ChoiceField(label=_("For the visit"), required=False)

    def __init__(self, *args, visits=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.visits = {str(v.public_id): v for v in visits}
        self.fields["appointment"].choices = [("", "—")] + [
            (key, timezone.localtime(v.starts_at).strftime("%Y-%m-%d %H:%M")) for key, v in self.visits.items()
        ]

    def clean(self):
        data = super().clean()
        if data.get("kind") == "appointment" and not data.get("appointment"):
            self.add_error("appointment", _("Choose the visit this reminder is for."))
        return data

    def visit(self):
        return self.visits.get(self.cleaned_data.get("appointment") or "")


class StepForm(forms.Form):
    label = forms.CharField(label=_("What is due"), max_length=150)
    offset_days = forms.IntegerField(label=_("Days after the event"), min_value=0, max_value=3650)
    grace_days = forms.IntegerField(label=_("Days before it counts as overdue"), min_value=0, max_value=730)
    repeat_every_days = forms.IntegerField(
        label=_("Then repeat every (days)"), min_value=7, max_value=3650, required=False,
        help_text=_("Leave empty if it does not repeat."),
    )
    min_age = forms.IntegerField(label=_("From age"), min_value=0, max_value=120, required=False)
    max_age = forms.IntegerField(label=_("Up to age"), min_value=0, max_value=120, required=False)
    source = forms.CharField(label=_("Source"), max_length=300, required=False)
    clinic_choice = forms.BooleanField(label=_("The interval is a clinic choice, not a guideline"), required=False)
    active = forms.BooleanField(label=_("In use"), required=False)

    def clean_label(self):
        value = clean_text(self.cleaned_data["label"])
        if not value:
            raise forms.ValidationError(_("Say what is due."))
        return value

    def clean_source(self):
        return clean_text(self.cleaned_data["source"])

    def clean(self):
        data = super().clean()
        low, high = data.get("min_age"), data.get("max_age")
        if low is not None and high is not None and low > high:
            self.add_error("max_age", _("The upper age is below the lower age."))
        return data


class TemplateForm(forms.Form):
    subject = forms.CharField(label=_("Email subject"), max_length=100)
    body = forms.CharField(
        label=_("Message"), max_length=600, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("You can use {sender}, {date}, {time}, {code_word} and {clinic_name} "
                    "(shown only to people who allowed the clinic's name)."),
    )

    def clean_subject(self):
        value = clean_text(self.cleaned_data["subject"])
        if not value:
            raise forms.ValidationError(_("Write a subject."))
        return value

    def clean_body(self):
        value = clean_text(self.cleaned_data["body"])
        if not value:
            raise forms.ValidationError(_("Write the message."))
        return value
