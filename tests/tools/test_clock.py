"""The clock: the time in a zone, conversions between zones, and helpful unknown-zone errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tools.servers import clock


async def test_now_is_the_current_time_in_the_zone() -> None:
    result = await clock.toolset().call_tool("now", {"timezone": "America/New_York"})
    moment = datetime.fromisoformat(result.text)
    assert moment.utcoffset() in (timedelta(hours=-5), timedelta(hours=-4))
    assert abs(moment - datetime.now(UTC)) < timedelta(minutes=1)
    default = datetime.fromisoformat((await clock.toolset().call_tool("now", {})).text)
    assert default.utcoffset() == timedelta(0)


async def test_zone_names_match_case_insensitively() -> None:
    result = await clock.toolset().call_tool("now", {"timezone": "europe/paris"})
    assert not result.is_error and result.text.endswith(("+01:00", "+02:00"))


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (
            {"time": "2025-03-14T15:30", "from_timezone": "Asia/Tokyo", "to_timezone": "Europe/London"},
            "2025-03-14T15:30:00+09:00 (Friday, JST) is "
            "2025-03-14T06:30:00+00:00 (Friday, GMT) in Europe/London",
        ),
        (
            {"time": "2025-07-01T23:00", "from_timezone": "America/Los_Angeles",
             "to_timezone": "Europe/Berlin"},
            "2025-07-01T23:00:00-07:00 (Tuesday, PDT) is "
            "2025-07-02T08:00:00+02:00 (Wednesday, CEST) in Europe/Berlin",
        ),
        (
            {"time": "2025-01-01T00:00Z", "from_timezone": "Asia/Tokyo", "to_timezone": "Asia/Kolkata"},
            "2025-01-01T00:00:00+00:00 (Wednesday, UTC) is "
            "2025-01-01T05:30:00+05:30 (Wednesday, IST) in Asia/Kolkata",
        ),
    ],
)  # fmt: skip
async def test_convert_time(arguments: dict[str, str], expected: str) -> None:
    result = await clock.toolset().call_tool("convert_time", arguments)
    assert (result.is_error, result.text) == (False, expected)


async def test_a_bare_time_of_day_means_today() -> None:
    before = f"{datetime.now(UTC):%Y-%m-%d}"
    result = await clock.toolset().call_tool("convert_time", {"time": "12:00", "to_timezone": "Asia/Tokyo"})
    after = f"{datetime.now(UTC):%Y-%m-%d}"  # the test may straddle midnight
    assert result.text.startswith((f"{before}T12:00:00+00:00", f"{after}T12:00:00+00:00"))
    assert "T21:00:00+09:00" in result.text


@pytest.mark.parametrize(
    ("typed", "local"),
    [
        ("9:00", "T09:00:00"),
        ("9am", "T09:00:00"),
        ("9 AM", "T09:00:00"),
        ("9:30pm", "T21:30:00"),
        ("9:30 p.m.", "T21:30:00"),
        ("12am", "T00:00:00"),
        ("12pm", "T12:00:00"),
        ("noon", "T12:00:00"),
        ("21:30", "T21:30:00"),
        (" 7:05:09 ", "T07:05:09"),
    ],
)
async def test_times_as_people_type_them_mean_today(typed: str, local: str) -> None:
    days = {f"{datetime.now(UTC) + timedelta(days=shift):%Y-%m-%d}" for shift in (-1, 0, 1)}
    result = await clock.toolset().call_tool("convert_time", {"time": typed, "to_timezone": "Asia/Tokyo"})
    assert not result.is_error, result.text
    assert any(result.text.startswith(f"{day}{local}+00:00") for day in days), result.text


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2026-12-04 9:00", "2026-12-04T09:00:00-05:00 (Friday, EST) is 2026-12-04T23:00:00+09:00"),
        ("2026-12-04 9pm", "2026-12-04T21:00:00-05:00 (Friday, EST) is 2026-12-05T11:00:00+09:00"),
        ("2026-12-04T9:30", "2026-12-04T09:30:00-05:00 (Friday, EST) is 2026-12-04T23:30:00+09:00"),
    ],
)
async def test_a_typed_date_and_time(typed: str, expected: str) -> None:
    arguments = {"time": typed, "from_timezone": "America/New_York", "to_timezone": "Asia/Tokyo"}
    result = await clock.toolset().call_tool("convert_time", arguments)
    assert (result.is_error, result.text.startswith(expected)) == (False, True), result.text


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [
        ("Europe/Pariss", "did you mean Europe/Paris"),
        ("paris", "did you mean Europe/Paris"),
        ("America/NewYork", "America/New_York"),
        ("Mars/Olympus_Mons", "use an IANA name like 'Europe/Paris'"),
        ("../../etc/passwd", "unknown time zone '../../etc/passwd'"),
        ("", "unknown time zone ''"),
    ],
)
async def test_unknown_zones_name_close_matches(name: str, suggestion: str) -> None:
    result = await clock.toolset().call_tool("now", {"timezone": name})
    assert result.is_error and result.text.startswith("UnknownTimeZoneError: unknown time zone")
    assert suggestion in result.text


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"time": "tomorrow at noon"}, "cannot read the time 'tomorrow at noon'"),
        ({"time": "9"}, "cannot read the time '9'"),
        ({"time": "13pm"}, "cannot read the time '13pm'"),
        ({"time": "25:00"}, "cannot read the time '25:00'"),
        ({"time": "2026-02-30 9:00"}, "cannot read the time '2026-02-30 9:00'"),
        ({"time": "2025-03-30T02:30", "from_timezone": "Europe/Paris"}, "does not exist in Europe/Paris"),
        ({"time": "12:00", "to_timezone": "Nowhere"}, "unknown time zone 'Nowhere'"),
    ],
)
async def test_conversion_errors(arguments: dict[str, str], message: str) -> None:
    result = await clock.toolset().call_tool("convert_time", arguments)
    assert result.is_error and message in result.text
