import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safehaven.people.models import (
    AGE_BANDS,
    CONTACT_CHANNELS,
    GENDER_PREFERENCES,
    LANGUAGES,
    Encounter,
    Note,
)

# Bidirectional embedding, override and isolate controls: they can reverse how the text after
# them is shown ("Trojan Source"). Right-to-left scripts display correctly without them.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def clean_text(value: str) -> str:
    """Strip control characters (except new lines and tabs) and bidi overrides from free text."""
    return "".join(
        c for c in value
        if c in "\n\t" or (ord(c) >= 32 and not 127 <= ord(c) < 160 and c not in BIDI_CONTROLS)
    ).strip()


class RegisterPersonForm(forms.Form):
    chosen_name = forms.CharField(
        label=_("Name they use"), max_length=150,
        error_messages={"required": _("Enter the name they use.")},
        help_text=_("Shown everywhere. Ask what they would like to be called."),
    )
    legal_name = forms.CharField(
        label=_("Legal name"), max_length=200, required=False,
        help_text=_("Optional. Kept encrypted and shown only when someone asks to see it."),
    )
    pronouns = forms.CharField(label=_("Pronouns"), max_length=40, required=False)
    date_of_birth = forms.DateField(
        label=_("Date of birth"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Or choose an age band below if they prefer not to say."),
    )
    age_band = forms.ChoiceField(label=_("Age band"), choices=[("", "—")] + AGE_BANDS, required=False)
    preferred_language = forms.ChoiceField(label=_("Preferred language"), choices=LANGUAGES)
    interpreter_needed = forms.BooleanField(label=_("Needs an interpreter"), required=False)
    clinician_gender_preference = forms.ChoiceField(
        label=_("Prefers to be seen by"), choices=GENDER_PREFERENCES, required=False
    )
    safety_note = forms.CharField(
        label=_("Safety note for the care team"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: see them alone; a companion may answer for them."),
    )
    do_not_contact = forms.BooleanField(
        label=_("Do not contact them outside visits"), required=False, initial=True
    )
    channels = forms.MultipleChoiceField(
        label=_("Ways we may reach them"), choices=CONTACT_CHANNELS, required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    phone = forms.CharField(label=_("Safe phone number"), max_length=40, required=False)
    email = forms.EmailField(label=_("Safe email address"), required=False)
    safe_hours_start = forms.TimeField(
        label=_("Safe to contact from"), initial=datetime.time(9, 0),
        widget=forms.TimeInput(attrs={"type": "time"}),
    )
    safe_hours_end = forms.TimeField(
        label=_("Safe to contact until"), initial=datetime.time(17, 0),
        widget=forms.TimeInput(attrs={"type": "time"}),
    )
    voicemail_ok = forms.BooleanField(label=_("Voicemail is safe"), required=False)
    neutral_sender = forms.CharField(
        label=_("Name to show as the sender"), max_length=60, initial="Appointment reminder"
    )
    time_zone = forms.CharField(
        label=_("Their time zone"), max_length=64, initial="America/Los_Angeles", required=False,
        help_text=_("For example America/Los_Angeles or America/Mexico_City."),
    )
    code_word = forms.CharField(label=_("Code word"), max_length=60, required=False)
    confirm_new = forms.BooleanField(
        label=_("I checked: this is a different person"), required=False, widget=forms.HiddenInput
    )

    def clean_chosen_name(self):
        value = clean_text(self.cleaned_data["chosen_name"])
        if not value:
            raise forms.ValidationError(_("Enter the name they use."))
        return value

    def clean_legal_name(self):
        return clean_text(self.cleaned_data["legal_name"])

    def clean_time_zone(self):
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        value = self.cleaned_data["time_zone"].strip() or "America/Los_Angeles"
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise forms.ValidationError(_("That is not a time zone we know, e.g. America/Chicago.")) from None
        return value

    def clean_safety_note(self):
        return clean_text(self.cleaned_data["safety_note"])

    def clean_date_of_birth(self):
        dob = self.cleaned_data.get("date_of_birth")
        if dob is None:
            return None
        today = timezone.localdate()
        if dob > today:
            raise forms.ValidationError(_("The date of birth cannot be in the future."))
        if dob < today.replace(year=today.year - 120):
            raise forms.ValidationError(_("The date of birth is more than 120 years ago."))
        return dob

    def clean(self):
        data = super().clean()
        if not data.get("date_of_birth") and not data.get("age_band"):
            self.add_error("age_band", _("Give a date of birth or choose an age band."))
        channels = data.get("channels") or []
        if not data.get("do_not_contact"):
            if "sms" in channels or "phone" in channels:
                if not data.get("phone"):
                    self.add_error("phone", _("Give a safe number for calls or texts."))
            if "email" in channels and not data.get("email"):
                self.add_error("email", _("Give a safe email address."))
        return data

    def contact(self) -> dict:
        data = self.cleaned_data
        return {
            "channels": list(data.get("channels") or []),
            "phone": data.get("phone") or "",
            "email": data.get("email") or "",
            "safe_hours_start": data["safe_hours_start"],
            "safe_hours_end": data["safe_hours_end"],
            "time_zone": data.get("time_zone") or "America/Los_Angeles",
            "voicemail_ok": bool(data.get("voicemail_ok")),
            "neutral_sender": clean_text(data.get("neutral_sender") or "") or "Appointment reminder",
            "code_word": data.get("code_word") or "",
            "do_not_contact": bool(data.get("do_not_contact")),
        }


class EditPersonForm(RegisterPersonForm):
    """The registration form without the duplicate check, carrying the version read."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["confirm_new"]

    @classmethod
    def initial_for(cls, person) -> dict:
        prefs = getattr(person, "contact", None)
        initial = {
            "chosen_name": person.chosen_name, "legal_name": person.legal_name,
            "pronouns": person.pronouns, "date_of_birth": person.date_of_birth,
            "age_band": person.age_band, "preferred_language": person.preferred_language,
            "interpreter_needed": person.interpreter_needed,
            "clinician_gender_preference": person.clinician_gender_preference,
            "safety_note": person.safety_note, "version": person.version,
        }
        if prefs is not None:
            initial.update(
                do_not_contact=prefs.do_not_contact, channels=prefs.channels, phone=prefs.phone,
                email=prefs.email, safe_hours_start=prefs.safe_hours_start,
                safe_hours_end=prefs.safe_hours_end, voicemail_ok=prefs.voicemail_ok,
                neutral_sender=prefs.neutral_sender, code_word=prefs.code_word,
                time_zone=prefs.time_zone,
            )
        return initial

    def person_changes(self) -> dict:
        data = self.cleaned_data
        return {
            key: data[key]
            for key in (
                "chosen_name", "legal_name", "pronouns", "date_of_birth", "age_band",
                "preferred_language", "interpreter_needed", "clinician_gender_preference",
                "safety_note",
            )
        }


class EncounterForm(forms.Form):
    chief_complaint = forms.CharField(
        label=_("What brings them in today, in their words"), max_length=2000,
        error_messages={"required": _("Write what brings them in today.")},
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    setting = forms.ChoiceField(label=_("Setting"), choices=Encounter.SETTINGS)

    def clean_chief_complaint(self):
        value = clean_text(self.cleaned_data["chief_complaint"])
        if not value:
            raise forms.ValidationError(_("Write what brings them in today."))
        return value


class NoteForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of note"), choices=Note.KINDS)
    body = forms.CharField(
        label=_("Note"), max_length=20000, widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={"required": _("The note is empty.")},
    )

    def clean_body(self):
        value = clean_text(self.cleaned_data["body"])
        if not value:
            raise forms.ValidationError(_("The note is empty."))
        return value


class TeamMemberForm(forms.Form):
    username = forms.CharField(label=_("Staff username"), max_length=150)
