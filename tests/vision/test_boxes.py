import numpy as np
import pytest

from screanalytics_dagster.vision.boxes import duplicate_anchors, frame_groups, iou_matrix, nested_in_surer
from screanalytics_dagster.vision.stages import Faces

pytestmark = pytest.mark.unit

BOX = [0, 0, 10, 10]


@pytest.mark.parametrize(
    "a, b, expected",
    [
        ([BOX], [BOX], 1.0),  # identical
        ([BOX], [[20, 20, 30, 30]], 0.0),  # disjoint
        ([BOX], [[10, 0, 20, 10]], 0.0),  # touching edge only
        ([BOX], [[5, 0, 15, 10]], 1 / 3),  # shifted by half a width: 50 / 150
        ([BOX], [[0, 0, 10, 5]], 0.5),  # the lower half inside
        ([[0, 0, 0, 0]], [[0, 0, 0, 0]], 0.0),  # degenerate boxes: no union, no overlap
    ],
)
def test_iou_matrix_values(a, b, expected):
    iou = iou_matrix(np.array(a), np.array(b))
    assert iou.shape == (1, 1)
    assert iou[0, 0] == pytest.approx(expected)


def random_boxes(n, seed):
    corners = np.sort(np.random.default_rng(seed).uniform(0, 50, (n, 2, 2)), axis=1)  # [[x1, y1], [x2, y2]]
    return corners.reshape(n, 4)


@pytest.mark.parametrize("n, m", [(0, 0), (0, 3), (2, 0), (2, 3)])
def test_iou_matrix_shapes(n, m):
    a, b = random_boxes(n, 1), random_boxes(m, 2)
    assert (a[:, 2:] >= a[:, :2]).all()
    iou = iou_matrix(a, b)
    assert iou.shape == (n, m)
    np.testing.assert_allclose(iou, iou_matrix(b, a).T)
    assert ((iou >= 0) & (iou <= 1)).all()


@pytest.mark.parametrize(
    "frames, expected",
    [
        ([], []),
        ([3], [[0]]),
        ([10, 0, 5, 0, 10], [[1, 3], [2], [0, 4]]),
        ([0, 0, 0], [[0, 1, 2]]),
    ],
)
def test_frame_groups(frames, expected):
    assert [g.tolist() for g in frame_groups(np.array(frames, np.int64))] == expected


def faces_of(frames, shots, boxes, scores) -> Faces:
    """Faces numbered in row order, at the given frames (ts unused here)."""
    n = len(frames)
    return Faces(np.arange(n), np.asarray(frames), np.zeros(n), np.asarray(boxes, np.float32), np.asarray(scores, np.float32), np.asarray(shots))


def still(n, shots=None, boxes=None):
    """frame_idx, shot_id, boxes and scores (all equal) of one face per sampled frame (step 5)."""
    frames = np.arange(n) * 5
    shots = np.zeros(n, np.int64) if shots is None else np.asarray(shots)
    boxes = np.tile(np.array(BOX, float), (n, 1)) if boxes is None else np.asarray(boxes, float)
    return frames, shots, boxes, np.ones(n)


@pytest.mark.parametrize(
    "n, shots, boxes, max_chain, expected",
    [
        (4, None, None, 10, [0, 0, 0, 0]),  # a still face chains to its first occurrence
        (7, None, None, 3, [0, 0, 0, 3, 3, 3, 6]),  # re-embedded every max_chain samples
        (4, [0, 0, 1, 1], None, 10, [0, 0, 2, 2]),  # a shot change breaks the chain
        (3, None, [[0, 0, 10, 10], [1, 0, 11, 10], [2, 0, 12, 10]], 10, [0, 0, 0]),  # 1 px drift: IoU 0.82
        (3, None, [[0, 0, 10, 10], [5, 0, 15, 10], [10, 0, 20, 10]], 10, [0, 1, 2]),  # moved: IoU 1/3
        (3, None, [[0, 0, 10, 10], [0, 0, 20, 20], [0, 0, 20, 20]], 10, [0, 1, 1]),  # grew: IoU 1/4
    ],
)

def test_duplicate_anchors_single_face(n, shots, boxes, max_chain, expected):
    assert duplicate_anchors(faces_of(*still(n, shots, boxes)), max_chain=max_chain).tolist() == expected


def test_duplicate_anchors_two_faces_map_one_to_one():
    frames = np.array([0, 0, 5, 5, 10, 10])
    boxes = np.array([BOX, [50, 0, 60, 10], [50, 0, 60, 10], BOX, BOX, [50, 0, 60, 10]], float)
    assert duplicate_anchors(faces_of(frames, np.zeros(6, np.int64), boxes, np.ones(6))).tolist() == [0, 1, 1, 0, 0, 1]


def test_duplicate_anchors_only_the_best_of_two_candidates_borrows():
    frames = np.array([0, 5, 5])
    boxes = np.array([BOX, [0, 0, 10, 9], BOX], float)  # both overlap the earlier face by IoU >= 0.8
    assert duplicate_anchors(faces_of(frames, np.zeros(3, np.int64), boxes, np.ones(3))).tolist() == [0, 1, 0]


def test_duplicate_anchors_embed_each_run_at_its_surest_face():
    frames, shots, boxes, _ = still(7)
    scores = np.array([0.3, 0.9, 0.5, 0.6, 0.95, 0.7, 0.2])
    assert duplicate_anchors(faces_of(frames, shots, boxes, scores), max_chain=3).tolist() == [1, 1, 1, 4, 4, 4, 6]


@pytest.mark.parametrize(
    "boxes, scores, nested",
    [
        ([[0, 180, 230, 700], [-40, 280, 130, 600]], [0.8, 0.2], [False, True]),  # part of a cut-off close-up, boxed again
        ([[0, 180, 230, 700], [-40, 280, 130, 600]], [0.2, 0.8], [False, False]),  # a part surer than the whole: kept
        ([[0, 0, 100, 100], [90, 0, 190, 100]], [0.8, 0.2], [False, False]),  # two faces side by side
        ([[0, 0, 100, 100], [60, 60, 160, 160]], [0.8, 0.2], [False, False]),  # overlapping, not within
    ],
)
def test_nested_in_surer(boxes, scores, nested):
    assert nested_in_surer(np.array(boxes, float), np.array(scores), 1280, 720).tolist() == nested
