"""What the review UI reads: clusters with their person and thumbnails, screen time, a show's people."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from ..resources import ArtifactNotFound
from ..resources.artifacts import CLUSTERS, GROUPS, SCREENTIME, THUMBNAILS, TRACKS, Artifact
from ..resources.facebank import read_facebank
from ..vision.screentime import TrackSpans, merge_intervals, person_tracks, screen_seconds
from .context import ApiContext
from .errors import not_found


def table(ctx: ApiContext, ep_id: str, artifact: Artifact, columns: list[str] | None = None) -> pa.Table:
    """An artifact of the episode; 404 naming it when it has not been made yet."""
    try:
        return ctx.store.read_table(artifact.key(ep_id), columns=columns)
    except ArtifactNotFound as exc:
        raise not_found(f"{ep_id} has no {artifact.title} yet: process the episode first") from exc


def clusters(ctx: ApiContext, ep_id: str) -> list[dict]:
    """Every cluster with its tracks, size, seconds on screen, person and thumbnail; unnamed and smallest-evidence first."""
    cluster_rows = table(ctx, ep_id, CLUSTERS).to_pylist()
    spans = track_spans(ctx, ep_id)
    person = {row["cluster_id"]: row for row in optional_rows(ctx, ep_id, GROUPS)}
    thumb_tracks: dict[str, list[int | None]] = {}
    try:
        thumbs = optional_rows(ctx, ep_id, THUMBNAILS, ["cluster_id", "track_id"])
    except pa.ArrowInvalid:  # thumbnails of earlier releases name no tracks
        thumbs = optional_rows(ctx, ep_id, THUMBNAILS, ["cluster_id"])
    for row in thumbs:
        thumb_tracks.setdefault(row["cluster_id"], []).append(row.get("track_id"))
    out = []
    for row in cluster_rows:
        cid = row["cluster_id"]
        group = person.get(cid, {})
        out.append({
            "cluster_id": cid,
            "track_ids": row["track_ids"],
            "size": row["n_faces"],
            "seconds": round(screen_seconds(*spans.of(row["track_ids"])), 2),
            "person_id": group.get("person_id"),
            "person_name": group.get("person_name"),
            "source": group.get("source"),
            "thumbnail_url": f"/episodes/{ep_id}/clusters/{cid}/thumbnail",
            "n_thumbnails": len(thumb_tracks.get(cid, [])),
            "thumbnail_tracks": thumb_tracks.get(cid, []),
            "suggestions": group.get("suggestions") or [],
        })
    out.sort(key=lambda c: (c["person_name"] is not None, c["source"] == "manual", -c["size"]))
    return out


def track_spans(ctx: ApiContext, ep_id: str) -> TrackSpans:
    return TrackSpans(table(ctx, ep_id, TRACKS, TrackSpans.COLUMNS))


def thumbnail(ctx: ApiContext, ep_id: str, cluster_id: str, index: int) -> bytes:
    """The JPEG of one of a cluster's thumbnails; 404 for an unknown cluster or index."""
    thumbs = table(ctx, ep_id, THUMBNAILS)
    mine = thumbs.filter(pc.equal(thumbs.column("cluster_id"), cluster_id))
    if not len(mine):
        raise not_found(f"unknown cluster {cluster_id} in {ep_id}")
    if not 0 <= index < len(mine):
        raise not_found(f"cluster {cluster_id} has {len(mine)} thumbnails, no index {index}")
    return mine.column("jpeg")[index].as_py()


def screentime(ctx: ApiContext, ep_id: str) -> list[dict]:
    return table(ctx, ep_id, SCREENTIME).to_pylist()


def timeline(ctx: ApiContext, ep_id: str) -> list[dict]:
    """Who is on screen when: each person's tracks joined as screen time joins them, in time order."""
    spans = track_spans(ctx, ep_id)
    tracks_of = {row["cluster_id"]: row["track_ids"] for row in table(ctx, ep_id, CLUSTERS, ["cluster_id", "track_ids"]).to_pylist()}
    groups = [row for row in table(ctx, ep_id, GROUPS).to_pylist() if row["cluster_id"] in tracks_of]  # groups may lag a re-clustering
    out = [
        {"person_id": person_id, "person_name": name, "start": round(start, 2), "end": round(end, 2)}
        for person_id, (name, track_ids) in person_tracks(groups, tracks_of).items()
        for start, end in merge_intervals(*spans.of(track_ids))
    ]
    return sorted(out, key=lambda row: (row["start"], row["person_id"]))


def people(ctx: ApiContext, show: str) -> list[dict]:
    """The show's facebank: each named person, the episodes naming them and a face of theirs."""
    bank = read_facebank(ctx.store, show, columns=["person_id", "person_name", "episode"])
    if not len(bank):
        raise not_found(f"show {show} has no named people yet")
    found: dict[str, dict] = {}
    for row in bank.to_pylist():
        entry = found.setdefault(row["person_id"], {"person_id": row["person_id"], "person_name": row["person_name"], "episodes": []})
        if row["episode"] not in entry["episodes"]:
            entry["episodes"].append(row["episode"])
    faces: dict[str, str] = {}
    for ep_id in dict.fromkeys(ep for entry in found.values() for ep in entry["episodes"]):
        for row in optional_rows(ctx, ep_id, GROUPS, ["cluster_id", "person_id"]):
            faces.setdefault(row["person_id"], f"/episodes/{ep_id}/clusters/{row['cluster_id']}/thumbnail")
    for entry in found.values():
        entry["thumbnail_url"] = faces.get(entry["person_id"])
    return sorted(found.values(), key=lambda p: p["person_name"])


def optional_rows(ctx: ApiContext, ep_id: str, artifact: Artifact, columns: list[str] | None = None) -> list[dict]:
    """The artifact's rows; none when it has not been made yet."""
    try:
        return ctx.store.read_table(artifact.key(ep_id), columns=columns).to_pylist()
    except ArtifactNotFound:
        return []
