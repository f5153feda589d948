import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safehaven.careplans.models import (
    CONTACT_ATTEMPT_CHANNELS,
    CONTACT_OUTCOMES,
    GOAL_STATUSES,
    NEED_STATUSES,
    PRIORITIES,
    STEP_OWNERS,
    TASK_PRIORITIES,
    TASK_STATUSES,
)
from safehaven.people.forms import clean_text


class AssessmentForm(forms.Form):
    """One row per need domain: status, the person's own priority, notes (and emergency)."""

    summary = forms.CharField(
        label=_("Anything they want noted overall"), required=False, max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, domains, initial_ratings=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.domains = list(domains)
        initial_ratings = initial_ratings or {}
        for d in self.domains:
            before = initial_ratings.get(d.code)
            name = d.display
            self.fields[f"status_{d.code}"] = forms.ChoiceField(
                label=_("%(domain)s: status") % {"domain": name}, choices=NEED_STATUSES, required=False,
                initial=before.status if before else "not_assessed",
            )
            self.fields[f"priority_{d.code}"] = forms.ChoiceField(
                label=_("%(domain)s: their priority") % {"domain": name}, choices=PRIORITIES,
                required=False, initial=before.priority if before else "",
            )
            self.fields[f"notes_{d.code}"] = forms.CharField(
                label=_("%(domain)s: notes") % {"domain": name}, required=False, max_length=4000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            if d.has_emergency:
                self.fields[f"emergency_{d.code}"] = forms.BooleanField(
                    label=_("%(domain)s: emergency — start the urgent pathway today") % {"domain": name},
                    required=False,
                )

    def rows(self):
        """Yield (domain, [bound fields]) for the template."""
        for d in self.domains:
            names = [f"status_{d.code}", f"priority_{d.code}", f"notes_{d.code}"]
            if d.has_emergency:
                names.append(f"emergency_{d.code}")
            yield d, [self[n] for n in names]

    def clean(self):
        data = super().clean()
        for key, value in list(data.items()):
            if isinstance(value, str) and (key.startswith("notes_") or key == "summary"):
                data[key] = clean_text(value)
        for d in self.domains:
            if d.has_emergency and data.get(f"emergency_{d.code}") and data.get(f"status_{d.code}") not in {"crisis", "urgent"}:
                self.add_error(
                    f"status_{d.code}",
                    _("An emergency needs the status “Crisis” or “Urgent need”."),
                )
        return data

    def ratings(self) -> dict[str, dict]:
        data = self.cleaned_data
        return {
            d.code: {
                "status": data.get(f"status_{d.code}") or "not_assessed",
                "priority": data.get(f"priority_{d.code}") or "",
                "notes": data.get(f"notes_{d.code}") or "",
                "emergency": bool(data.get(f"emergency_{d.code}")),
            }
            for d in self.domains
        }


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class PlanSettingsForm(VersionForm):
    print_heading = forms.CharField(
        label=_("Heading on their printed plan"), required=False, max_length=120,
        help_text=_("Leave empty for the neutral heading “My plan”. Use other words only if they ask."),
    )
    exit_planning_chosen = forms.BooleanField(
        label=_("They asked to plan leaving their situation"), required=False,
        help_text=_("Optional and led by them. Nothing in the plan depends on it."),
    )
    exit_planning = forms.CharField(
        label=_("Their exit plan, in their words"), required=False, max_length=8000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self):
        data = super().clean()
        data["print_heading"] = clean_text(data.get("print_heading") or "")
        data["exit_planning"] = clean_text(data.get("exit_planning") or "")
        if data["exit_planning"] and not data.get("exit_planning_chosen"):
            self.add_error(
                "exit_planning", _("Exit planning is written only when they ask for it. Tick the box first."),
            )
        return data


class GoalForm(VersionForm):
    description = forms.CharField(
        label=_("The goal, in their own words"), max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    domains = forms.MultipleChoiceField(
        label=_("Related needs"), required=False, widget=forms.CheckboxSelectMultiple,
    )
    status = forms.ChoiceField(
        label=_("Status"), initial="active",
        choices=[(c, label) for c, label in GOAL_STATUSES if c in {"proposed", "planned", "accepted", "active"}],
    )

    def __init__(self, *args, domains=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["domains"].choices = [(d.code, d.display) for d in domains]

    def clean_description(self):
        value = clean_text(self.cleaned_data["description"])
        if not value:
            raise forms.ValidationError(_("Write the goal as they said it."))
        return value


class GoalStatusForm(VersionForm):
    status = forms.ChoiceField(label=_("New status"), choices=GOAL_STATUSES)


class StepForm(VersionForm):
    description = forms.CharField(label=_("Next step"), max_length=1000)
    owner_kind = forms.ChoiceField(label=_("Who does it"), choices=STEP_OWNERS)
    partner_name = forms.CharField(label=_("Partner (if a partner does it)"), max_length=150, required=False)
    due_date = forms.DateField(
        label=_("By when"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        data["description"] = clean_text(data.get("description") or "")
        data["partner_name"] = clean_text(data.get("partner_name") or "")
        if "description" not in self.errors and not data["description"]:
            self.add_error("description", _("Describe the step."))
        if data.get("owner_kind") == "partner" and not data["partner_name"]:
            self.add_error("partner_name", _("Name the partner organisation."))
        due = data.get("due_date")
        if due and due < timezone.localdate() - datetime.timedelta(days=365):
            self.add_error("due_date", _("That date is more than a year ago."))
        return data


class StepProgressForm(VersionForm):
    status = forms.ChoiceField(label=_("Status"), choices=TASK_STATUSES)
    progress = forms.IntegerField(label=_("Progress (%)"), min_value=0, max_value=100)


class SafetyPlanForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    safe_places = forms.CharField(label=_("Safe places"), required=False, max_length=4000,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    safe_contacts = forms.CharField(label=_("Safe contacts"), required=False, max_length=4000,
                                    widget=forms.Textarea(attrs={"rows": 3}))
    code_words = forms.CharField(label=_("Code words"), required=False, max_length=1000,
                                 widget=forms.Textarea(attrs={"rows": 2}))
    documents_ready = forms.CharField(label=_("Documents to keep ready"), required=False, max_length=4000,
                                      widget=forms.Textarea(attrs={"rows": 3}))
    include_in_print = forms.BooleanField(
        label=_("They want the safety plan on their printed plan"), required=False,
        help_text=_("Off unless they ask: a printout can be found by someone else."),
    )
    show_in_emergency_access = forms.BooleanField(
        label=_("They allow staff using emergency access to read it"), required=False,
    )

    def clean(self):
        data = super().clean()
        for name in ("safe_places", "safe_contacts", "code_words", "documents_ready"):
            data[name] = clean_text(data.get(name) or "")
        return data


class ContactAttemptForm(forms.Form):
    channel = forms.ChoiceField(label=_("How"), choices=CONTACT_ATTEMPT_CHANNELS)
    outcome = forms.ChoiceField(label=_("What happened"), choices=CONTACT_OUTCOMES)
    at = forms.DateTimeField(
        label=_("When"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        help_text=_("Leave empty for now."),
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))
    confirm_unsafe = forms.BooleanField(
        label=_("I have read the warnings and still need to make this attempt"), required=False,
    )

    def clean_note(self):
        return clean_text(self.cleaned_data.get("note") or "")

    def clean_at(self):
        at = self.cleaned_data.get("at")
        if at and at > timezone.now() + datetime.timedelta(minutes=5):
            raise forms.ValidationError(_("An attempt cannot be in the future."))
        return at


class ConferenceForm(forms.Form):
    held_at = forms.DateTimeField(
        label=_("Held on"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    staff = forms.MultipleChoiceField(label=_("Care team members present"), required=False,
                                      widget=forms.CheckboxSelectMultiple)
    external_name = forms.CharField(label=_("Outside attendee: name"), required=False, max_length=150)
    external_organisation = forms.CharField(label=_("Outside attendee: organisation"), required=False, max_length=200)
    external_category = forms.ChoiceField(label=_("Outside attendee: kind of organisation"), required=False)
    external_purpose = forms.ChoiceField(label=_("Outside attendee: purpose"), required=False)
    decision = forms.CharField(label=_("Decision"), required=False, max_length=4000,
                               widget=forms.Textarea(attrs={"rows": 2}))
    decision_category = forms.ChoiceField(label=_("Kind of information in the decision"))
    follow_up = forms.CharField(label=_("Follow-up task"), required=False, max_length=200)
    follow_up_due = forms.DateField(label=_("Follow-up due"), required=False,
                                    widget=forms.DateInput(attrs={"type": "date"}))
    follow_up_priority = forms.ChoiceField(label=_("Follow-up priority"), choices=TASK_PRIORITIES, required=False)

    def __init__(self, *args, team=(), **kwargs):
        from safehaven.consent.models import DATA_CATEGORIES, PURPOSES, RECIPIENT_CATEGORIES

        super().__init__(*args, **kwargs)
        self.team = {str(u.public_id): u for u in team}
        self.fields["staff"].choices = [(str(u.public_id), u.name) for u in team]
        self.fields["external_category"].choices = [("", "—")] + [
            c for c in RECIPIENT_CATEGORIES if c[0] not in {"law_enforcement", "immigration"}
        ]
        self.fields["external_purpose"].choices = [("", "—")] + list(PURPOSES)
        self.fields["decision_category"].choices = DATA_CATEGORIES

    def clean(self):
        data = super().clean()
        for name in ("external_name", "external_organisation", "decision", "follow_up"):
            data[name] = clean_text(data.get(name) or "")
        if data["external_name"] and not (data.get("external_category") and data.get("external_purpose")):
            self.add_error("external_category", _("Say what kind of organisation they are from and why they attend."))
        if not data["decision"] and not data["follow_up"]:
            self.add_error("decision", _("Record at least one decision or follow-up task."))
        held = data.get("held_at")
        if held and held > timezone.now() + datetime.timedelta(days=1):
            self.add_error("held_at", _("Record a conference after it took place."))
        return data

    def staff_users(self):
        return [self.team[k] for k in self.cleaned_data.get("staff") or [] if k in self.team]


class TaskStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=TASK_STATUSES)
