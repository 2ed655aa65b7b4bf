import json

import numpy as np
import pytest

from screanalytics_dagster.vision.grouping import Assignment, group_clusters
from screanalytics_dagster.vision.review import KINDS, Action, Clustering, apply_moves, decide, legacy_actions, moved_tracks, name_action

pytestmark = pytest.mark.unit


def clustering(cluster_tracks, track_faces):
    return Clustering({c: np.array(t, np.int64) for c, t in cluster_tracks.items()}, {t: np.array(f, np.int64) for t, f in track_faces.items()})


# c1: tracks 1, 2 (faces 10 11 20 21); c2: track 3 (face 30); c3: tracks 4, 5 (faces 40 41 42 50)
TRACK_FACES = {1: [10, 11], 2: [20, 21], 3: [30], 4: [40, 41, 42], 5: [50]}
EP = clustering({"c1": [1, 2], "c2": [3], "c3": [4, 5]}, TRACK_FACES)
# The same faces after re-clustering and re-tracking: new cluster ids, new track ids, another order.
RENAMED = {"c1": "x2", "c2": "x9", "c3": "x5"}
EP2 = clustering({"x9": [103], "x2": [101, 102], "x5": [104, 105]}, {100 + t: f for t, f in TRACK_FACES.items()})


def faces(cid, ep=EP):
    return ep.faces(cid)


def named(cast_name, cluster_id=None, track_id=None, ep=EP):
    return name_action([Assignment(cast_name, cluster_id, track_id)], ep)


# Action JSON


ACTIONS = [
    Action("name", "c1 named Lisa", (Assignment("Lisa", "c1", None, (10, 11, 20, 21)), Assignment(None, None, 3, (30,)))),
    Action("same", "c1 is c3", faces=(10, 11, 20, 21), other=(40, 41, 42, 50)),
    Action("apart", "c1 is not Lisa", faces=(10, 11), cast_name="Lisa"),
    Action("not_face", "c2 is a face", faces=(30,), mark=False),
    Action("move", "tracks 5 of c3 moved", faces=(50,), other=(30,), left=(40, 41, 42), cast_name="Kyle"),
]


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.kind)
def test_action_json_round_trip(action):
    stored = json.loads(json.dumps(action.to_json()))
    assert Action.from_json(stored) == action
    assert all(not isinstance(v, tuple) for v in stored.values())


def test_action_from_json_defaults():
    assert Action.from_json({"kind": "not_face", "faces": [1, 2]}) == Action("not_face", "", faces=(1, 2))


@pytest.mark.parametrize("value", [{"kind": "rename", "said": "x"}, {"said": "x"}, {"kind": None}, ["name"], "name", None])
def test_action_from_json_rejects_unknown_kinds(value):
    with pytest.raises(ValueError, match="kind one of " + ", ".join(KINDS)):
        Action.from_json(value)


def test_legacy_actions():
    assert legacy_actions([]) == []
    (action,) = legacy_actions([{"cluster_id": "c1", "cast_name": " Lisa "}, {"track_id": 3, "cast_name": "Kyle", "face_ids": [30]}])
    assert action.kind == "name"
    assert action.said == "2 earlier names"
    assert action.names == (Assignment("Lisa", "c1", None), Assignment("Kyle", None, 3, (30,)))
    with pytest.raises(ValueError, match="must be a list"):
        legacy_actions({"cluster_id": "c1"})


def test_legacy_actions_name_by_the_current_clustering():
    assert decide(legacy_actions([{"cluster_id": "c1", "cast_name": "Lisa"}, {"track_id": 3, "cast_name": "Kyle"}]), EP).names == {"c1": "Lisa", "c2": "Kyle"}


# Clustering


def test_clustering_faces():
    assert EP.faces("c1") == (10, 11, 20, 21)
    assert EP.faces("c3") == (40, 41, 42, 50)
    assert EP.faces(track_ids=[5, 1]) == (10, 11, 50)
    assert EP.faces(track_ids=[]) == ()


@pytest.mark.parametrize(
    "held, clusters",
    [
        ((10, 11, 20), ["c1"]),  # 3 of 4
        ((10, 11), []),  # 2 of 4: not most
        ((30,), ["c2"]),
        ((30, 40, 41, 42, 10), ["c2", "c3"]),  # c1 1 of 4
        ((99, 98), []),  # no cluster holds them
        ((), []),
    ],
)
def test_clusters_of_are_made_mostly_of_the_faces(held, clusters):
    assert EP.clusters_of(held) == clusters


