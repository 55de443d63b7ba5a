"""How many frames of each type a socket may send (docs/protocol.md, "Flooding").

Every frame type has a budget `N/period`; a frame over it is refused with
`rate_limited` and not acted on, and a socket that sends three times the
budget of one type within its period, refused frames included, is closed with
4429. `message` frames use `CHATELLY_WS_MSG_RATE`; the others
`CHATELLY_WS_FRAME_RATES`; frames of no known type (not JSON, unknown type)
share the `invalid` budget. A socket keeps a window only for the types it uses.
"""

import functools
import re
import time
from collections import deque

from django.conf import settings

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")
_PERIOD = {"s": 1, "m": 60, "h": 3600, "d": 86400}

OK, REFUSE, CLOSE = "ok", "refuse", "close"
INVALID = "invalid"  # the budget of frames that name no type this socket takes


@functools.lru_cache(maxsize=32)  # parsed on every handshake (connect_limits)
def parse_rate(rate: str) -> tuple[int, float]:
    """'20/10s' -> (20, 10.0): at most 20 in any 10 seconds."""
    match = _RATE.match(rate or "")
    if not match:
        raise ValueError(f"bad rate {rate!r}; use N/period such as 20/10s")
    count, multiplier, unit = match.groups()
    return int(count), float(int(multiplier or 1) * _PERIOD[unit])


def parse_rates(spec: str) -> dict[str, tuple[int, float]]:
    """'typing=60/10s,read=60/10s' -> {'typing': (60, 10.0), 'read': (60, 10.0)}."""
    rates = {}
    for part in (spec or "").split(","):
        if not part.strip():
            continue
        name, sep, rate = part.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"bad frame rate {part!r}; use type=N/period")
        rates[name.strip()] = parse_rate(rate)
    return rates


class Window:
    """A sliding window: refuse over `limit` accepted, close over 3 x `limit` seen."""

    __slots__ = ("_accepted", "_seen", "limit", "period")

    def __init__(self, limit: int, period: float):
        self.limit, self.period = limit, period
        self._seen: deque[float] = deque()
        self._accepted: deque[float] = deque()

    def check(self, now: float) -> str:
        for queue in (self._seen, self._accepted):
            while queue and queue[0] <= now - self.period:
                queue.popleft()
        self._seen.append(now)
        if len(self._seen) > 3 * self.limit:
            return CLOSE
        if len(self._accepted) >= self.limit:
            return REFUSE
        self._accepted.append(now)
        return OK


class FrameBudgets:
    """One socket's windows, by frame type."""

    def __init__(self, rates: dict[str, tuple[int, float]]):
        self._rates = rates
        self._windows: dict[str, Window] = {}

    def check(self, frame_type: str) -> str:
        """OK, REFUSE or CLOSE for one more frame of this type now."""
        window = self._windows.get(frame_type)
        if window is None:
            rate = self._rates.get(frame_type) or self._rates[INVALID]
            window = self._windows[frame_type] = Window(*rate)
        return window.check(time.monotonic())


def socket_rates() -> dict[str, tuple[int, float]]:
    """The budgets from the settings (looked up per socket: tests change them)."""
    return _rates(settings.CHATELLY_WS_FRAME_RATES, settings.CHATELLY_WS_MSG_RATE)


@functools.lru_cache(maxsize=8)
def _rates(frame_rates: str, message_rate: str) -> dict[str, tuple[int, float]]:
    rates = parse_rates(frame_rates)
    rates["message"] = parse_rate(message_rate)
    rates.setdefault(INVALID, (30, 10.0))
    return rates
