"""A reviewer's actions on an episode as a log, anchored to faces so that they outlive re-clustering and re-tracking.

Actions: `name` (clusters or tracks take a cast name, or lose it), `same` (two persons are one), `apart` (they are
not, or a cluster is not a named person), `not_face` (a cluster is no face: no person, no screen time, no facebank),
`move` (tracks leave their cluster for a named person, another cluster's person, or a new person of their own).
Later actions win over earlier ones on the same faces; undo drops the last one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import cached_property
from itertools import product

import numpy as np

from .grouping import Assignment, Links, anchor, parse_assignments, resolve_manual

KINDS = ("name", "same", "apart", "not_face", "move")
RECLUSTERS = frozenset({"move"})  # kinds that change the clusters, not only the persons


@dataclass(frozen=True)
class Action:
    """One thing a reviewer did; faces are those its clusters or tracks held when it was done."""

    kind: str
    said: str  # what it did, in words: the UI shows it and undo names it
    names: tuple[Assignment, ...] = ()  # name: each target's cast name (None: unname)
    faces: tuple[int, ...] = ()  # same, apart, not_face, move: the faces acted on
    other: tuple[int, ...] = ()  # same, apart: the other person's faces; move: those of the person the tracks join
    left: tuple[int, ...] = ()  # move: the faces that stayed in the cluster
    cast_name: str | None = None  # apart: the name the cluster is not; move: the name the tracks take
    mark: bool = True  # not_face: False takes the mark back

    def to_json(self) -> dict:
        value = asdict(self)
        value["names"] = [{**asdict(a), "face_ids": list(a.face_ids)} for a in self.names]
        return {k: list(v) if isinstance(v, tuple) else v for k, v in value.items()}

    @classmethod
    def from_json(cls, value: object) -> Action:
        if not isinstance(value, dict) or value.get("kind") not in KINDS:
            raise ValueError(f"a review action must be an object with kind one of {', '.join(KINDS)}")
        ints = {k: tuple(int(f) for f in value.get(k, [])) for k in ("faces", "other", "left")}
        names = tuple(Assignment(a.get("cast_name"), a.get("cluster_id"), a.get("track_id"), tuple(a.get("face_ids", []))) for a in value.get("names", []))
        return cls(value["kind"], str(value.get("said", "")), names, **ints, cast_name=value.get("cast_name"), mark=bool(value.get("mark", True)))


def legacy_actions(assignments: object) -> list[Action]:
    """The name action that a manual_assignments.json of earlier releases amounts to."""
    parsed = parse_assignments(assignments)
    return [Action("name", f"{len(parsed)} earlier names", tuple(parsed))] if parsed else []


@dataclass(frozen=True)
class Clustering:
    """An episode's clusters as actions see them: the tracks each cluster holds and the faces each track holds."""

    cluster_tracks: dict[str, np.ndarray]
    track_faces: dict[int, np.ndarray]

    @cached_property
    def cluster_of_face(self) -> dict[int, str]:
        return {int(f): cid for cid, tracks in self.cluster_tracks.items() for t in tracks.tolist() for f in self.track_faces[t].tolist()}

    @cached_property
    def size(self) -> Counter:
        return Counter(self.cluster_of_face.values())

    def faces(self, cluster_id: str | None = None, track_ids: Iterable[int] = ()) -> tuple[int, ...]:
        """The faces of a cluster, or of some tracks."""
        tracks = self.cluster_tracks[cluster_id].tolist() if cluster_id is not None else list(track_ids)
        return tuple(sorted(int(f) for t in tracks for f in self.track_faces[int(t)].tolist()))

    def clusters_of(self, faces: tuple[int, ...]) -> list[str]:
        """The clusters made mostly of these faces (what they were when the action was taken)."""
        held = Counter(self.cluster_of_face[f] for f in faces if f in self.cluster_of_face)
        return sorted(c for c, n in held.items() if 2 * n > self.size[c])

    def anchored(self, names: list[Assignment]) -> tuple[Assignment, ...]:
        """The names with the faces their targets hold now."""
        return tuple(anchor(a, self.cluster_tracks, self.track_faces) for a in names)


