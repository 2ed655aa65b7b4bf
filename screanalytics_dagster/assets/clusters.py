"""clusters: tracks grouped into identities; tracks seen together are never one identity."""

import time

import numpy as np
import pyarrow as pa
from dagster import AssetCheckResult, AssetCheckSpec, AssetExecutionContext, Config, MaterializeResult, asset

from ..resources import BaseArtifactStore
from ..resources.artifacts import CLUSTERS, CROPS, THUMBNAILS
from ..resources.review_log import read_actions
from ..vision import tables
from ..vision.clustering import CLUSTER_SIM, cluster_name, cluster_tracks, thumbnail_faces
from ..vision.review import apply_moves, moved_tracks
from .loading import read_tracks
from .partitions import episode_of, episodes
from .progress import progress_reporter
from .tracks import tracks

MAX_SINGLETON_FRACTION = 0.5
MAX_LARGEST_FRACTION = 0.6


class ClustersConfig(Config):
    """Mean pairwise face cosine above which two clusters merge."""

    threshold: float = CLUSTER_SIM


@asset(
    partitions_def=episodes,
    group_name="episode",
    deps=[tracks],
    check_specs=[
        AssetCheckSpec("singleton_fraction", asset="clusters", description="Under half of the clusters hold a single track"),
        AssetCheckSpec("largest_cluster_fraction", asset="clusters", description="No cluster holds most of the faces"),
    ],
)
def clusters(context: AssetExecutionContext, config: ClustersConfig, store: BaseArtifactStore) -> MaterializeResult:
    """Average-linkage clustering of tracks on their face embeddings, with cannot-link constraints; reviewers' moved tracks kept apart."""
    ep_id = episode_of(context)
    started = time.perf_counter()
    progress_reporter(context, store)(0, 1, "clustering tracks")
    episode = read_tracks(store, ep_id)
    look = episode.appearance
    found = cluster_tracks(look.sums, look.counts, look.conflicts, config.threshold)
    moves = moved_tracks(read_actions(store, ep_id), [f.tolist() for f in episode.tracks.face_ids])
    groups = [np.asarray(g, np.int64) for g in apply_moves([g.tolist() for g in found], moves)]
    track_ids = [episode.tracks.track_id[g] for g in groups]
    table = pa.table(
        {
            "cluster_id": pa.array([cluster_name(t) for t in track_ids], pa.string()),
            "track_ids": pa.array([t.tolist() for t in track_ids], pa.list_(pa.int64())),
            "n_faces": pa.array([sum(len(episode.tracks.face_ids[i]) for i in g) for g in groups], pa.int64()),
        },
        schema=tables.CLUSTERS,
    )
    store.write_table(CLUSTERS.key(ep_id), table)
    picks = thumbnail_faces(groups, episode.tracks.face_ids, episode.score_of)
    track_id = episode.tracks.track_id
    write_thumbnails(store, ep_id, table.column("cluster_id").to_pylist(), [[(int(track_id[t]), f) for t, f in p] for p in picks])
    sizes = np.array([len(g) for g in groups])
    faces_per_cluster = table.column("n_faces").to_numpy()
    singleton = float(np.mean(sizes == 1)) if len(sizes) else 0.0
    largest = float(faces_per_cluster.max() / faces_per_cluster.sum()) if len(sizes) else 0.0
    return MaterializeResult(
        metadata={
            "n_clusters": len(groups),
            "n_tracks": len(episode.tracks),
            "n_moves": len(moves),
            "threshold": config.threshold,
            "singleton_fraction": round(singleton, 4),
            "largest_cluster_fraction": round(largest, 4),
            "seconds": round(time.perf_counter() - started, 2),
        },
        check_results=[
            AssetCheckResult(check_name="singleton_fraction", passed=singleton < MAX_SINGLETON_FRACTION, metadata={"fraction": round(singleton, 4)}),
            AssetCheckResult(check_name="largest_cluster_fraction", passed=largest < MAX_LARGEST_FRACTION, metadata={"fraction": round(largest, 4)}),
        ],
    )


def write_thumbnails(store: BaseArtifactStore, ep_id: str, cluster_ids: list[str], picks: list[list[tuple[int, int]]]) -> None:
    """THUMBNAILS: the crops of each cluster's picked (track, face) pairs, for reviewers (read by the API)."""
    slot = {face: (cid, rank, track) for cid, faces_of in zip(cluster_ids, picks) for rank, (track, face) in enumerate(faces_of)}
    rows = []
    for batch in store.iter_batches(CROPS.key(ep_id), batch_size=4096):
        for face, jpeg in zip(batch.column("face_id").to_pylist(), batch.column("jpeg").to_pylist()):
            if face in slot:
                cid, rank, track = slot[face]
                rows.append({"cluster_id": cid, "rank": rank, "face_id": face, "jpeg": jpeg, "track_id": track})
    rows.sort(key=lambda r: (r["cluster_id"], r["rank"]))
    store.write_table(THUMBNAILS.key(ep_id), pa.Table.from_pylist(rows, schema=tables.THUMBNAILS))
