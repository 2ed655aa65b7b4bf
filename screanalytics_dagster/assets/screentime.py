"""screentime: seconds on screen per person."""

import time

import numpy as np
import pyarrow as pa
from dagster import AssetExecutionContext, Config, MaterializeResult, MetadataValue, asset

from ..resources import ArtifactStore, episode_key
from ..vision import tables
from ..vision.screentime import GAP_TOLERANCE, screen_seconds
from .common import episode_of, episodes
from .groups import groups


class ScreentimeConfig(Config):
    """Seconds between two of a person's tracks that still count as on screen."""

    gap_tolerance: float = GAP_TOLERANCE


@asset(partitions_def=episodes, group_name="episode", deps=[groups])
def screentime(context: AssetExecutionContext, config: ScreentimeConfig, store: ArtifactStore) -> MaterializeResult:
    """Union of each person's track intervals, gaps under gap_tolerance filled."""
    ep_id = episode_of(context)
    started = time.perf_counter()
    group_table = store.read_table(episode_key(ep_id, "groups.parquet"))
    cluster_table = store.read_table(episode_key(ep_id, "clusters.parquet"))
    track_table = store.read_table(episode_key(ep_id, "tracks.parquet"), columns=["track_id", "start_ts", "end_ts"])
    span = {
        int(t): (s, e)
        for t, s, e in zip(*(track_table.column(c).to_pylist() for c in ("track_id", "start_ts", "end_ts")))
    }
    tracks_of = dict(zip(cluster_table.column("cluster_id").to_pylist(), cluster_table.column("track_ids").to_pylist()))
    people: dict[str, tuple[str | None, list[int]]] = {}
    for row in group_table.to_pylist():
        name, track_ids = people.setdefault(row["person_id"], (row["person_name"], []))
        track_ids.extend(tracks_of[row["cluster_id"]])
    rows = []
    for person_id, (name, track_ids) in people.items():
        starts = np.array([span[t][0] for t in track_ids])
        ends = np.array([span[t][1] for t in track_ids])
        rows.append(
            {"person_id": person_id, "person_name": name, "seconds": screen_seconds(starts, ends, config.gap_tolerance), "n_tracks": len(track_ids)}
        )
    rows.sort(key=lambda r: -r["seconds"])
    table = pa.Table.from_pylist(rows, schema=tables.SCREENTIME)
    store.write_table(episode_key(ep_id, "screentime.parquet"), table)
    top = "\n".join(f"| {r['person_name'] or r['person_id']} | {r['seconds']:.1f} |" for r in rows[:20])
    return MaterializeResult(
        metadata={
            "n_persons": len(rows),
            "total_seconds": round(sum(r["seconds"] for r in rows), 2),
            "gap_tolerance": config.gap_tolerance,
            "top_persons": MetadataValue.md(f"| person | seconds |\n|---|---|\n{top}"),
            "seconds": round(time.perf_counter() - started, 2),
        }
    )
