"""screentime: seconds on screen per person."""

import time
from typing import Any

import pyarrow as pa
from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetExecutionContext, Config, MaterializeResult, MetadataValue, asset

from ..resources import BaseArtifactStore
from ..resources.artifacts import CLUSTERS, GROUPS, SCREENTIME, TRACKS
from ..vision import tables
from ..vision.screentime import GAP_TOLERANCE, SHOT_GAP_TOLERANCE, TrackSpans, person_tracks, screen_seconds
from .groups import groups
from .partitions import episode_of, episodes
from .progress import progress_reporter


class ScreentimeConfig(Config):
    """Seconds between two of a person's tracks that still count as on screen (longer within one shot)."""

    gap_tolerance: float = GAP_TOLERANCE
    shot_gap_tolerance: float = SHOT_GAP_TOLERANCE


SHORT_PERSON_S = 1.0  # a person on screen less than this is often a stray face, a split or no face at all


@asset(
    partitions_def=episodes,
    group_name="episode",
    deps=[groups],
    check_specs=[AssetCheckSpec("no_short_persons", asset="screentime", description=f"No person is on screen under {SHORT_PERSON_S:g} s")],
)
def screentime(context: AssetExecutionContext, config: ScreentimeConfig, store: BaseArtifactStore) -> MaterializeResult:
    """Union of each person's track intervals, gaps under gap_tolerance filled."""
    ep_id = episode_of(context)
    started = time.perf_counter()
    progress_reporter(context, store)(0, 1, "adding up screen time")
    group_table = store.read_table(GROUPS.key(ep_id))
    cluster_table = store.read_table(CLUSTERS.key(ep_id))
    spans = TrackSpans(store.read_table(TRACKS.key(ep_id), columns=TrackSpans.COLUMNS))
    tracks_of = dict(zip(cluster_table.column("cluster_id").to_pylist(), cluster_table.column("track_ids").to_pylist()))
    rows: list[dict[str, Any]] = []
    for person_id, (name, track_ids) in person_tracks(group_table.to_pylist(), tracks_of).items():
        seconds = screen_seconds(*spans.of(track_ids), config.gap_tolerance, config.shot_gap_tolerance)
        rows.append({"person_id": person_id, "person_name": name, "seconds": seconds, "n_tracks": len(track_ids)})
    rows.sort(key=lambda r: -r["seconds"])
    table = pa.Table.from_pylist(rows, schema=tables.SCREENTIME)
    store.write_table(SCREENTIME.key(ep_id), table)
    top = "\n".join(f"| {r['person_name'] or r['person_id']} | {r['seconds']:.1f} |" for r in rows[:20])
    short = [r for r in rows if r["seconds"] < SHORT_PERSON_S]
    return MaterializeResult(
        check_results=[
            AssetCheckResult(
                check_name="no_short_persons", passed=not short, severity=AssetCheckSeverity.WARN,
                metadata={"n_short": len(short), "persons": ", ".join(f"{r['person_name'] or r['person_id']} ({r['seconds']:.1f} s)" for r in short[:20])},
            )
        ],
        metadata={
            "n_persons": len(rows),
            "total_seconds": round(sum(r["seconds"] for r in rows), 2),
            **config.model_dump(),
            "top_persons": MetadataValue.md(f"| person | seconds |\n|---|---|\n{top}"),
            "seconds": round(time.perf_counter() - started, 2),
        }
    )
