import json

import numpy as np
import pytest

from screanalytics_dagster.vision.grouping import (
    MAX_PERSON_ID,
    Assignment,
    assignments_json,
    group_clusters,
    match_facebank,
    merge_assignments,
    parse_assignments,
    person_slug,
    resolve_manual,
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


def test_merged_assignments_are_anchored_to_faces_and_newer_ones_take_over():
    stored = merge_assignments([], [Assignment("Lisa", cluster_id="c00001")], CLUSTERS, TRACK_FACES)
    assert stored == [Assignment("Lisa", "c00001", None, (10, 11, 20, 30))]
    merged = merge_assignments(stored, [Assignment("Kyle", track_id=2)], CLUSTERS, TRACK_FACES)
    assert merged == [Assignment("Lisa", "c00001", None, (10, 11, 30)), Assignment("Kyle", None, 2, (20,))]
    assert merge_assignments(merged, [Assignment("Kyle", cluster_id="c00001")], CLUSTERS, TRACK_FACES) == [
        Assignment("Kyle", "c00001", None, (10, 11, 20, 30))
    ]


def test_many_namings_of_one_cluster_store_one_assignment():
    many = [Assignment(f"Name {i}", cluster_id="c00001") for i in range(1000)]
    assert merge_assignments([], many, CLUSTERS, TRACK_FACES) == [Assignment("Name 999", "c00001", None, (10, 11, 20, 30))]


def test_anchored_names_survive_new_track_and_cluster_ids():
    stored = merge_assignments([], [Assignment("Lisa", cluster_id="c00001"), Assignment("Dorit", track_id=4)], CLUSTERS, TRACK_FACES)
    retracked = {7: np.array([10, 11, 20]), 8: np.array([30, 40, 41]), 9: np.array([99])}
    names, stale = resolve_manual(stored, {"c00007": np.array([7]), "c00008": np.array([8, 9])}, retracked)
    assert names == {"c00007": "Lisa", "c00008": "Dorit"}
    assert stale == []


@pytest.mark.parametrize("assignment", [Assignment("Lisa", cluster_id="c00009"), Assignment("Kyle", track_id=99)])
def test_merging_an_unknown_cluster_or_track_is_an_error(assignment):
    with pytest.raises(ValueError, match="unknown in this episode's clustering"):
        merge_assignments([], [assignment], CLUSTERS, TRACK_FACES)


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
