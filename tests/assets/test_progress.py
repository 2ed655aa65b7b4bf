"""A step's progress as a share of its job's: steps in order, shares that fill the job."""

import pytest

from screanalytics_dagster.assets.progress import STEP_SHARES, job_span
from screanalytics_dagster.orchestration.operations import OPERATIONS

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("name", list(OPERATIONS))
def test_the_steps_of_each_job_fill_it_in_order(name):
    steps = [step for step in STEP_SHARES if step in OPERATIONS[name].assets()]
    spans = [job_span(step, set(steps)) for step in steps]
    ends = [start + share for start, share in spans]
    assert spans[0][0] == 0 and ends[-1] == pytest.approx(1.0)
    assert [start for start, _ in spans[1:]] == pytest.approx(ends[:-1])  # each step starts where the one before ended


def test_faces_is_most_of_a_process_job_and_a_naming_job_is_its_two_steps():
    assert job_span("faces", set(STEP_SHARES)) == (0.0, pytest.approx(0.86))
    assert job_span("screentime", {"groups", "screentime"}) == (pytest.approx(0.5), pytest.approx(0.5))
