"""A person's own settings: the time zone every time is shown in."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone

from apps.core.errors import ValidationFailed
from apps.org.selectors import user_time_zone_name
from apps.org.services import profile_time_zone_set

from ..errors import portal_errors
from ..forms.settings import SettingsForm
from ..middleware import remember_time_zone

MSG_SAVED = "Saved: times are shown in {zone} now."


@portal_errors
def my_settings(request):
    if request.method == "POST":
        form = SettingsForm(request.POST)
        try:
            profile = profile_time_zone_set(user=request.user, time_zone=form.values()["time_zone"], actor=request.user)
        except ValidationFailed as invalid:
            form.put_errors(invalid.field_errors or {None: [invalid.message]})
            return _page(request, form, status=400)
        remember_time_zone(request, profile.time_zone)
        timezone.activate(profile.time_zone or timezone.get_default_timezone_name())
        messages.success(request, MSG_SAVED.format(zone=timezone.get_current_timezone_name()))
        return redirect("me:settings")
    return _page(request, SettingsForm(initial={"time_zone": user_time_zone_name(user=request.user)}))


def _page(request, form, status=200):
    return render(request, "portal/settings.html", {"form": form, "now": timezone.now()}, status=status)
