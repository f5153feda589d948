from django import forms
from django.utils.translation import gettext_lazy as _

from safehaven.evaluation.measures import PERIOD_LABELS


class FilterForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Year"), coerce=int, choices=[])
    quarter = forms.ChoiceField(label=_("Quarter"), required=False, choices=[])
    site = forms.ChoiceField(label=_("Clinic site"), required=False, choices=[])

    def __init__(self, data, *, years, sites):
        super().__init__(data)
        self.fields["year"].choices = [(y, str(y)) for y in years]
        self.fields["quarter"].choices = [("", _("Whole year, by quarter"))] + [
            (q, PERIOD_LABELS[q]) for q in ("Q1", "Q2", "Q3", "Q4")
        ]
        self.fields["site"].choices = [("", _("All my sites"))] + [(str(s.public_id), s.name) for s in sites]


class ResearchForm(forms.Form):
    study = forms.SlugField(
        label=_("Study code"), max_length=40,
        help_text=_("Letters, numbers and dashes. Each study gets its own pseudonyms."),
    )
    k = forms.IntegerField(
        label=_("Smallest group size (k)"), min_value=2, max_value=1000, initial=11,
        help_text=_("The extract is refused if any age band and region is shared by fewer people."),
    )
