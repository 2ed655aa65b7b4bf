import pytest

from screanalytics_dagster.vision.screentime import merge_intervals, screen_seconds

pytestmark = pytest.mark.unit

CASES = [
    # starts, ends, merged, seconds (gap tolerance 0.5)
    ([], [], [], 0.0),
    ([1.0], [3.0], [(1.0, 3.0)], 2.0),
    ([0.0, 1.0], [2.0, 3.0], [(0.0, 3.0)], 3.0),  # overlap
    ([0.0, 1.0], [5.0, 2.0], [(0.0, 5.0)], 5.0),  # contained
    ([0.0, 1.0], [1.0, 2.0], [(0.0, 2.0)], 2.0),  # touching
    ([0.0, 1.3], [1.0, 2.0], [(0.0, 2.0)], 2.0),  # gap 0.3 below tolerance counts as on screen
    ([0.0, 2.0], [1.0, 3.0], [(0.0, 1.0), (2.0, 3.0)], 2.0),  # gap 1.0 above tolerance
    ([2.0, 0.0, 0.5], [3.0, 1.0, 0.8], [(0.0, 1.0), (2.0, 3.0)], 2.0),  # unsorted input
]


@pytest.mark.parametrize("starts, ends, merged, seconds", CASES)
def test_merge_intervals(starts, ends, merged, seconds):
    assert merge_intervals(starts, ends) == merged
    assert screen_seconds(starts, ends) == pytest.approx(seconds)


@pytest.mark.parametrize("gap, n_intervals", [(0.0, 2), (0.2, 2), (0.5, 1)])
def test_gap_tolerance_parameter(gap, n_intervals):
    assert len(merge_intervals([0.0, 1.3], [1.0, 2.0], gap=gap)) == n_intervals


@pytest.mark.parametrize(
    "shots, n_intervals",
    [
        ([0, 0], 1),  # missed for 2 s inside one shot: still on screen
        ([0, 1], 2),  # the same gap across a cut: off screen
    ],
)

def test_longer_gaps_are_bridged_only_within_a_shot(shots, n_intervals):
    assert len(merge_intervals([0.0, 3.0], [1.0, 4.0], shots)) == n_intervals
