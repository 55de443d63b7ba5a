"""One object per running event loop (a server process has one; tests run several)."""

import asyncio
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def for_this_loop(registry: dict[asyncio.AbstractEventLoop, T], make: Callable[[], T]) -> T:
    """The running loop's object in `registry`, made the first time; closed loops' go."""
    loop = asyncio.get_running_loop()
    found = registry.get(loop)
    if found is None:
        for old in [other for other in registry if other.is_closed()]:
            del registry[old]
        found = registry[loop] = make()
    return found
