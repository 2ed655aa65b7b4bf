"""Review UI render time: each page (Streamlit's AppTest run) for an episode with 200 clusters, against a real API process.

The episode is synthetic: its artifact tables written directly (tracks, clusters with thumbnails, groups with some
named people and three suggestions per unnamed cluster, screen time, the show's facebank), so no video is processed. The API runs in its own process over that
storage root (Redis down), as the UI would reach it. Printed: seconds per page, the first render (thumbnails fetched
from the API) and the next one (thumbnails cached); target: under 2 s.

Run:  .venv/bin/python bench/ui_render.py [--clusters 200] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import pyarrow as pa
import requests
import streamlit as st
from streamlit.testing.v1 import AppTest

from screanalytics_dagster.deploy.commands import api_command
from screanalytics_dagster.deploy.processes import free_port
from screanalytics_dagster.resources import ArtifactStore
from screanalytics_dagster.resources.artifacts import BY_NAME, exemplars_key
from screanalytics_dagster.testing.stack import running_service
from screanalytics_dagster.testing.ui_pages import page_script
from screanalytics_dagster.vision import tables

EPISODE = "benchui-s01e01"
PAGES = ("episodes", "clusters", "screentime", "people")
TRACKS_PER_CLUSTER = 3
NAMED_EVERY = 5  # one cluster in five is named by hand


def synthetic_root(root: Path, n_clusters: int, seed: int = 0) -> None:
    """A storage root whose episode has n_clusters clusters, their thumbnails, groups, screen time and facebank."""
    rng = np.random.default_rng(seed)
    store = ArtifactStore(root=str(root))
    (root / "videos").mkdir(parents=True)
    (root / "videos" / f"{EPISODE}.mp4").write_bytes(b"")  # registration only checks that the video is there
    n_tracks = n_clusters * TRACKS_PER_CLUSTER
    starts = np.sort(rng.uniform(0, 2400, n_tracks))
    track_rows = [
        {"track_id": t, "face_ids": list(range(t * 10, t * 10 + 10)), "start_ts": float(s), "end_ts": float(s + rng.uniform(1, 8)), "shot_id": t // 4}
        for t, s in enumerate(starts)
    ]
    order = rng.permutation(n_tracks)
    cluster_rows, group_rows, thumb_rows = [], [], []
    for c in range(n_clusters):
        cid = f"c{c:05d}"
        track_ids = sorted(int(t) for t in order[c * TRACKS_PER_CLUSTER:(c + 1) * TRACKS_PER_CLUSTER])
        size = int(rng.integers(5, 150))
        cluster_rows.append({"cluster_id": cid, "track_ids": track_ids, "n_faces": size})
        named = c % NAMED_EVERY == 0
        name = f"Person {c // NAMED_EVERY:03d}" if named else None
        # Unnamed clusters suggest three others, the way the groups asset does: a person, with their largest cluster.
        others = [int(o) for o in rng.choice(n_clusters, 3, replace=False)]
        suggestions = [] if named else [
            {"person_id": f"p{o:05d}", "person_name": None, "cluster_id": f"c{o:05d}", "similarity": float(0.6 - 0.1 * k)} for k, o in enumerate(others)
        ]
        group_rows.append({
            "cluster_id": cid, "person_id": f"person-{c // NAMED_EVERY:03d}" if named else f"p{c:05d}", "person_name": name,
            "source": "manual" if named else "auto", "suggestions": suggestions,
        })
        for rank in range(min(3, 1 + size // 40)):
            face = np.full((112, 112, 3), rng.integers(0, 255, 3), np.uint8)
            cv2.circle(face, (56, 56), 30 + rank * 5, (255, 255, 255), -1)
            thumb_rows.append({
                "cluster_id": cid, "rank": rank, "face_id": track_ids[rank] * 10, "jpeg": cv2.imencode(".jpg", face)[1].tobytes(), "track_id": track_ids[rank],
            })
    people: dict[str, dict] = {}
    for group, cluster in zip(group_rows, cluster_rows):
        person = people.setdefault(group["person_id"], {"person_id": group["person_id"], "person_name": group["person_name"], "seconds": 0.0, "n_tracks": 0})
        person["seconds"] += sum(track_rows[t]["end_ts"] - track_rows[t]["start_ts"] for t in cluster["track_ids"])
        person["n_tracks"] += len(cluster["track_ids"])
    for name, rows, schema in (
        ("tracks.parquet", track_rows, tables.TRACKS),
        ("clusters.parquet", cluster_rows, tables.CLUSTERS),
        ("groups.parquet", group_rows, tables.GROUPS),
        ("thumbnails.parquet", thumb_rows, tables.THUMBNAILS),
        ("screentime.parquet", sorted(people.values(), key=lambda p: -p["seconds"]), tables.SCREENTIME),
    ):
        store.write_table(BY_NAME[name].key(EPISODE), pa.Table.from_pylist(rows, schema=schema))
    named = [p for p in people.values() if p["person_name"]]
    embeddings = rng.standard_normal((len(named), tables.EMBED_DIM)).astype(np.float32)
    bank = pa.table({
        "person_id": [p["person_id"] for p in named], "person_name": [p["person_name"] for p in named],
        "embedding": tables.embedding_column(embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)),
        "episode": [EPISODE] * len(named),
    }, schema=tables.FACEBANK)
    store.write_table(exemplars_key(EPISODE.rsplit("-", 1)[0], EPISODE), bank)


def render(page: str) -> tuple[float, float]:
    """Seconds of the page's first run (nothing cached) and of its next run."""
    st.cache_resource.clear()
    at = AppTest.from_function(page_script, args=(page,), default_timeout=120)
    at.session_state["episode"] = EPISODE
    started = time.perf_counter()
    at.run()
    first = time.perf_counter() - started
    if at.exception or at.error:
        raise RuntimeError(f"{page} failed: {[e.value for e in at.exception or at.error]}")
    started = time.perf_counter()
    at.run()
    return first, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ui-bench-") as tmp:
        root = Path(tmp) / "root"
        synthetic_root(root, args.clusters)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {"STORAGE_ROOT": str(root), "STORAGE_BACKEND": "local", "REDIS_URL": "redis://127.0.0.1:1/0", "DAGSTER_HOME": ""}
        with running_service("api", api_command("127.0.0.1", port), env, Path(tmp) / "logs", f"{url}/episodes"):
            assert requests.post(f"{url}/episodes", json={"ep_id": EPISODE, "video_uri": f"videos/{EPISODE}.mp4"}, timeout=60).ok
            os.environ["API_BASE"] = url
            render("episodes")  # imports and the API's first answers, not timed
            print(f"{args.clusters} clusters, {len(requests.get(f'{url}/shows/benchui/people', timeout=60).json())} named people; "
                  f"seconds per page, median of {args.repeat} (target < 2 s):")
            for page in PAGES:
                runs = [render(page) for _ in range(args.repeat)]
                first, again = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
                print(f"  {page:<11} first {first:5.2f} s   again {again:5.2f} s   {'ok' if max(first, again) < 2 else 'OVER 2 s'}")


if __name__ == "__main__":
    main()
