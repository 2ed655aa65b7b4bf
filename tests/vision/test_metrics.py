import pytest

from screanalytics_dagster.vision.metrics import bcubed_f1, screen_time_errors

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "pred, truth, precision, recall",
    [
        (["a", "a", "b"], ["x", "x", "y"], 1.0, 1.0),
        (["a", "a", "b"], ["x", "x", "x"], 1.0, 5 / 9),  # one person split in two
        (["a", "a", "a"], ["x", "x", "y"], 5 / 9, 1.0),  # two people merged
        ([], [], 0.0, 0.0),
    ],
)

def test_bcubed(pred, truth, precision, recall):
    p, r, f1 = bcubed_f1(pred, truth)
    assert (p, r) == pytest.approx((precision, recall))
    assert f1 == pytest.approx(2 * p * r / (p + r) if p + r else 0.0)


def test_bcubed_needs_one_prediction_per_item():
    with pytest.raises(ValueError):
        bcubed_f1(["a"], ["x", "y"])


def test_screen_time_errors_are_relative_and_count_missing_people():
    assert screen_time_errors({"x": 9.0}, {"x": 10.0, "y": 5.0}) == pytest.approx({"x": 0.1, "y": 1.0})
