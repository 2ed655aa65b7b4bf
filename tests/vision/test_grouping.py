import json

import numpy as np
import pytest

from screanalytics_dagster.vision.grouping import (
    MAX_PERSON_ID,
    NOT_A_FACE,
    Assignment,
    Grouped,
    Links,
    assignments_json,
    group_clusters,
    match_facebank,
    parse_assignments,
    person_slug,
    resolve_manual,
    unclear_persons,
)
from screanalytics_dagster.vision.tables import SOURCES

pytestmark = pytest.mark.unit

E = np.eye(4)
CLUSTERS = {"c00001": np.array([1, 2, 3]), "c00004": np.array([4])}
TRACK_FACES = {1: np.array([10, 11]), 2: np.array([20]), 3: np.array([30]), 4: np.array([40, 41])}


def unit(*v):
    v = np.asarray(v, float)
    return v / np.linalg.norm(v)


def conflict(n, *pairs):
    c = np.zeros((n, n), bool)
    for a, b in pairs:
        c[a, b] = c[b, a] = True
    return c


@pytest.mark.parametrize(
    "assignments, expected",
    [
        ([Assignment("Kyle", track_id=1), Assignment("Lisa", cluster_id="c00001"), Assignment("Kyle", track_id=2)], {"c00001": "Lisa"}),
        ([Assignment("Kyle", track_id=1), Assignment("Lisa", track_id=2), Assignment("Kyle", track_id=3)], {"c00001": "Kyle"}),
        ([Assignment("Lisa", track_id=2), Assignment("Dorit", track_id=4)], {"c00001": "Lisa", "c00004": "Dorit"}),
        ([], {}),
    ],
)
def test_resolve_manual_names(assignments, expected):
    names, stale = resolve_manual(assignments, CLUSTERS, TRACK_FACES)
    assert names == expected
    assert stale == []


def test_resolve_manual_reports_stale_assignments():
    stale_cluster, stale_track = Assignment("Lisa", cluster_id="c00009"), Assignment("Kyle", track_id=99)
    names, stale = resolve_manual([stale_cluster, Assignment("Dorit", track_id=4), stale_track], CLUSTERS, TRACK_FACES)
    assert names == {"c00004": "Dorit"}
    assert stale == [stale_cluster, stale_track]


BANK_NAMES = ["Lisa", "Kyle"]
BANK = np.array([E[0], E[1]])


@pytest.mark.parametrize(
    "centroids, conflicts, threshold, expected",
    [
        ([E[1], E[0]], [], 0.45, {0: "Kyle", 1: "Lisa"}),
        ([unit(1, 0.5, 0, 0)], [], 0.45, {0: "Lisa"}),  # best match wins (0.89 vs 0.45)
        ([unit(1, 1, 1, 0)], [], 0.6, {}),  # 0.58 to both: below threshold
        ([E[2]], [], 0.45, {}),
        ([E[0], unit(1, 0.1, 0, 0)], [], 0.45, {0: "Lisa", 1: "Lisa"}),  # apart in time: one name may repeat
        ([E[0], unit(1, 0.1, 0, 0)], [(0, 1)], 0.45, {0: "Lisa"}),  # seen together: never the same name
        ([unit(1, 0.1, 0, 0), unit(1, 0.8, 0, 0)], [(0, 1)], 0.45, {0: "Lisa", 1: "Kyle"}),  # the second cluster takes its next-best name
    ],
)
def test_match_facebank(centroids, conflicts, threshold, expected):
    n = len(centroids)
    assert match_facebank(np.array(centroids), conflict(n, *conflicts), BANK_NAMES, BANK, threshold) == expected


def people(grouped):
    return {g.cluster_id: (g.person_id, g.person_name, g.source) for g in grouped}


def group(vectors, manual=None, conflicts=(), bank_names=(), bank=None):
    ids = [f"c{i:05d}" for i in range(len(vectors))]
    n = len(vectors)
    return people(group_clusters(ids, np.array(vectors, float), np.ones(n), conflict(n, *conflicts), manual or {}, bank_names, bank))


