"""Streams that keep the cores busy: a producer thread ahead of its consumer, and a map over threads kept in order."""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

READ_AHEAD = 8
T = TypeVar("T")
R = TypeVar("R")


def read_ahead(items: Iterable, depth: int = READ_AHEAD) -> Iterator:
    """Produce items in a background thread (decoding overlaps inference), bounded to depth."""
    buffer: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                buffer.put(item)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the consumer
            buffer.put(exc)
        buffer.put(done)

    worker = threading.Thread(target=produce, daemon=True)
    worker.start()
    try:
        while (item := buffer.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while worker.is_alive():  # unblock a producer waiting on a full buffer
            try:
                buffer.get(timeout=0.1)
            except queue.Empty:
                pass


def ordered_map(fn: Callable[[T], R], items: Iterable[T], workers: int) -> Iterator[R]:
    """fn over items in `workers` threads (for work that releases the GIL), results in the items' order."""
    if workers <= 1:
        yield from map(fn, items)
        return
    pending: deque[Future[R]] = deque()
    pool = ThreadPoolExecutor(workers, thread_name_prefix="ordered-map")
    try:
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) >= 2 * workers:  # enough queued to keep every worker busy, few frames held in memory
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
