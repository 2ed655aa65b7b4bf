import numpy as np
import pytest

from screanalytics_dagster.vision.stages import Faces
from screanalytics_dagster.vision.tracking import TrackParams, build_tracks

pytestmark = pytest.mark.unit

STEP = 5
E0, E1 = np.eye(4)[0], np.eye(4)[1]
NAN = np.full(4, np.nan)


def tracks_of(samples, boxes, embs, shots=None, scores=None, **params):
    """build_tracks on faces given by sample index; returns the rows of each track as lists."""
    samples = np.asarray(samples)
    shots = np.zeros(len(samples), np.int64) if shots is None else np.asarray(shots)
    scores = np.full(len(samples), 0.9) if scores is None else np.asarray(scores)
    embs = np.asarray(embs, float)
    known = ~np.isnan(embs).any(axis=1)
    embedding_of = np.where(known, np.cumsum(known) - 1, -1)
    n = len(samples)
    faces = Faces(np.arange(n), samples * STEP, samples * STEP / 25.0, np.asarray(boxes, np.float32), scores.astype(np.float32), shots)
    rows = build_tracks(faces, embs[known], embedding_of, STEP, TrackParams(**params))
    return [r.tolist() for r in rows]


def box(x, y=0, size=20):
    return [x, y, x + size, y + size]


def test_one_slowly_moving_face_is_one_track():
    assert tracks_of(range(10), [box(2 * i) for i in range(10)], [E0] * 10) == [list(range(10))]


def test_two_parallel_faces_are_two_tracks():
    samples = np.repeat(np.arange(10), 2)
    boxes = [box(2 * s + offset) for s in range(10) for offset in (0, 100)]
    embs = [E0, E1] * 10
    assert tracks_of(samples, boxes, embs) == [list(range(0, 20, 2)), list(range(1, 20, 2))]


def test_a_shot_change_splits_the_track():
    shots = [0] * 5 + [1] * 5
    assert tracks_of(range(10), [box(0)] * 10, [E0] * 10, shots) == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]


@pytest.mark.parametrize("jump, n_tracks", [(1, 1), (2, 1), (3, 1), (5, 2), (10, 2)])
def test_gap_between_samples(jump, n_tracks):
    samples = [0, 1, 1 + jump, 2 + jump]
    assert len(tracks_of(samples, [box(0)] * 4, [E0] * 4, max_gap=3)) == n_tracks


def test_identity_change_in_place_splits_the_track():
    embs = [E0] * 5 + [E1] * 5
    assert tracks_of(range(10), [box(0)] * 10, embs) == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]


@pytest.mark.parametrize(
    "embs, expected",
    [
        ([NAN] * 4, [[0, 1, 2, 3]]),  # unknown embeddings: associated by IoU alone
        ([E0, NAN, NAN, E0], [[0, 1, 2, 3]]),
        ([NAN, E0, NAN, E0], [[0, 1, 2, 3]]),
    ],
)
def test_unknown_embeddings_associate_by_iou(embs, expected):
    assert tracks_of(range(4), [box(0)] * 4, embs) == expected


@pytest.mark.parametrize(
    "embs, n_tracks",
    [
        ([E0, E0, E0], 1),  # same appearance: follows the jump
        ([E0, E1, E1], 2),
        ([E0, NAN, E0], 2),  # nothing to vouch for a jump
    ],
)
def test_jump_in_position_needs_a_strong_appearance_match(embs, n_tracks):
    assert len(tracks_of([0, 1, 2], [box(0), box(300), box(300)], embs)) == n_tracks


def test_tracks_are_ordered_by_first_frame():
    samples = [4, 5, 0, 1, 2, 3]  # rows out of frame order
    boxes = [box(100), box(100), box(0), box(0), box(0), box(0)]
    embs = [E1, E1, E0, E0, E0, E0]
    assert tracks_of(samples, boxes, embs) == [[2, 3, 4, 5], [0, 1]]


@pytest.mark.parametrize(
    "embs, scores, kept",
    [
        ([E0], [0.3], True),  # one clear face vouches for the track
        ([NAN, E0], [0.3, 0.3], True),
        ([NAN, NAN], [0.9, 0.9], False),  # never seen clearly and short: a flicker
        ([NAN, NAN, NAN], [0.3, 0.9, 0.3], True),  # never seen clearly but held on screen: someone out of focus
        ([NAN, NAN, NAN], [0.3, 0.3, 0.3], False),  # never clear and never sure: a pattern in the set
    ],
)

def test_tracks_never_seen_clearly_are_dropped_unless_long_and_sure(embs, scores, kept):
    n = len(embs)
    assert tracks_of(range(n), [box(0)] * n, embs, scores=scores) == ([list(range(n))] if kept else [])


def test_a_face_that_looked_different_for_one_sample_stays_in_its_track():
    # sample 3 looks like someone else (a turn, a blur) in the person's place: it splits off, then folds back in
    embs = [E0, E0, E0, E1, E0, E0]
    boxes = [box(4 * i) for i in range(6)]
    assert tracks_of(range(6), boxes, embs) == [[0, 1, 2, 3, 4, 5]]


def test_a_short_track_off_the_path_stays_apart():
    boxes = [box(0), box(4), box(8), box(300), box(12), box(16)]
    assert len(tracks_of(range(6), boxes, [E0, E0, E0, E1, E0, E0])) == 2
