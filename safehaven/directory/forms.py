"""The staff search form."""

from django import forms
from django.utils.translation import gettext_lazy as _

from safehaven.directory.needs import DOMAIN_CHOICES

LANGUAGE_CHOICES = [("", _("Any language")), ("en", "English"), ("es", "Español"),
                    ("fr", "Français"), ("zh", "中文"), ("vi", "Tiếng Việt"), ("ar", "العربية"),
                    ("ase", _("American Sign Language"))]
GENDER_CHOICES = [("", _("Anyone")), ("woman", _("A woman")), ("man", _("A man")),
                  ("nonbinary", _("A non-binary person"))]


class SearchForm(forms.Form):
    domain = forms.ChoiceField(label=_("Need"), choices=DOMAIN_CHOICES, required=False)
    q = forms.CharField(label=_("Words in the name or description"), max_length=100, required=False)
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES, required=False)
    age = forms.IntegerField(label=_("Age of the person"), min_value=0, max_value=120, required=False)
    gender = forms.ChoiceField(label=_("The person is"), choices=GENDER_CHOICES, required=False)
    free = forms.BooleanField(label=_("Free of charge"), required=False)
    open_now = forms.BooleanField(label=_("Open now"), required=False)
    trauma_informed = forms.BooleanField(label=_("Trauma-informed"), required=False)
    serves_survivors = forms.BooleanField(label=_("Experienced with survivors"), required=False)
    no_police = forms.BooleanField(label=_("Does not involve law enforcement"), required=False)
    lat = forms.FloatField(label=_("Latitude of the starting point"), min_value=-90, max_value=90, required=False)
    lon = forms.FloatField(label=_("Longitude of the starting point"), min_value=-180, max_value=180, required=False)
    within_km = forms.FloatField(label=_("Within (km)"), min_value=0.1, max_value=500, required=False)

    def clean_q(self):
        from safehaven.people.forms import clean_text

        return clean_text(self.cleaned_data.get("q") or "")

    def clean(self):
        data = super().clean()
        if (data.get("lat") is None) != (data.get("lon") is None):
            raise forms.ValidationError(_("Give both the latitude and the longitude, or neither."))
        return data