def test_anchored_gives_the_faces_held_now():
    anchored = EP.anchored([Assignment("Lisa", cluster_id="c1"), Assignment("Kyle", track_id=4), Assignment("X", cluster_id="c9"), Assignment("Y", track_id=99)])
    assert [a.face_ids for a in anchored] == [(10, 11, 20, 21), (40, 41, 42), (), ()]
    assert [(a.cast_name, a.cluster_id, a.track_id) for a in anchored] == [("Lisa", "c1", None), ("Kyle", None, 4), ("X", "c9", None), ("Y", None, 99)]


# name_action


def test_name_action_anchors_and_says():
    action = name_action([Assignment("Lisa", cluster_id="c1"), Assignment("Kyle", track_id=3)], EP)
    assert action.kind == "name"
    assert action.names == (Assignment("Lisa", "c1", None, (10, 11, 20, 21)), Assignment("Kyle", None, 3, (30,)))
    assert action.said == "c1, track 3 named Kyle / Lisa"


def test_name_action_says_unnamed():
    assert named(None, "c2").said == "c2 unnamed"
    assert named("Lisa", track_id=1).said == "track 1 named Lisa"


@pytest.mark.parametrize(
    "names, unknown",
    [
        ([Assignment("Lisa", cluster_id="c9")], "c9"),
        ([Assignment("Lisa", track_id=99)], "track 99"),
        ([Assignment("Lisa", cluster_id="c1"), Assignment(None, track_id=7)], "track 7"),
    ],
)
def test_name_action_rejects_unknown_targets(names, unknown):
    with pytest.raises(ValueError, match=f"unknown in this episode's clustering: {unknown}$"):
        name_action(names, EP)


# decide: names


def test_decide_empty_log():
    decided = decide([], EP)
    assert decided.names == {}
    assert decided.stale == []
    assert (list(decided.links.same), list(decided.links.apart), list(decided.links.not_named), set(decided.links.not_face)) == ([], [], [], set())


def test_decide_names_then_unname_removes_the_name():
    assert decide([named("Lisa", "c1"), named("Kyle", "c2")], EP).names == {"c1": "Lisa", "c2": "Kyle"}
    assert decide([named("Lisa", "c1"), named("Kyle", "c2"), named(None, "c1")], EP).names == {"c2": "Kyle"}


def test_decide_later_name_wins():
    assert decide([named("Lisa", "c1"), named("Kyle", "c1")], EP).names == {"c1": "Kyle"}
    assert decide([named("Kyle", "c1"), named(None, "c1"), named("Lisa", "c1")], EP).names == {"c1": "Lisa"}


def test_decide_a_track_name_takes_the_cluster_when_most_of_its_faces_carry_it():
    # track 4 holds 3 of c3's 4 faces: its later name outweighs the cluster's
    assert decide([named("Lisa", "c3"), named("Kyle", track_id=4)], EP).names == {"c3": "Kyle"}
    assert decide([named("Lisa", "c3"), named("Kyle", track_id=5)], EP).names == {"c3": "Lisa"}


# decide: links


def link(kind, a, b, ep=EP):
    return Action(kind, f"{a} {kind} {b}", faces=ep.faces(a), other=ep.faces(b))


@pytest.mark.parametrize("kind, same, apart", [("same", [("c1", "c3")], []), ("apart", [], [("c1", "c3")])])
def test_decide_links_resolve_to_cluster_pairs(kind, same, apart):
    links = decide([link(kind, "c3", "c1")], EP).links
    assert list(links.same) == same
    assert list(links.apart) == apart
    assert list(links.not_named) == []


def test_decide_link_to_a_person_of_several_clusters():
    action = Action("same", "c2 is c1's person", faces=faces("c2"), other=faces("c1") + faces("c3"))
    assert sorted(decide([action], EP).links.same) == [("c1", "c2"), ("c2", "c3")]


def test_decide_link_of_a_cluster_with_itself_is_no_link():
    links = decide([Action("same", "c1 is c1", faces=faces("c1"), other=faces("c1") + faces("c2"))], EP).links
    assert list(links.same) == [("c1", "c2")]


@pytest.mark.parametrize(
    "log, same, apart",
    [
        ([("same", "c1", "c2"), ("apart", "c2", "c1")], [], [("c1", "c2")]),
        ([("apart", "c1", "c2"), ("same", "c1", "c2")], [("c1", "c2")], []),
        ([("same", "c1", "c2"), ("apart", "c1", "c3"), ("apart", "c2", "c1"), ("same", "c1", "c2")], [("c1", "c2")], [("c1", "c3")]),
    ],
)
def test_decide_later_statement_on_a_pair_wins(log, same, apart):
    links = decide([link(*step) for step in log], EP).links
    assert sorted(links.same) == same
    assert sorted(links.apart) == apart


def test_decide_apart_from_a_name_is_not_named():
    links = decide([Action("apart", "c1 is not Lisa", faces=faces("c1"), cast_name="Lisa")], EP).links
    assert list(links.not_named) == [("c1", "Lisa")]
    assert list(links.apart) == list(links.same) == []


