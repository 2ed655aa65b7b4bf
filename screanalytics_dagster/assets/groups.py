"""groups: each cluster's person, from manual names, the show's facebank and automatic merging."""

import time
from typing import Optional

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from dagster import AssetExecutionContext, Config, MaterializeResult, asset

from ..episode import show_of
from ..resources import BaseArtifactStore, episode_key, facebank_key
from ..vision import tables
from ..vision.grouping import (
    FACEBANK_SIM,
    GROUP_SIM,
    assignments_json,
    group_clusters,
    merge_assignments,
    parse_assignments,
    resolve_manual,
)
from .clusters import clusters
from .common import episode_of, episodes, load_tracks

MANUAL_ASSIGNMENTS = "manual_assignments.json"


class NamedTarget(Config):
    """A reviewer's name for one cluster or one track."""

    cast_name: str
    cluster_id: Optional[str] = None
    track_id: Optional[int] = None


class GroupsConfig(Config):
    """Similarity thresholds for merging clusters and facebank names; manual_assign's new names."""

    merge_threshold: float = GROUP_SIM
    facebank_threshold: float = FACEBANK_SIM
    assignments: list[NamedTarget] = []


@asset(partitions_def=episodes, group_name="episode", deps=[clusters])
def groups(context: AssetExecutionContext, config: GroupsConfig, store: BaseArtifactStore) -> MaterializeResult:
    """Map clusters to persons; manually named clusters also enter the show's facebank."""
    ep_id = episode_of(context)
    started = time.perf_counter()
    cluster_table = store.read_table(episode_key(ep_id, "clusters.parquet"))
    cluster_ids = cluster_table.column("cluster_id").to_pylist()
    cluster_tracks = {c: np.asarray(t, np.int64) for c, t in zip(cluster_ids, cluster_table.column("track_ids").to_pylist())}
    track_table = load_tracks(store, ep_id)
    row_of_track = {int(t): i for i, t in enumerate(track_table.track_ids)}
    membership = np.zeros((len(cluster_ids), len(track_table.track_ids)))
    for c, cid in enumerate(cluster_ids):
        membership[c, [row_of_track[int(t)] for t in cluster_tracks[cid]]] = 1.0
    sums = membership @ track_table.sums
    counts = membership @ track_table.counts
    conflicts = (membership @ track_table.conflicts @ membership.T) > 0

    track_faces = dict(zip(track_table.track_ids.tolist(), track_table.face_ids))
    assignments = parse_assignments(store.read_json(episode_key(ep_id, MANUAL_ASSIGNMENTS), default=[]))
    if config.assignments:
        new = parse_assignments([a.model_dump(exclude_none=True) for a in config.assignments])
        assignments = merge_assignments(assignments, new, cluster_tracks, track_faces)
        store.write_json(episode_key(ep_id, MANUAL_ASSIGNMENTS), assignments_json(assignments))
    manual, stale = resolve_manual(assignments, cluster_tracks, track_faces)
    for a in stale:
        context.log.warning(f"manual assignment names nothing in this clustering: {a}")
    show = show_of(ep_id)
    bank = _read_facebank(store, show)
    grouped = group_clusters(
        cluster_ids,
        sums,
        counts,
        conflicts,
        manual,
        bank.column("person_name").to_pylist(),
        tables.embedding_matrix(bank.column("embedding")),
        config.merge_threshold,
        config.facebank_threshold,
    )
    table = pa.Table.from_pylist([g.__dict__ for g in grouped], schema=tables.GROUPS)
    store.write_table(episode_key(ep_id, "groups.parquet"), table)
    named = [i for i, g in enumerate(grouped) if g.source == "manual"]
    _update_facebank(store, show, ep_id, bank, [grouped[i] for i in named], sums[named])
    sources = table.column("source").to_pylist()
    return MaterializeResult(
        metadata={
            "n_clusters": len(grouped),
            "n_persons": len({g.person_id for g in grouped}),
            "n_named_persons": len({g.person_id for g in grouped if g.person_name}),
            **{f"n_{s}": sources.count(s) for s in tables.SOURCES},
            "n_stale_assignments": len(stale),
            "facebank_size": len(bank),
            "merge_threshold": config.merge_threshold,
            "facebank_threshold": config.facebank_threshold,
            "n_new_assignments": len(config.assignments),
            "seconds": round(time.perf_counter() - started, 2),
        }
    )


def _read_facebank(store: BaseArtifactStore, show: str) -> pa.Table:
    key = facebank_key(show)
    return store.read_table(key) if store.exists(key) else tables.FACEBANK.empty_table()


def _update_facebank(store: BaseArtifactStore, show: str, ep_id: str, bank: pa.Table, named: list, sums: np.ndarray) -> None:
    """Replace this episode's exemplars in the show's facebank with its manually named clusters."""
    kept = bank.filter(pc.not_equal(bank.column("episode"), ep_id)) if len(bank) else bank
    if not named and len(kept) == len(bank):
        return
    centroids = sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)
    fresh = pa.table(
        {
            "person_id": pa.array([g.person_id for g in named], pa.string()),
            "person_name": pa.array([g.person_name for g in named], pa.string()),
            "embedding": tables.embedding_column(centroids.reshape(-1, tables.EMBED_DIM)),
            "episode": pa.array([ep_id] * len(named), pa.string()),
        },
        schema=tables.FACEBANK,
    )
    store.write_table(facebank_key(show), pa.concat_tables([kept, fresh]))
