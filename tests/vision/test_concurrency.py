import threading
import time

import pytest

from screanalytics_dagster.vision.concurrency import ordered_map, read_ahead

pytestmark = pytest.mark.unit


def test_read_ahead_passes_items_in_order():
    assert list(read_ahead(iter(range(50)), depth=3)) == list(range(50))


def test_read_ahead_reraises_producer_errors():
    def produce():
        yield 1
        yield 2
        raise RuntimeError("decoder broke")

    seen = []
    with pytest.raises(RuntimeError, match="decoder broke"):
        for item in read_ahead(produce(), depth=4):
            seen.append(item)
    assert seen == [1, 2]


def counting(pulled):
    """1000 items, each noted in pulled as it is taken."""
    for i in range(1000):
        pulled.append(i)
        yield i


def test_read_ahead_stops_the_producer_when_closed():
    pulled: list[int] = []
    items = read_ahead(counting(pulled), depth=2)
    assert next(items) == 0
    items.close()
    assert len(pulled) < 10


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_ordered_map_keeps_the_items_order(workers):
    def slow_square(i):
        time.sleep(0.002 * (i % 3))  # later items often finish first
        return i * i

    assert list(ordered_map(slow_square, range(30), workers)) == [i * i for i in range(30)]


def test_ordered_map_runs_items_at_the_same_time():
    both_running = threading.Barrier(2, timeout=5)

    def meet(i):
        both_running.wait()  # only passes when two items are in work together
        return i

    assert list(ordered_map(meet, range(4), workers=2)) == [0, 1, 2, 3]


def test_ordered_map_reraises_an_items_error():
    def fail_on_three(i):
        if i == 3:
            raise ValueError("frame 3 broke")
        return i

    seen = []
    with pytest.raises(ValueError, match="frame 3 broke"):
        for item in ordered_map(fail_on_three, range(10), workers=2):
            seen.append(item)
    assert seen == [0, 1, 2]


def test_ordered_map_pulls_only_a_few_items_ahead():
    pulled: list[int] = []
    items = ordered_map(lambda i: i, counting(pulled), workers=2)
    assert next(items) == 0
    items.close()
    assert len(pulled) <= 5