def test_decide_apart_from_a_name_present_in_the_episode_is_not_named():
    # As api.actions.build makes it: other = the faces of the clusters carrying the name (here c1 itself, from the facebank, and c2)
    action = Action("apart", "c1 is not Lisa", faces=faces("c1"), other=faces("c1") + faces("c2"), cast_name="Lisa")
    links = decide([action], EP).links
    assert list(links.apart) == [("c1", "c2")]
    assert list(links.not_named) == [("c1", "Lisa")]


def test_apart_from_a_facebank_name_keeps_the_cluster_from_that_person():
    # c0 named Lisa by hand, c1 named Lisa by the facebank; the reviewer says c1 is not Lisa (as api.actions.build records it)
    ep = clustering({"c0": [0], "c1": [1]}, {0: [0], 1: [1]})
    action = Action("apart", "c1 is not Lisa", faces=ep.faces("c1"), other=ep.faces("c0") + ep.faces("c1"), cast_name="Lisa")
    decided = decide([named("Lisa", "c0", ep=ep), action], ep)
    vectors = np.array([[1.0, 0, 0], [0, 1.0, 0]])
    grouped = group_clusters(["c0", "c1"], vectors, np.ones(2), np.zeros((2, 2), bool), decided.names, ["Lisa"], np.array([[0, 1.0, 0]]), links=decided.links)
    assert grouped[1].person_name is None


# decide: not_face


def mark(cid_or_faces, on=True):
    held = faces(cid_or_faces) if isinstance(cid_or_faces, str) else tuple(cid_or_faces)
    return Action("not_face", "marked", faces=held, mark=on)


@pytest.mark.parametrize(
    "log, not_face",
    [
        ([mark("c3")], {"c3"}),
        ([mark((40, 41, 42))], {"c3"}),  # 3 of 4
        ([mark((40, 41))], set()),  # 2 of 4: not most
        ([mark((40, 41)), mark((42,))], {"c3"}),  # marks add up
        ([mark("c3"), mark("c3", on=False)], set()),  # taken back
        ([mark("c3"), mark((50, 40), on=False)], set()),  # half taken back: 2 of 4 left
        ([mark("c3"), mark("c3", on=False), mark("c3")], {"c3"}),
        ([mark("c2"), mark("c3")], {"c2", "c3"}),
        ([mark(faces("c2") + (40, 41))], {"c2"}),
    ],
)
def test_decide_not_face_marks_a_cluster_when_most_of_its_faces_are(log, not_face):
    assert set(decide(log, EP).links.not_face) == not_face


# decide: moves (the clustering is the one after the move: the moved track is a cluster of its own)

AFTER_MOVE = clustering({"c1": [1, 2], "c2": [3], "c3": [4], "c4": [5]}, TRACK_FACES)


def move(cast_name=None, other=()):
    return Action("move", "track 5 of c3 moved", faces=(50,), other=other, left=(40, 41, 42), cast_name=cast_name)


def test_decide_move_to_a_name_names_the_moved_faces():
    decided = decide([move(cast_name="Kyle")], AFTER_MOVE)
    assert decided.names == {"c4": "Kyle"}
    assert list(decided.links.same) == []


def test_decide_move_to_another_person_is_the_same_as_it():
    decided = decide([move(other=faces("c1"))], AFTER_MOVE)
    assert decided.names == {}
    assert list(decided.links.same) == [("c1", "c4")]
    assert list(decided.links.apart) == []


def test_decide_move_to_a_new_person_is_apart_from_what_stayed():
    decided = decide([move()], AFTER_MOVE)
    assert decided.names == {}
    assert list(decided.links.apart) == [("c3", "c4")]
    assert list(decided.links.same) == []


def test_decide_name_after_move_wins():
    assert decide([move(cast_name="Kyle"), named("Lisa", "c4", ep=AFTER_MOVE)], AFTER_MOVE).names == {"c4": "Lisa"}


# decide: stale


def test_decide_actions_on_faces_no_cluster_holds_are_stale():
    gone = [
        Action("name", "c7 named Lisa", (Assignment("Lisa", "c7", None, (70, 71)),)),
        Action("same", "c7 is c1", faces=(70, 71), other=faces("c1")),
        Action("apart", "c7 is not Lisa", faces=(70,), cast_name="Lisa"),
        Action("not_face", "c7 is not a face", faces=(70, 71)),
        Action("move", "tracks of c7 moved", faces=(70,), left=(71,), cast_name="Kyle"),
    ]
    live = [named("Lisa", "c1"), link("same", "c2", "c3"), mark("c2"), Action("name", "partly gone", (Assignment("Kyle", "c7", None, (70,)), Assignment("Kyle", "c3", None, faces("c3"))))]
    decided = decide([live[0], *gone[:2], live[1], *gone[2:], *live[2:]], EP)
    assert decided.stale == gone
    assert decided.names == {"c1": "Lisa", "c3": "Kyle"}
    assert list(decided.links.same) == [("c2", "c3")]
    assert list(decided.links.not_named) == []
    assert set(decided.links.not_face) == {"c2"}