def test_group_clusters_manual_name():
    assert group([E[0], E[1]], {"c00000": "Lisa Vanderpump"}) == {
        "c00000": ("lisa-vanderpump", "Lisa Vanderpump", "manual"),
        "c00001": ("unknown-c00001", None, "auto"),
    }


def test_group_clusters_one_manual_name_on_two_clusters_is_one_person():
    out = group([E[0], E[1]], {"c00000": "Lisa", "c00001": "Lisa"})
    assert out["c00000"] == out["c00001"] == ("lisa", "Lisa", "manual")


def test_group_clusters_two_manual_names_never_merge():
    out = group([E[0], E[0], E[0]], {"c00000": "Lisa", "c00001": "Kyle"})
    assert out["c00000"][0] == "lisa"
    assert out["c00001"][0] == "kyle"
    assert out["c00002"][2] == "auto"


def test_group_clusters_unnamed_cluster_joins_a_similar_named_one():
    assert group([E[0], unit(1, 0.2, 0, 0)], {"c00000": "Lisa"})["c00001"] == ("lisa", "Lisa", "auto")


def test_group_clusters_facebank_names():
    out = group([E[0], E[1], E[2]], bank_names=["Kyle Richards"], bank=np.array([E[1]]))
    assert out["c00001"] == ("kyle-richards", "Kyle Richards", "facebank")
    assert out["c00000"] == ("unknown-c00000", None, "auto")


@pytest.mark.parametrize(
    "conflicts, expected_ids",
    [
        ((), ["unknown-c00000", "unknown-c00000", "unknown-c00002"]),  # similar unnamed clusters merge
        (((0, 1),), ["unknown-c00000", "unknown-c00001", "unknown-c00002"]),  # seen together: apart
    ],
)
def test_group_clusters_unnamed(conflicts, expected_ids):
    out = group([E[0], unit(1, 0.2, 0, 0), E[1]], conflicts=conflicts)
    assert [out[c][0] for c in sorted(out)] == expected_ids
    assert {source for _, _, source in out.values()} == {"auto"}


def test_group_clusters_sources_are_known():
    out = group([E[0], E[1], E[2], E[3]], {"c00000": "Lisa"}, bank_names=["Kyle"], bank=np.array([E[1]]))
    assert sorted(source for _, _, source in out.values()) == ["auto", "auto", "facebank", "manual"]
    assert {source for _, _, source in out.values()} <= set(SOURCES)


def test_group_clusters_facebank_never_reuses_a_manual_name_of_a_co_occurring_cluster():
    out = group([E[0], E[1]], {"c00000": "Lisa"}, conflicts=[(0, 1)], bank_names=["Lisa"], bank=np.array([E[1]]))
    assert out["c00001"][0] != out["c00000"][0]


def test_parse_assignments_valid():
    value = [{"cluster_id": "c00001", "cast_name": " Lisa "}, {"track_id": 3, "cast_name": "Kyle"}]
    assert parse_assignments(value) == [Assignment("Lisa", "c00001", None), Assignment("Kyle", None, 3)]
    assert parse_assignments([]) == []


def test_stored_assignments_read_back():
    stored = [Assignment("Lisa", "c00001", None, (10, 11)), Assignment("Kyle", None, 2, (20,))]
    assert parse_assignments(json.loads(json.dumps(assignments_json(stored)))) == stored


@pytest.mark.parametrize(
    "value, message",
    [
        ({"cluster_id": "c1", "cast_name": "Lisa"}, "must be a list"),
        (None, "must be a list"),
        (["Lisa"], "assignment 0: cast_name must not be blank"),
        ([{"cluster_id": "c1"}], "assignment 0: cast_name must not be blank"),
        ([{"cluster_id": "c1", "cast_name": "  "}], "assignment 0: cast_name must not be blank"),
        ([{"cluster_id": "c1", "cast_name": 7}], "assignment 0: cast_name must not be blank"),
        ([{"cluster_id": "c1", "track_id": 1, "cast_name": "Lisa"}], "assignment 0: give exactly one"),
        ([{"track_id": 1, "cast_name": "L"}, {"cast_name": "Lisa"}], "assignment 1: give exactly one"),
        ([{"cluster_id": 1, "cast_name": "Lisa"}], "cluster_id must be a string"),
        ([{"track_id": "1", "cast_name": "Lisa"}], "track_id must be an integer"),
        ([{"track_id": 1.0, "cast_name": "Lisa"}], "track_id must be an integer"),
        ([{"track_id": True, "cast_name": "Lisa"}], "track_id must be an integer"),
        ([{"track_id": 1, "cast_name": "Lisa", "face_ids": [1, "2"]}], "face_ids must be a list of integers"),
        ([{"cluster_id": "c1", "cast_name": "L" * 121}], "cast_name must be at most 120 characters, got 121"),
        ([{"cluster_id": "c" * 65, "cast_name": "Lisa"}], "cluster_id must be at most 64 characters"),
    ],
)
def test_parse_assignments_rejects(value, message):
    with pytest.raises(ValueError, match=message):
        parse_assignments(value)


