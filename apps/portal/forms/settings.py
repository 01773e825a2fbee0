"""A person's own settings. The form only collects the value; profile_time_zone_set checks it."""

from functools import lru_cache

from django import forms
from django.conf import settings

from apps.core.moments import time_zone_names

from . import ServiceErrorsForm


@lru_cache(maxsize=1)
def time_zone_choices() -> list[tuple[str, str]]:
    default = ("", f"The organisation's default ({settings.TIME_ZONE})")
    return [default] + [(name, name.replace("_", " ")) for name in sorted(time_zone_names())]


class SettingsForm(ServiceErrorsForm):
    time_zone = forms.CharField(
        required=False,
        label="Time zone",
        widget=forms.Select(choices=()),
        help_text="Every time in the portal and in your notifications is shown in this zone.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].widget.choices = time_zone_choices()

    def values(self) -> dict:
        return {"time_zone": self.data.get("time_zone", "")}
