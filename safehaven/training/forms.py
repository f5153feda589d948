from django import forms
from django.utils.translation import gettext_lazy as _

from safehaven.training.models import Question, TrainingSettings

FIELD_PREFIX = "q_"


class CheckForm(forms.Form):
    """One radio group per question; every question must be answered."""

    def __init__(self, questions: list[Question], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        for number, q in enumerate(questions, start=1):
            self.fields[FIELD_PREFIX + q.key] = forms.ChoiceField(
                label=f"{number}. {q.display_prompt}",
                choices=q.display_options(),
                widget=forms.RadioSelect,
                error_messages={
                    "required": _("Choose one answer."),
                    "invalid_choice": _("Choose one of the answers shown."),
                },
            )

    def answers(self) -> dict[str, str]:
        """Return {question key: option key} from the cleaned data."""
        return {q.key: self.cleaned_data[FIELD_PREFIX + q.key] for q in self.questions}


class SettingsForm(forms.ModelForm):
    class Meta:
        model = TrainingSettings
        fields = ["gate_screening", "gate_break_glass", "refresher_months"]
        help_texts = {
            "gate_screening": _("Staff who have not completed the core modules cannot open screening forms."),
            "gate_break_glass": _("Staff who have not completed the core modules cannot open emergency access."),
            "refresher_months": _("12 means a yearly refresher. Due dates of staff at this site move to match."),
        }

    def clean_refresher_months(self):
        months = self.cleaned_data["refresher_months"]
        if not 1 <= months <= 60:
            raise forms.ValidationError(_("Choose a number of months from 1 to 60."))
        return months
