"""groups: each cluster's person, from manual names, the show's facebank and automatic merging."""

import time

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetExecutionContext, Config, MaterializeResult, MetadataValue, asset

from ..ids import show_of
from ..resources import BaseArtifactStore
from ..resources.artifacts import CLUSTERS, GROUPS
from ..resources.facebank import read_facebank, write_exemplars
from ..resources.review_log import read_actions, write_actions
from ..vision import tables
from ..vision.grouping import FACEBANK_SIM, GROUP_SIM, ONE_SHOT_MARGIN, Grouped, group_clusters, parse_assignments, unclear_persons
from ..vision.review import Clustering, decide, name_action
from ..vision.suggestions import suggest
from .clusters import clusters
from .loading import read_tracks
from .partitions import episode_of, episodes
from .progress import progress_reporter


class NamedTarget(Config):
    """A reviewer's name for one cluster or one track."""

    cast_name: str
    cluster_id: str | None = None
    track_id: int | None = None


class GroupsConfig(Config):
    """Similarity thresholds for merging clusters and facebank names; names to add to the review log (the Dagster UI's way to name)."""

    merge_threshold: float = GROUP_SIM
    one_shot_margin: float = ONE_SHOT_MARGIN
    facebank_threshold: float = FACEBANK_SIM
    assignments: list[NamedTarget] = []


@asset(
    partitions_def=episodes,
    group_name="episode",
    deps=[clusters],
    check_specs=[
        AssetCheckSpec(
            "no_look_alike_persons", asset="groups",
            description="No unnamed cluster looks like another person it is never on screen with (a person split in two, or a merge to make)",
        ),
        AssetCheckSpec(
            "no_unclear_persons", asset="groups",
            description="No unnamed person is made only of faces too unclear to say who they are (blurred, turned away, or no face)",
        ),
    ],
)
def groups(context: AssetExecutionContext, config: GroupsConfig, store: BaseArtifactStore) -> MaterializeResult:
    """Map clusters to persons; manually named clusters also enter the show's facebank."""
    ep_id = episode_of(context)
    started = time.perf_counter()
    progress_reporter(context, store)(0, 1, "mapping clusters to persons")
    cluster_table = store.read_table(CLUSTERS.key(ep_id))
    cluster_ids = cluster_table.column("cluster_id").to_pylist()
    cluster_tracks = {c: np.asarray(t, np.int64) for c, t in zip(cluster_ids, cluster_table.column("track_ids").to_pylist())}
    episode = read_tracks(store, ep_id)
    tracks, look = episode.tracks, episode.appearance
    row_of_track = {int(t): i for i, t in enumerate(tracks.track_id)}
    membership = np.zeros((len(cluster_ids), len(tracks)))
    for c, cid in enumerate(cluster_ids):
        membership[c, [row_of_track[int(t)] for t in cluster_tracks[cid]]] = 1.0
    sums = membership @ look.sums
    counts = membership @ look.counts
    conflicts = (membership @ look.conflicts @ membership.T) > 0
    shots = (membership @ look.shots) > 0
    clear = (membership @ look.clear) > 0

    clustering = Clustering(cluster_tracks, dict(zip(tracks.track_id.tolist(), tracks.face_ids)))
    actions = read_actions(store, ep_id)
    if config.assignments:
        new = parse_assignments([a.model_dump(exclude_none=True) for a in config.assignments])
        actions.append(name_action(new, clustering))  # ValueError naming unknown targets
        write_actions(store, ep_id, actions)
    decided = decide(actions, clustering)
    for action in decided.stale:
        context.log.warning(f"review action names nothing in this clustering: {action.said}")
    links = decided.links
    show = show_of(ep_id)
    bank = read_facebank(store, show)
    # The episode's own exemplars are its names of the last run: this run's names replace them, so they name nothing.
    bank = bank.filter(pc.not_equal(bank.column("episode"), ep_id))
    bank_names, bank_vectors = bank.column("person_name").to_pylist(), tables.embedding_matrix(bank.column("embedding"))
    grouped = group_clusters(
        cluster_ids, sums, counts, conflicts, decided.names, bank_names, bank_vectors, config.merge_threshold, config.facebank_threshold, links,
        shots, config.one_shot_margin,
    )
    suggested = suggest(grouped, sums, counts, conflicts, links, bank_names, bank_vectors)
    rows = [{**g.__dict__, "suggestions": [s.__dict__ for s in suggested.get(g.cluster_id, [])]} for g in grouped]
    table = pa.Table.from_pylist(rows, schema=tables.GROUPS)
    store.write_table(GROUPS.key(ep_id), table)
    named = [i for i, g in enumerate(grouped) if g.source == "manual"]
    write_exemplars(store, show, ep_id, exemplars(ep_id, [grouped[i] for i in named], sums[named]))
    sources = table.column("source").to_pylist()
    alike = sorted(((cid, options[0]) for cid, options in suggested.items() if options), key=lambda pair: -pair[1].similarity)
    pairs = "\n".join(f"| {cid} | {s.person_name or s.cluster_id} | {s.similarity:.2f} |" for cid, s in alike[:20])
    unclear = unclear_persons(grouped, clear)
    return MaterializeResult(
        check_results=[
            AssetCheckResult(
                check_name="no_look_alike_persons", passed=not alike, severity=AssetCheckSeverity.WARN,
                metadata={"n_look_alike": len(alike), "pairs": MetadataValue.md(f"| cluster | looks like | similarity |\n|---|---|---|\n{pairs}")},
            ),
            AssetCheckResult(
                check_name="no_unclear_persons", passed=not unclear, severity=AssetCheckSeverity.WARN,
                metadata={"n_unclear": len(unclear), "persons": ", ".join(unclear[:20])},
            ),
        ],
        metadata={
            "n_clusters": len(grouped),
            "n_persons": len({g.person_id for g in grouped if g.source != "not_face"}),
            "n_named_persons": len({g.person_id for g in grouped if g.person_name}),
            **{f"n_{s}": sources.count(s) for s in tables.SOURCES},
            "n_review_actions": len(actions),
            "n_stale_actions": len(decided.stale),
            "facebank_size": len(bank),
            "merge_threshold": config.merge_threshold,
            "one_shot_margin": config.one_shot_margin,
            "facebank_threshold": config.facebank_threshold,
            "n_new_assignments": len(config.assignments),
            "seconds": round(time.perf_counter() - started, 2),
        }
    )


def exemplars(ep_id: str, named: list[Grouped], sums: np.ndarray) -> pa.Table:
    """This episode's manually named clusters as facebank rows: one normalised centroid each."""
    centroids = sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)
    return pa.table(
        {
            "person_id": pa.array([g.person_id for g in named], pa.string()),
            "person_name": pa.array([g.person_name for g in named], pa.string()),
            "embedding": tables.embedding_column(centroids.reshape(-1, tables.EMBED_DIM)),
            "episode": pa.array([ep_id] * len(named), pa.string()),
        },
        schema=tables.FACEBANK,
    )