@pytest.mark.parametrize(
    "name, slug",
    [
        ("Lisa Vanderpump", "lisa-vanderpump"),
        ("  lisa   VANDERPUMP ", "lisa-vanderpump"),
        ("李小龍", "李小龍"),
        ("Hélène Ségara", "hélène-ségara"),
        ("ليلى علوي", "ليلى-علوي"),
    ],
)
def test_person_slug_of_a_name_made_of_words_is_readable(name, slug):
    assert person_slug(name) == slug


def test_person_slugs_of_distinct_names_are_distinct_and_bounded():
    names = ["李小龍", "🦄", "🐉", "ليلى علوي", "Kyle Richards", "Kyle Richards!", "Dorit_Kemsley-2", "Dorit Kemsley 2", "!!!", "a" * 120, "a" * 119 + "b"]
    slugs = [person_slug(n) for n in names]
    assert len(set(slugs)) == len(names)
    assert max(len(s) for s in slugs) <= MAX_PERSON_ID
    assert person_slug("Kyle Richards!").startswith("kyle-richards-")
    assert person_slug("🦄").startswith("person-")


def test_group_clusters_keeps_names_of_every_script_apart():
    names = ["李小龍", "🦄 Sparkle", "ليلى علوي", "Lisa Vanderpump"]
    ids = [f"c{i}" for i in range(4)]
    grouped = group_clusters(ids, np.eye(4), np.ones(4), np.zeros((4, 4), bool), dict(zip(ids, names)))
    assert len({g.person_id for g in grouped}) == 4
    assert [g.person_name for g in grouped] == names


def test_group_clusters_one_person_for_names_differing_in_case():
    grouped = group_clusters(["c0", "c1"], np.eye(2), np.ones(2), np.zeros((2, 2), bool), {"c0": "Lisa Vanderpump", "c1": "lisa vanderpump"})
    assert {g.person_id for g in grouped} == {"lisa-vanderpump"}


# Reviewers' links


def linked(vectors, links, manual=None, conflicts=(), bank_names=(), bank=None):
    ids = [f"c{i:05d}" for i in range(len(vectors))]
    n = len(vectors)
    return people(group_clusters(ids, np.array(vectors, float), np.ones(n), conflict(n, *conflicts), manual or {}, bank_names, bank, links=links))


def test_group_clusters_without_links_is_as_before():
    vectors, manual = [E[0], unit(1, 0.2, 0, 0), E[1], E[2]], {"c00002": "Lisa"}
    assert linked(vectors, Links(), manual) == linked(vectors, None, manual) == group(vectors, manual)


def test_group_clusters_same_link_joins_dissimilar_unnamed_clusters():
    out = linked([E[0], E[1], E[2]], Links(same=[("c00000", "c00001")]))
    assert out["c00000"] == out["c00001"] == ("unknown-c00000", None, "auto")
    assert out["c00002"] == ("unknown-c00002", None, "auto")


def test_group_clusters_same_link_joins_across_a_co_occurrence():
    out = linked([E[0], E[1]], Links(same=[("c00001", "c00000")]), conflicts=[(0, 1)])
    assert out["c00000"][0] == out["c00001"][0]


