"""Durations on the command line: 45s, 30m, 2h, 365d."""

import argparse
import re
from datetime import timedelta

_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_duration(text: str) -> timedelta:
    match = _DURATION.match((text or "").strip())
    if not match or int(match.group(1)) == 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration such as 30m, 12h or 365d")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
