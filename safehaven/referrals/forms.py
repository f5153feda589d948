from django import forms
from django.utils.translation import gettext_lazy as _

from safehaven.consent.models import DATA_CATEGORIES
from safehaven.people.forms import clean_text
from safehaven.referrals.models import (
    HELP_ANSWERS,
    NEEDS_OUTCOME,
    NEEDS_REASON,
    PRIORITIES,
    STATUSES,
)

SUMMARY_MAX = 1000


def _text(value: str) -> str:
    return clean_text(value or "")


class ReferralForm(forms.Form):
    """Start a referral: the need or goal, the service, and what to share."""

    need_domain = forms.ChoiceField(label=_("The need it meets"), required=False)
    goal = forms.ChoiceField(label=_("Or the goal it helps with"), required=False)
    service = forms.ChoiceField(
        label=_("Service"), widget=forms.RadioSelect,
        error_messages={"required": _("Choose a service."),
                        "invalid_choice": _("Choose one of the services listed.")},
    )
    priority = forms.ChoiceField(label=_("Priority"), choices=PRIORITIES, initial="routine")
    categories = forms.MultipleChoiceField(
        label=_("What they agreed to share with this partner"), choices=DATA_CATEGORIES,
        required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("Only what their consent allows for this partner is sent, whatever you tick."),
    )

    def __init__(self, *args, needs=(), goals=(), services=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["need_domain"].choices = [("", "—")] + list(needs)
        self.goal_domains = {gid: domain for gid, _desc, domain in goals}
        self.fields["goal"].choices = [("", "—")] + [(gid, desc[:80]) for gid, desc, _d in goals]
        if not goals:
            self.fields["goal"].widget = forms.HiddenInput()
        self.fields["service"].choices = [(str(s.public_id), f"{s.name} — {s.organization.name}") for s in services]
        for code, label in DATA_CATEGORIES:
            if code == "identity_contact":
                help_text = _("Their name, pronouns, language and safe contact details are added from the record.")
            else:
                help_text = ""
            self.fields[f"summary_{code}"] = forms.CharField(
                label=_("What to tell the partner: %(category)s") % {"category": label},
                required=False, max_length=SUMMARY_MAX, help_text=help_text,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def clean(self):
        data = super().clean()
        need, goal = data.get("need_domain"), data.get("goal")
        if not need and goal:
            data["need_domain"] = need = self.goal_domains.get(goal, "")
        if not need:
            self.add_error("need_domain", _("Choose the need this referral meets."))
        data["summaries"] = {
            code: _text(data.get(f"summary_{code}", "")) for code, _label in DATA_CATEGORIES
        }
        return data


class StatusForm(forms.Form):
    """Change the status of a referral."""

    to_status = forms.ChoiceField(label=_("New status"))
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed when declining, when it did not work out, when cancelling or for an error."),
    )
    outcome = forms.CharField(
        label=_("What was provided"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}), help_text=_("Needed when completing."),
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=1000,
                           widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, allowed=(), **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(STATUSES)
        self.fields["to_status"].choices = [(code, labels[code]) for code in allowed]

    def clean(self):
        data = super().clean()
        for name in ("reason", "outcome", "note"):
            data[name] = _text(data.get(name, ""))
        status = data.get("to_status")
        if status in NEEDS_REASON and not data["reason"]:
            self.add_error("reason", _("Give a reason."))
        if status in NEEDS_OUTCOME and not data["outcome"]:
            self.add_error("outcome", _("Say what was provided."))
        return data


class HelpAnswerForm(forms.Form):
    answer = forms.ChoiceField(label=_("Did they get the help they needed?"), choices=HELP_ANSWERS,
                               widget=forms.RadioSelect)
    comment = forms.CharField(label=_("In their words (optional)"), required=False, max_length=1000,
                              widget=forms.Textarea(attrs={"rows": 2}))

    def clean_comment(self):
        return _text(self.cleaned_data.get("comment", ""))


class PolicyForm(forms.Form):
    stale_after_business_days = forms.IntegerField(
        label=_("Business days without an answer before a referral needs follow-up"),
        min_value=1, max_value=60,
    )
    link_valid_days = forms.IntegerField(
        label=_("Days a partner link stays valid"), min_value=1, max_value=90,
    )
