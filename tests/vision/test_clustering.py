import numpy as np
import pytest

from screanalytics_dagster.vision.clustering import agglomerate, cluster_name, cluster_tracks, co_occurrence, join_closest_members

pytestmark = pytest.mark.unit

E = np.eye(4)


def unit(*v):
    v = np.asarray(v, float)
    return v / np.linalg.norm(v)


def partition(labels):
    """Items grouped by label, as sorted lists ordered by their first item."""
    groups = {}
    for i, label in enumerate(labels):
        groups.setdefault(int(label), []).append(i)
    return sorted(groups.values())


def no_conflicts(n):
    return np.zeros((n, n), bool)


def conflict(n, *pairs):
    c = no_conflicts(n)
    for a, b in pairs:
        c[a, b] = c[b, a] = True
    return c


@pytest.mark.parametrize(
    "vectors, conflicts, expected",
    [
        ([E[0], unit(1, 0.1, 0, 0)], None, [[0, 1]]),  # near-identical merge
        ([E[0], E[1]], None, [[0], [1]]),  # orthogonal stay apart
        ([E[0], E[0]], [(0, 1)], [[0], [1]]),  # cannot-link beats identical
        ([E[0], E[1], E[0], E[1]], None, [[0, 2], [1, 3]]),
        # A~B merge first; B conflicts with C, so C stays apart although identical to A
        ([E[0], E[0], unit(1, 0.3, 0, 0)], [(1, 2)], [[0, 1], [2]]),
    ],
)

def test_agglomerate(vectors, conflicts, expected):
    n = len(vectors)
    c = conflict(n, *conflicts) if conflicts else no_conflicts(n)
    assert partition(agglomerate(np.array(vectors), np.ones(n), c, 0.35)) == expected


@pytest.mark.parametrize("threshold, expected", [(0.35, [[0, 1]]), (0.6, [[0], [1]])])
def test_agglomerate_threshold_on_mean_cosine(threshold, expected):
    vectors = np.array([E[0], unit(1, np.sqrt(3), 0, 0)])  # cosine 0.5
    assert partition(agglomerate(vectors, np.ones(2), no_conflicts(2), threshold)) == expected


def test_agglomerate_uses_mean_pairwise_cosine_of_sums():
    sums = np.array([3 * E[0], E[0] + E[1], E[1]])  # centroid cosines 0.71, mean pairwise cosines 0.5
    assert partition(agglomerate(sums, np.array([3, 2, 1]), no_conflicts(3), 0.6)) == [[0], [1], [2]]


@pytest.mark.parametrize("n", [0, 1])
def test_agglomerate_trivial(n):
    assert agglomerate(np.zeros((n, 4)), np.ones(n), no_conflicts(n), 0.35).tolist() == list(range(n))


def test_co_occurrence():
    frames = [np.array([0, 5, 5]), np.array([5, 10]), np.array([20]), np.array([10, 20])]
    expected = conflict(4, (0, 1), (1, 3), (2, 3))
    np.testing.assert_array_equal(co_occurrence(frames, 4), expected)


def test_cluster_tracks_largest_first():
    sums = np.array([E[1], E[0], E[2], E[0], E[0], E[2]])
    clusters = cluster_tracks(sums, np.ones(6), no_conflicts(6))
    assert [c.tolist() for c in clusters] == [[1, 3, 4], [2, 5], [0]]


def test_cluster_tracks_keeps_tracks_without_embeddings_alone():
    sums = np.array([np.zeros(4), np.zeros(4), E[0], E[0]])
    clusters = cluster_tracks(sums, np.array([0, 0, 1, 1]), no_conflicts(4))
    assert [c.tolist() for c in clusters] == [[2, 3], [0], [1]]


@pytest.mark.parametrize("tracks, name", [([7, 3, 12], "c00003"), ([12, 3, 7], "c00003"), ([0], "c00000")])
def test_cluster_name_is_the_smallest_track(tracks, name):
    assert cluster_name(np.array(tracks)) == name


@pytest.mark.parametrize(
    "shots, expected",
    [
        ([[1, 1], [1, 1]], [[0, 1]]),  # both seen in several shots: the plain threshold
        ([[1, 0], [0, 1]], [[0], [1]]),  # one look each: they need the margin too
        ([[1, 1], [0, 1]], [[0], [1]]),  # one side seen once is enough to need it
    ],
)
def test_agglomerate_one_shot_groups_need_a_margin(shots, expected):
    vectors = np.array([E[0], unit(1, np.sqrt(3), 0, 0)])  # cosine 0.5
    labels = agglomerate(vectors, np.ones(2), no_conflicts(2), 0.45, np.array(shots, bool), one_shot_margin=0.1)
    assert partition(labels) == expected


@pytest.mark.parametrize(
    "shots, expected",
    [
        ([[1, 0, 0], [0, 1, 0], [1, 1, 1]], [[0, 1, 2]]),  # 0 and 1 merge over the margin; together they span two shots
        ([[1, 0, 0], [1, 0, 0], [1, 1, 1]], [[0, 1], [2]]),  # seen in one shot together: still one look
    ],
)
def test_agglomerate_one_shot_margin_lifts_once_a_group_spans_several_shots(shots, expected):
    vectors = np.array([E[0], unit(1, 0.48, 0, 0), unit(1, 0, 1.2, 0)])  # cosines 0-1 0.90, 0-2 0.64, 1-2 0.58
    labels = agglomerate(vectors, np.ones(3), no_conflicts(3), 0.4, np.array(shots, bool), one_shot_margin=0.3)
    assert partition(labels) == expected


@pytest.mark.parametrize(
    "conflicts, shots, expected",
    [
        (None, None, [[0, 1, 2]]),  # 2 is like one of the person's looks though not like their average: it joins
        ([(1, 2)], None, [[0, 1], [2]]),  # never across a conflict with any member
        (None, [[1, 0], [0, 1], [1, 0]], [[0, 1], [2]]),  # 0 and 2 are seen in one shot each: they need the margin
    ],
)
def test_join_closest_members(conflicts, shots, expected):
    vectors = np.array([E[0], E[1], unit(1, 0, np.sqrt(3), 0)])
    c = conflict(3, *conflicts) if conflicts else no_conflicts(3)
    grouped = np.array([0, 0, 2])  # 0 and 1: one person of two looks; 2 alone (cosine 0.5 to 0, 0 to 1: 0.25 to the person)
    labels = join_closest_members(grouped, vectors, np.ones(3), c, 0.4, None if shots is None else np.array(shots, bool), one_shot_margin=0.2)
    assert partition(labels) == expected
