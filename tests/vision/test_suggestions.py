import numpy as np
import pytest

from screanalytics_dagster.vision.grouping import NOT_A_FACE, Grouped, Links
from screanalytics_dagster.vision.suggestions import MIN_SUGGEST_SIM, SUGGESTIONS, Suggestion, suggest

pytestmark = pytest.mark.unit

E = np.eye(4)


def unit(*v):
    v = np.asarray(v, float)
    return v / np.linalg.norm(v)


def cos(a, b):
    return round(float(unit(*a) @ unit(*b)), 3)


def conflict(n, *pairs):
    c = np.zeros((n, n), bool)
    for a, b in pairs:
        c[a, b] = c[b, a] = True
    return c


def unnamed(cid):
    return Grouped(cid, f"unknown-{cid}", None, "auto")


# c0 is Lisa; c1 looks like her, a little like c2; c2 looks like nobody but c1; c3 (like c1) is no face
C1 = unit(1, 0.5, 0, 0)
C2 = unit(0, 1, 0.3, 0)
GROUPED = [Grouped("c0", "lisa", "Lisa", "manual"), unnamed("c1"), unnamed("c2"), Grouped("c3", NOT_A_FACE, None, "not_face")]
SUMS = np.array([E[0], C1, C2, C1])


def run(grouped=GROUPED, sums=SUMS, counts=None, conflicts=(), links=None, bank_names=(), bank=None, **kw):
    n = len(grouped)
    return suggest(grouped, np.asarray(sums, float), np.ones(n) if counts is None else np.asarray(counts, float), conflict(n, *conflicts), links, bank_names, bank, **kw)


def ids(suggestions):
    return [s.person_id for s in suggestions]


def test_suggestions_for_unnamed_face_clusters_only_best_first():
    found = run()
    assert set(found) == {"c1", "c2"}
    assert found["c1"] == [Suggestion("lisa", "Lisa", "c0", cos(C1, E[0])), Suggestion("unknown-c2", None, "c2", cos(C1, C2))]
    assert found["c2"] == [Suggestion("unknown-c1", None, "c1", cos(C1, C2))]  # Lisa: 0, below MIN_SUGGEST_SIM
    assert cos(C1, E[0]) > cos(C1, C2) >= MIN_SUGGEST_SIM


def test_suggestions_none_for_clusters_joined_to_a_named_person():
    grouped = [GROUPED[0], Grouped("c1", "lisa", "Lisa", "auto"), unnamed("c2")]
    found = run(grouped, [E[0], C1, unit(1, 1, 0, 0)])
    assert set(found) == {"c2"}
    assert ids(found["c2"]) == ["lisa"]  # its person holds c1 now


def test_suggestions_never_a_not_face_cluster():
    # c3 is c1 itself; as a face it would come first
    found = run()
    assert all(s.person_id != NOT_A_FACE and s.cluster_id != "c3" for options in found.values() for s in options)
    as_face = run([*GROUPED[:3], unnamed("c3")])
    assert as_face["c1"][0] == Suggestion("unknown-c3", None, "c3", 1.0)


def test_suggestions_never_the_clusters_own_person():
    grouped = [GROUPED[0], unnamed("c1"), Grouped("c2", "unknown-c1", None, "auto")]
    found = run(grouped, SUMS[:3])
    assert ids(found["c1"]) == ["lisa"]
    assert found["c2"] == []


def test_suggestions_person_centroid_and_largest_cluster():
    # c1 and c2 are one person: c0 sees them through their summed centroid, and by c2, the larger
    grouped = [unnamed("c0"), Grouped("c1", "unknown-c1", None, "auto"), Grouped("c2", "unknown-c1", None, "auto")]
    sums = np.array([unit(1, 2, 0, 0), unit(1, 1, 0, 0), E[1] * 3])
    found = run(grouped, sums, counts=[1, 1, 3])
    assert found["c0"] == [Suggestion("unknown-c1", None, "c2", cos(unit(1, 2, 0, 0), unit(1, 1, 0, 0) + E[1] * 3))]


def test_suggestions_never_a_person_seen_with_the_cluster():
    found = run(conflicts=[(1, 0)])
    assert ids(found["c1"]) == ["unknown-c2"]
    # a person of two clusters is out when any of them is seen with it
    grouped = [GROUPED[0], unnamed("c1"), Grouped("c2", "lisa", "Lisa", "auto")]
    found = run(grouped, SUMS[:3], conflicts=[(1, 2)])
    assert found["c1"] == []


