"""Work submitted a bounded distance ahead of its reader, in order."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


def submitted_ahead(executor: Executor, task: Callable[[Item], Result], items: Iterable[Item],
                    *, ahead: int) -> Iterator[tuple[Item, Future[Result]]]:
    """Each item with the future of ``task(item)``, in order, keeping ``ahead`` tasks
    queued or running: results wait for the reader, never more than ``ahead`` of them
    (``Executor.map`` would submit every item at once)."""
    queued: deque[tuple[Item, Future[Result]]] = deque()
    upcoming = iter(items)
    for item in upcoming:
        queued.append((item, executor.submit(task, item)))
        if len(queued) >= ahead:
            break
    while queued:
        yield queued.popleft()
        for item in upcoming:
            queued.append((item, executor.submit(task, item)))
            break