def test_group_clusters_same_link_gives_an_unnamed_cluster_the_name():
    out = linked([E[0], E[1]], Links(same=[("c00001", "c00000")]), {"c00000": "Lisa"})
    assert out == {"c00000": ("lisa", "Lisa", "manual"), "c00001": ("lisa", "Lisa", "auto")}


def test_group_clusters_same_link_chains():
    out = linked([E[0], E[1], E[2], E[3]], Links(same=[("c00000", "c00001"), ("c00002", "c00001")]))
    assert out["c00000"][0] == out["c00001"][0] == out["c00002"][0] != out["c00003"][0]


def test_group_clusters_same_link_between_two_names_is_ignored():
    out = linked([E[0], E[0]], Links(same=[("c00000", "c00001")]), {"c00000": "Lisa", "c00001": "Kyle"})
    assert out == {"c00000": ("lisa", "Lisa", "manual"), "c00001": ("kyle", "Kyle", "manual")}


def test_group_clusters_same_link_never_brings_two_names_together_through_an_unnamed_cluster():
    out = linked([E[0], E[1], E[2]], Links(same=[("c00000", "c00001"), ("c00001", "c00002")]), {"c00000": "Lisa", "c00002": "Kyle"})
    assert out["c00000"][:2] == ("lisa", "Lisa")
    assert out["c00002"][:2] == ("kyle", "Kyle")
    assert out["c00001"][:2] == ("lisa", "Lisa")  # the first link holds


def test_group_clusters_same_link_to_an_unknown_cluster_is_ignored():
    out = linked([E[0], E[1]], Links(same=[("c00000", "c09999")], apart=[("c09999", "c00001")], not_named=[("c09999", "Lisa")], not_face={"c09999"}))
    assert out == group([E[0], E[1]])


def test_group_clusters_apart_link_keeps_similar_clusters_apart():
    vectors = [E[0], unit(1, 0.2, 0, 0), unit(1, 0.1, 0, 0)]
    assert len({person for person, _, _ in linked(vectors, Links()).values()}) == 1
    out = linked(vectors, Links(apart=[("c00001", "c00000")]))
    assert out["c00000"][0] != out["c00001"][0]
    assert out["c00002"][0] in (out["c00000"][0], out["c00001"][0])


def test_group_clusters_apart_link_keeps_a_similar_cluster_from_a_named_person():
    out = linked([E[0], unit(1, 0.2, 0, 0)], Links(apart=[("c00000", "c00001")]), {"c00000": "Lisa"})
    assert out["c00001"] == ("unknown-c00001", None, "auto")


def test_group_clusters_apart_link_holds_after_a_same_link():
    # c0 and c1 are one person; c2 (like c1) is not c0: it stays out of their person
    out = linked([E[0], unit(0, 1, 0.1, 0), E[1]], Links(same=[("c00000", "c00001")], apart=[("c00002", "c00000")]))
    assert out["c00000"][0] == out["c00001"][0] != out["c00002"][0]


def test_group_clusters_not_face():
    bank_names, bank = ["Kyle"], np.array([E[1]])
    out = linked([E[0], E[1], unit(0, 1, 0.1, 0)], Links(not_face={"c00001"}), {"c00001": "Lisa"}, bank_names=bank_names, bank=bank)
    assert out["c00001"] == (NOT_A_FACE, None, "not_face")
    assert out["c00002"] == ("kyle", "Kyle", "facebank")  # the facebank name goes to the next best cluster
    assert out["c00000"] == ("unknown-c00000", None, "auto")


def test_group_clusters_not_face_clusters_join_nobody():
    links = Links(same=[("c00000", "c00001")], apart=[("c00001", "c00002")], not_face={"c00001", "c00003"})
    out = linked([E[0], E[0], E[1], E[0]], links, {"c00003": "Lisa"})
    assert out["c00001"] == out["c00003"] == (NOT_A_FACE, None, "not_face")
    assert out["c00000"] == ("unknown-c00000", None, "auto")
    assert out["c00002"] == ("unknown-c00002", None, "auto")


