"""One object per running event loop (a server process has one; tests run several)."""

import asyncio
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def for_this_loop(
    registry: dict[asyncio.AbstractEventLoop, T],
    make: Callable[[], T],
    on_forget: Callable[[T], None] | None = None,
) -> T:
    """The running loop's object in `registry`, made the first time; closed loops' go
    (through `on_forget`, if given)."""
    loop = asyncio.get_running_loop()
    found = registry.get(loop)
    if found is None:
        for old in [other for other in registry if other.is_closed()]:
            forgotten = registry.pop(old)
            if on_forget is not None:
                on_forget(forgotten)
        found = registry[loop] = make()
    return found