@pytest.mark.parametrize("pair", [("c0", "c1"), ("c1", "c0")])
def test_suggestions_never_a_person_apart_from_the_cluster(pair):
    found = run(links=Links(apart=[pair]))
    assert ids(found["c1"]) == ["unknown-c2"]
    assert ids(found["c2"]) == ["unknown-c1"]


def test_suggestions_apart_from_one_cluster_of_a_person_rules_out_the_person():
    grouped = [GROUPED[0], unnamed("c1"), Grouped("c2", "lisa", "Lisa", "auto")]
    assert run(grouped, SUMS[:3], links=Links(apart=[("c2", "c1")]))["c1"] == []


BANK_NAMES = ["Kyle", "Kyle", "Lisa", "Dorit"]
BANK = np.array([unit(1, 1, 0, 0), unit(1, 0.6, 0, 0), E[0], E[3]])


def test_suggestions_facebank_person_not_in_the_episode():
    found = run(bank_names=BANK_NAMES, bank=BANK)
    kyle = Suggestion("kyle", "Kyle", None, cos(C1, (1, 0.6, 0, 0)))  # the best of Kyle's exemplars
    assert found["c1"] == [kyle, Suggestion("lisa", "Lisa", "c0", cos(C1, E[0])), Suggestion("unknown-c2", None, "c2", cos(C1, C2))]
    assert kyle.similarity > cos(C1, (1, 1, 0, 0))
    # Lisa is in the episode: suggested as her person there, never again from the facebank; Dorit is like nobody
    assert all(s.cluster_id is not None for s in found["c1"] if s.person_name == "Lisa")
    assert "dorit" not in ids(found["c1"]) + ids(found["c2"])


def test_suggestions_facebank_person_refused_by_not_named():
    found = run(links=Links(not_named=[("c1", "Kyle")]), bank_names=BANK_NAMES, bank=BANK)
    assert ids(found["c1"]) == ["lisa", "unknown-c2"]
    assert "kyle" in ids(found["c2"])  # only c1 refused it


def test_suggestions_facebank_only_episode():
    grouped, sums = [unnamed("c0")], np.array([unit(1, 0.6, 0, 0)])
    assert run(grouped, sums, bank_names=["Kyle"], bank=np.array([E[0]]))["c0"] == [Suggestion("kyle", "Kyle", None, cos((1, 0.6, 0, 0), E[0]))]
    assert run(grouped, sums)["c0"] == []


def test_suggestions_at_most_k():
    n = 6
    grouped = [unnamed(f"c{i}") for i in range(n)]
    sums = np.array([unit(1, 0.1 * i, 0, 0) for i in range(n)])
    found = run(grouped, sums)
    assert all(len(options) == min(SUGGESTIONS, n - 1) for options in found.values())
    assert ids(found["c0"]) == ["unknown-c1", "unknown-c2", "unknown-c3"]
    assert [len(options) for options in run(grouped, sums, k=1).values()] == [1] * n
    assert all(a.similarity >= b.similarity for options in found.values() for a, b in zip(options, options[1:]))


def test_suggestions_below_min_sim_left_out():
    above, below = MIN_SUGGEST_SIM + 0.02, MIN_SUGGEST_SIM - 0.02
    grouped = [unnamed("c0"), unnamed("c1"), unnamed("c2")]
    sums = np.array([E[0], unit(above, np.sqrt(1 - above**2), 0, 0), unit(below, 0, np.sqrt(1 - below**2), 0)])
    best = above + 0.03
    bank = np.array([unit(best, 0, 0, np.sqrt(1 - best**2)), unit(-1, 0, 0, 0), unit(below, 0, 0, np.sqrt(1 - below**2))])
    found = run(grouped, sums, bank_names=["Kyle", "Dorit", "Brandi"], bank=bank)
    assert [(s.person_id, s.similarity) for s in found["c0"]] == [("kyle", pytest.approx(best, abs=1e-3)), ("unknown-c1", pytest.approx(above, abs=1e-3))]


def test_suggestions_of_an_empty_episode():
    assert suggest([], np.zeros((0, 4)), np.zeros(0), np.zeros((0, 0), bool)) == {}


def test_suggestions_never_a_person_whose_name_the_cluster_is_not():
    assert "lisa" not in ids(run(links=Links(not_named=[("c1", "Lisa")]))["c1"])
