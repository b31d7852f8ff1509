"""The `clock` MCP server: the current time in an IANA time zone, and times converted between zones."""

from __future__ import annotations

import difflib
import functools
import re
from datetime import datetime, timedelta
from datetime import time as time_of_day
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from mcp.server.lowlevel import Server

from tools.function import FunctionToolset, tool
from tools.servers._serve import toolset_server


class UnknownTimeZoneError(ValueError):
    """A name that is not an IANA time zone; `suggestions` holds the closest known names."""

    def __init__(self, name: str, suggestions: list[str]) -> None:
        hint = (
            f"; did you mean {', '.join(suggestions)}?"
            if suggestions
            else "; use an IANA name like 'Europe/Paris'"
        )
        super().__init__(f"unknown time zone {name!r}{hint}")
        self.name = name
        self.suggestions = suggestions


@functools.cache
def _zones_by_lower_name() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def close_zones(name: str, *, limit: int = 3) -> list[str]:
    """Known zone names close to `name`: same city first ('paris' -> 'Europe/Paris'), then by spelling."""
    zones = _zones_by_lower_name()
    key = name.strip().lower().replace(" ", "_")
    same_city = sorted(zone for lower, zone in zones.items() if lower.rsplit("/", 1)[-1] == key)
    spelled = [zones[lower] for lower in difflib.get_close_matches(key, list(zones), n=limit, cutoff=0.6)]
    return list(dict.fromkeys(same_city + spelled))[:limit]


def zone(name: str) -> ZoneInfo:
    """The IANA zone called `name`, matched case-insensitively.

    Raises:
        UnknownTimeZoneError: No such zone; the error lists the closest names.
    """
    exact = _zones_by_lower_name().get(name.strip().lower())
    try:
        return ZoneInfo(exact or name)
    except (ZoneInfoNotFoundError, ValueError):  # ValueError: not even a valid key ('../x', '')
        raise UnknownTimeZoneError(name, close_zones(name)) from None


_TYPED_TIME = re.compile(
    r"(?:(?P<date>\d{4}-\d{2}-\d{2})[ T]+)?"
    r"(?P<hour>\d{1,2})(?::(?P<minute>\d{2})(?::(?P<second>\d{2}))?)?"
    r"\s*(?P<meridiem>[ap]\.?m\.?)?",
    re.IGNORECASE,
)
_NAMED_TIMES = {"noon": "12:00", "midday": "12:00", "midnight": "00:00"}


def _typed_time(text: str, tz: ZoneInfo) -> datetime | None:
    """A time as people type it ('9:00', '9am', '9:30 pm', '21:30', '2026-12-04 9:00'); None if it is not one."""
    match = _TYPED_TIME.fullmatch(_NAMED_TIMES.get(text.lower(), text))
    if match is None or (match["minute"] is None and match["meridiem"] is None):
        return None  # a bare number is not a time
    hour, minute, second = int(match["hour"]), int(match["minute"] or 0), int(match["second"] or 0)
    if match["meridiem"]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if match["meridiem"][0].lower() == "p" else 0)
    try:
        day = datetime.strptime(match["date"], "%Y-%m-%d").date() if match["date"] else datetime.now(tz).date()
        return datetime.combine(day, time_of_day(hour, minute, second))
    except ValueError:  # hour 24, minute 61, February 30
        return None


def parse_time(text: str, tz: ZoneInfo) -> datetime:
    """An ISO 8601 date-time, or a time as people type it ('15:30', '9am', '9:30 pm', '2026-12-04 9:00'),
    a bare time of day meaning today in `tz`; an offset in `text` wins.

    Raises:
        ValueError: `text` is none of these, or names a local time that does not exist (a DST gap).
    """
    text = text.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        typed = _typed_time(text, tz)
        if typed is None:
            raise ValueError(
                f"cannot read the time {text!r}; use ISO 8601 like '2025-03-14T15:30', or '15:30', '9am', '9:30 pm'"
            ) from None
        parsed = typed
    if parsed.tzinfo is not None:
        return parsed
    local = parsed.replace(tzinfo=tz)
    round_trip = local.astimezone(ZoneInfo("UTC")).astimezone(tz)
    if round_trip.replace(tzinfo=None) != parsed:
        raise ValueError(
            f"{parsed.isoformat()} does not exist in {tz.key}: the clocks skip it (daylight saving)"
        )
    return local


def _describe(moment: datetime) -> str:
    offset = moment.utcoffset() or timedelta(0)
    return f"{moment.isoformat(timespec='seconds')} ({moment:%A}, {moment.tzname() or offset})"


@tool
def now(timezone: str = "UTC") -> str:
    """The current date and time in an IANA time zone, in ISO 8601.

    Args:
        timezone: An IANA time zone name such as 'Europe/Paris', 'America/New_York' or 'UTC'.
    """
    return datetime.now(zone(timezone)).isoformat(timespec="seconds")


@tool
def convert_time(time: str, from_timezone: str = "UTC", to_timezone: str = "UTC") -> str:
    """Convert a date and time from one IANA time zone to another.

    Args:
        time: ISO 8601 date-time like '2025-03-14T15:30', or a time of day like '15:30' or '9am' for today.
            A UTC offset in it (like '+01:00' or 'Z') takes precedence over from_timezone.
        from_timezone: The zone the time is in, such as 'Asia/Tokyo'.
        to_timezone: The zone to convert to, such as 'Europe/London'.
    """
    source, target = zone(from_timezone), zone(to_timezone)
    moment = parse_time(time, source)
    return f"{_describe(moment)} is {_describe(moment.astimezone(target))} in {target.key}"


def toolset() -> FunctionToolset:
    """The clock's tools, to use in-process or to serve."""
    return FunctionToolset([now, convert_time])


def build() -> Server[Any]:
    """The clock as an MCP server."""
    return toolset_server(toolset(), name="clock", instructions="Tells the time in any IANA time zone.")
