"""One way to write a moment, always with its zone: "3 Dec 2026 14:05 CET"."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings
from django.utils import timezone

from apps.core.moments import day_text, moment_text

BERLIN = ZoneInfo("Europe/Berlin")
NOON_05 = datetime(2026, 12, 3, 12, 5, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "zone", "style", "text"),
    [
        (NOON_05, BERLIN, "long", "3 Dec 2026 13:05 CET"),
        (NOON_05, BERLIN, "short", "3 Dec 13:05 CET"),
        (NOON_05, BERLIN, "seconds", "3 Dec 13:05:09 CET"),
        (datetime(2026, 7, 3, 12, 5, tzinfo=UTC), BERLIN, "long", "3 Jul 2026 14:05 CEST"),
        (NOON_05, UTC, "long", "3 Dec 2026 12:05 UTC"),
        (NOON_05, ZoneInfo("America/Sao_Paulo"), "long", "3 Dec 2026 09:05 UTC-03"),  # no abbreviation
        ("2026-12-03T12:05:09+00:00", BERLIN, "short", "3 Dec 13:05 CET"),  # as stored in JSON
        (None, BERLIN, "long", ""),
        ("not a moment", BERLIN, "long", ""),
    ],
)
def test_a_moment_reads_the_same_way_everywhere(value, zone, style, text):
    assert moment_text(value, zone=zone, style=style) == text


def test_without_a_zone_the_active_one_is_used():
    with timezone.override(BERLIN):
        assert moment_text(NOON_05) == "3 Dec 2026 13:05 CET"
    assert moment_text(NOON_05) == "3 Dec 2026 12:05 UTC"  # the test settings' default


@override_settings(TIME_ZONE="America/New_York")
def test_a_naive_moment_is_taken_in_the_installation_zone():
    assert moment_text(datetime(2026, 12, 3, 12, 5)) == "3 Dec 2026 12:05 EST"


def test_a_plain_day_has_no_time_and_counts_in_the_zone():
    late = datetime(2026, 12, 3, 23, 30, tzinfo=UTC)
    assert day_text(late, zone=UTC) == "3 Dec 2026"
    assert day_text(late, zone=BERLIN) == "4 Dec 2026", "already the 4th in Berlin"
    assert day_text(date(2026, 12, 4)) == "4 Dec 2026"
    assert day_text("2026-12-04") == "4 Dec 2026"
    assert day_text(None) == ""
