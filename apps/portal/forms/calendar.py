"""The calendar form only collects and shows values; calendar_create/calendar_update check them
and their field errors are put back here."""

from functools import lru_cache
from zoneinfo import available_timezones

import holidays
from django import forms

from apps.sla.calendar import country_name

from . import ServiceErrorsForm

WEEKDAYS = [(str(i), name) for i, name in enumerate(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"])]


@lru_cache(maxsize=1)
def time_zone_names() -> list[str]:
    return sorted(available_timezones())


@lru_cache(maxsize=1)
def country_choices() -> list[tuple[str, str]]:
    codes = holidays.list_supported_countries(include_aliases=False)
    return [("", "— no public holidays —")] + sorted(
        ((code, f"{country_name(code)} ({code})") for code in codes), key=lambda c: c[1]
    )


class CalendarForm(ServiceErrorsForm):
    name = forms.CharField(required=False, max_length=100)
    working_days = forms.MultipleChoiceField(
        required=False, choices=WEEKDAYS, widget=forms.CheckboxSelectMultiple, label="Working days"
    )
    day_start = forms.CharField(required=False, label="Opens", widget=forms.TimeInput(attrs={"type": "time"}))
    day_end = forms.CharField(required=False, label="Closes", widget=forms.TimeInput(attrs={"type": "time"}))
    time_zone = forms.CharField(
        required=False,
        label="Time zone",
        widget=forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off"}),
        help_text="Working hours are wall-clock hours here, e.g. Europe/Berlin.",
    )
    country = forms.ChoiceField(required=False, choices=(), label="Public holidays of")
    subdivision = forms.CharField(
        required=False, label="Region", help_text="Optional region code for regional holidays, e.g. BE for Berlin."
    )
    closures = forms.CharField(
        required=False,
        label="Closure days",
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "2026-12-24\n2026-12-31"}),
        help_text="Extra days the organisation is closed, one per line as YYYY-MM-DD.",
    )

    def __init__(self, *args, calendar=None, **kwargs):
        if calendar is not None and not args and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": calendar.name,
                "working_days": [str(d) for d in calendar.working_days],
                "day_start": str(calendar.day_start)[:5],
                "day_end": str(calendar.day_end)[:5],
                "time_zone": calendar.time_zone,
                "country": calendar.country,
                "subdivision": calendar.subdivision,
                "closures": "\n".join(calendar.closures),
            }
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = country_choices()

    def values(self) -> dict:
        """What was submitted, raw, for the service to check."""
        data = self.data
        return {
            "name": data.get("name", ""),
            "working_days": data.getlist("working_days") if hasattr(data, "getlist") else data.get("working_days", []),
            "day_start": data.get("day_start", ""),
            "day_end": data.get("day_end", ""),
            "time_zone": data.get("time_zone", ""),
            "country": data.get("country", ""),
            "subdivision": data.get("subdivision", ""),
            "closures": data.get("closures", ""),
        }