def test_group_clusters_not_named_refuses_that_facebank_name():
    vectors, bank_names, bank = [E[0], unit(1, 0.8, 0, 0)], ["Lisa", "Kyle"], np.array([E[0], E[1]])
    assert linked(vectors, Links(), bank_names=bank_names, bank=bank)["c00001"] == ("lisa", "Lisa", "facebank")
    out = linked(vectors, Links(not_named=[("c00001", "Lisa")]), bank_names=bank_names, bank=bank)
    assert out["c00001"] == ("kyle", "Kyle", "facebank")  # its next-best name
    assert out["c00000"] == ("lisa", "Lisa", "facebank")
    out = linked(vectors[1:], Links(not_named=[("c00000", "Lisa"), ("c00000", "Kyle")]), bank_names=bank_names, bank=bank)
    assert out["c00000"] == ("unknown-c00000", None, "auto")


@pytest.mark.parametrize("manual", [{"c00000": "Lisa"}, {}], ids=["manual", "facebank"])
def test_group_clusters_not_named_cluster_never_merges_into_that_name(manual):
    out = linked([E[0], unit(1, 0.2, 0, 0)], Links(not_named=[("c00001", "Lisa")]), manual, bank_names=["Lisa"], bank=np.array([E[0]]))
    assert out["c00000"][1] == "Lisa"
    assert out["c00001"][1] != "Lisa"


def test_group_clusters_not_named_leaves_manual_names():
    assert linked([E[0]], Links(not_named=[("c00000", "Lisa")]), {"c00000": "Lisa"})["c00000"] == ("lisa", "Lisa", "manual")


@pytest.mark.parametrize(
    "refused, expected",
    [
        (set(), {0: "Lisa"}),
        ({(0, "Lisa")}, {0: "Kyle"}),
        ({(0, "Lisa"), (0, "Kyle")}, {}),
        ({(0, "")}, {}),
        ({(1, "Lisa"), (1, "")}, {0: "Lisa"}),
    ],
)
def test_match_facebank_refused(refused, expected):
    assert match_facebank(np.array([unit(1, 0.8, 0, 0)]), conflict(1), BANK_NAMES, BANK, 0.45, refused=refused) == expected


def test_group_clusters_apart_link_keeps_a_facebank_match_out_of_a_named_person():
    out = linked([E[0], E[1]], Links(apart=[("c00000", "c00001")]), {"c00000": "Lisa"}, bank_names=["Lisa"], bank=np.array([E[1]]))
    assert out["c00000"][0] != out["c00001"][0]


@pytest.mark.parametrize("shots, merged", [(None, True), ([[1, 0], [0, 1]], False), ([[1, 1], [1, 1]], True)])
def test_group_clusters_seen_in_one_shot_need_the_margin(shots, merged):
    ids = ["c00000", "c00001"]
    vectors = np.array([E[0], unit(1, 1.2, 0, 0)])  # cosine 0.64
    out = people(group_clusters(ids, vectors, np.ones(2), conflict(2), {}, merge_threshold=0.6, shots=None if shots is None else np.array(shots, bool), one_shot_margin=0.1))
    assert (out["c00000"][0] == out["c00001"][0]) == merged


def test_unclear_persons_are_unnamed_persons_without_a_clear_cluster():
    grouped = [
        Grouped("c00000", "unknown-c00000", None, "auto"), Grouped("c00001", "unknown-c00000", None, "auto"),  # one clear cluster: fine
        Grouped("c00002", "unknown-c00002", None, "auto"),  # only unclear: flagged
        Grouped("c00003", "lisa", "Lisa", "manual"),  # a reviewer named it
        Grouped("c00004", NOT_A_FACE, None, "not_face"),
    ]
    assert unclear_persons(grouped, np.array([True, False, False, False, False])) == ["unknown-c00002"]


def test_group_clusters_a_new_look_joins_the_person_whose_one_look_it_matches():
    ids = ["c00000", "c00001", "c00002"]
    vectors = np.array([E[0], E[1], unit(1, 0, np.sqrt(3), 0)])  # 2: cosine 0.5 to cluster 0, 0.25 to Lisa's average
    out = people(group_clusters(ids, vectors, np.ones(3), conflict(3), {"c00000": "Lisa", "c00001": "Lisa"}, merge_threshold=0.4))
    assert out["c00002"] == ("lisa", "Lisa", "auto")