# Anchors outlive re-clustering and re-tracking


def renamed(decided):
    links = decided.links

    def pair(p):
        return tuple(sorted(RENAMED[c] for c in p))

    return (
        {RENAMED[c]: n for c, n in decided.names.items()},
        sorted(map(pair, links.same)),
        sorted(map(pair, links.apart)),
        sorted((RENAMED[c], n) for c, n in links.not_named),
        {RENAMED[c] for c in links.not_face},
    )


def test_anchors_survive_new_cluster_and_track_ids():
    log = [
        named("Lisa", "c1"),
        named("Kyle", track_id=4),  # most of c3
        link("same", "c2", "c3"),
        link("apart", "c1", "c3"),
        Action("apart", "c2 is not Dorit", faces=faces("c2"), cast_name="Dorit"),
        mark("c2"),
        mark("c2", on=False),
        mark((40, 41, 42)),
    ]
    before = decide(log, EP)
    after = decide(log, EP2)
    assert before.names == {"c1": "Lisa", "c3": "Kyle"}
    assert after.names == {"x2": "Lisa", "x5": "Kyle"}
    assert (after.names, sorted(after.links.same), sorted(after.links.apart), sorted(after.links.not_named), set(after.links.not_face)) == renamed(before)
    assert sorted(after.links.same) == [("x5", "x9")]
    assert sorted(after.links.not_named) == [("x9", "Dorit")]
    assert set(after.links.not_face) == {"x5"}
    assert before.stale == after.stale == []


def test_anchors_follow_faces_into_merged_clusters():
    merged = clustering({"m": [1, 2, 3], "n": [4, 5]}, TRACK_FACES)  # c1 and c2 became one cluster
    decided = decide([named("Lisa", "c1"), named("Kyle", "c2"), link("apart", "c2", "c3")], merged)
    assert decided.names == {"m": "Lisa"}  # 4 faces named Lisa, 1 Kyle
    assert list(decided.links.apart) == []  # c2's one face is not most of m


# moved_tracks, apply_moves

ROWS = [[10, 11], [20, 21], [30], [40, 41, 42], [50], []]


def test_moved_tracks_takes_tracks_mostly_in_the_move():
    moves = [
        Action("move", "a", faces=(10, 11, 20, 40, 41)),  # row 0 all, row 1 half, row 3 2 of 3
        Action("name", "not a move", (Assignment("Lisa", "c1", None, (30,)),)),
        Action("move", "b", faces=(50, 99)),
        Action("move", "c", faces=(99,)),
        Action("not_face", "not a move", faces=(30,)),
    ]
    assert moved_tracks(moves, ROWS) == [[0, 3], [4], []]
    assert moved_tracks([], ROWS) == []


def test_apply_moves_new_cluster_at_the_end():
    assert apply_moves([[0, 1], [2], [3, 4]], [[4, 1]]) == [[0], [2], [3], [1, 4]]
    assert apply_moves([[0, 1], [2]], []) == [[0, 1], [2]]


def test_apply_moves_later_moves_win_and_empty_clusters_go():
    assert apply_moves([[0, 1], [2], [3, 4]], [[2, 3], [3, 0]]) == [[1], [4], [2], [0, 3]]
    assert apply_moves([[0, 1], [2]], [[2], [2]]) == [[0, 1], [2]]
    assert apply_moves([[0, 1], [2]], [[0, 1, 2]]) == [[0, 1, 2]]


def test_apply_moves_ignores_empty_moves():
    assert apply_moves([[0, 1], [2]], [[], [1], []]) == [[0], [2], [1]]


def test_apply_moves_does_not_change_its_input():
    groups, moves = [[0, 1], [2]], [[1]]
    apply_moves(groups, moves)
    assert groups == [[0, 1], [2]]
    assert moves == [[1]]


def test_a_move_outlives_re_clustering():
    # the log's move, applied on a fresh clustering that put track rows 3 and 4 (faces 40..42, 50) together again
    log = [Action("move", "track 5 of c3 moved", faces=(50,), left=(40, 41, 42))]
    groups = apply_moves([[0, 1], [2], [3, 4]], moved_tracks(log, [[10, 11], [20, 21], [30], [40, 41, 42], [50]]))
    assert groups == [[0, 1], [2], [3], [4]]
