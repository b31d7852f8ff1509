"""The `clock` MCP server: the current time in an IANA time zone, and times converted between zones."""

from __future__ import annotations

import difflib
import functools
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


def parse_time(text: str, tz: ZoneInfo) -> datetime:
    """An ISO 8601 date-time, or a bare time of day meaning today in `tz`; an offset in `text` wins.

    Raises:
        ValueError: `text` is neither, or names a local time that does not exist (a DST gap).
    """
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        try:
            clock_time = time_of_day.fromisoformat(text.strip())
        except ValueError:
            raise ValueError(
                f"cannot read the time {text!r}; use ISO 8601 like '2025-03-14T15:30' or '15:30'"
            ) from None
        parsed = datetime.combine(datetime.now(tz).date(), clock_time)
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
        time: ISO 8601 date-time like '2025-03-14T15:30', or a time of day like '15:30' for today.
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