@dataclass(frozen=True)
class Decisions:
    """What the log says of the current clusters."""

    names: dict[str, str]  # cluster id -> cast name
    links: Links  # same, apart, not a name, not a face
    stale: list[Action]  # actions on faces no cluster holds now


def decide(actions: list[Action], clustering: Clustering) -> Decisions:
    """Fold the log over the current clusters; a later action on the same faces or pair wins."""
    names: list[Assignment] = []
    links: dict[frozenset[str], bool] = {}
    not_named: dict[tuple[str, str], bool] = {}
    marked: dict[int, bool] = {}
    stale = []

    def link(faces: tuple[int, ...], other: tuple[int, ...], same: bool) -> None:
        for a, b in product(clustering.clusters_of(faces), clustering.clusters_of(other)):
            if a != b:
                links[frozenset((a, b))] = same

    for action in actions:
        held = action.faces + tuple(f for a in action.names for f in a.face_ids)
        if held and not any(f in clustering.cluster_of_face for f in held):
            stale.append(action)
        if action.kind == "name":
            names.extend(action.names)
        elif action.kind in ("same", "apart"):
            link(action.faces, action.other, action.kind == "same")
            if action.kind == "apart" and action.cast_name:
                not_named.update(dict.fromkeys(((c, action.cast_name) for c in clustering.clusters_of(action.faces)), True))
        elif action.kind == "not_face":
            marked.update(dict.fromkeys(action.faces, action.mark))
        elif action.kind == "move":
            if action.cast_name:
                names.append(Assignment(action.cast_name, face_ids=action.faces))
            link(action.faces, action.other or action.left, bool(action.other))
    named, _ = resolve_manual(names, clustering.cluster_tracks, clustering.track_faces)
    pairs: dict[bool, list[tuple[str, str]]] = {True: [], False: []}
    for pair, same in links.items():
        a, b = sorted(pair)
        pairs[same].append((a, b))
    flagged = Counter(clustering.cluster_of_face[f] for f, on in marked.items() if on and f in clustering.cluster_of_face)
    not_face = {c for c, n in flagged.items() if 2 * n > clustering.size[c]}
    return Decisions(named, Links(pairs[True], pairs[False], list(not_named), not_face), stale)


def name_action(names: list[Assignment], clustering: Clustering, whose: str = "this episode's") -> Action:
    """Names (None: unnaming) anchored to the faces their clusters or tracks hold; ValueError naming unknown targets."""
    anchored = clustering.anchored(names)
    unknown = [a.cluster_id if a.cluster_id is not None else f"track {a.track_id}" for a in anchored if not a.face_ids]
    if unknown:
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        raise ValueError(f"unknown in {whose} clustering: {', '.join(map(str, unknown[:5]))}{more}")
    targets = ", ".join(a.cluster_id or f"track {a.track_id}" for a in anchored)
    given = {a.cast_name for a in anchored}
    said = f"{targets} unnamed" if given == {None} else f"{targets} named {' / '.join(sorted(n or '(none)' for n in given))}"
    return Action("name", said, anchored)


def moved_tracks(actions: list[Action], track_faces: list[list[int]]) -> list[list[int]]:
    """For each move in the log, the track rows it takes out of their clusters (mostly its faces), in order."""
    moves = []
    for action in actions:
        if action.kind == "move":
            faces = set(action.faces)
            moves.append([row for row, held in enumerate(track_faces) if held and 2 * sum(f in faces for f in held) > len(held)])
    return moves


def apply_moves(groups: list[list[int]], moves: list[list[int]]) -> list[list[int]]:
    """Clusters (lists of track rows) after each move took its tracks into a new cluster; later moves win."""
    result = [list(g) for g in groups]
    for rows in moves:
        taken = set(rows)
        if taken:
            result = [[r for r in g if r not in taken] for g in result] + [sorted(taken)]
    return [g for g in result if g]
