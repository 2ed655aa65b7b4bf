"""faces: every face detected in the sampled frames, with aligned crops for embedding and thumbnails."""

import json
import os
import time

from dagster import AssetCheckResult, AssetCheckSpec, AssetExecutionContext, Config, MaterializeResult, asset

from ..resources import BaseArtifactStore, FaceModels
from ..resources.artifacts import CROPS, FACES
from ..vision import tables
from ..vision.detection import crops_batch, detect_faces
from ..vision.video import SAMPLE_FPS, probe, sample_step
from .partitions import episode_of, episodes
from .progress import progress_reporter


class FacesConfig(Config):
    """How often frames are sampled."""

    sample_fps: float = SAMPLE_FPS


@asset(
    partitions_def=episodes,
    group_name="episode",
    op_tags={"dagster-celery/queue": "vision"},
    check_specs=[AssetCheckSpec("faces_found", asset="faces", description="At least one face was detected")],
)
def faces(context: AssetExecutionContext, config: FacesConfig, store: BaseArtifactStore, models: FaceModels) -> MaterializeResult:
    """Detect faces (SCRFD) on frames sampled at sample_fps; mark shot cuts; keep aligned 112px crops."""
    ep_id = episode_of(context)
    video = store.find_video(ep_id)
    info = probe(video)
    engine = models.engine()
    step = sample_step(info.fps, config.sample_fps)
    video_meta = {"fps": info.fps, "sample_step": step, "n_frames": info.n_frames, "width": info.width, "height": info.height}
    schema = tables.FACES.with_metadata({"video": json.dumps(video_meta)})
    started, cpu_started = time.perf_counter(), time.process_time()
    n_faces, n_shots = 0, 0
    with (
        store.table_writer(FACES.key(ep_id), schema) as face_writer,
        store.table_writer(CROPS.key(ep_id), tables.CROPS) as crop_writer,
    ):
        for found, jpegs in detect_faces(video, engine, config.sample_fps, progress_reporter(context, store)):
            face_writer.write_batch(found.to_arrow().replace_schema_metadata(schema.metadata))
            crop_writer.write_batch(crops_batch(found, jpegs))
            n_faces += len(found)
            if len(found):
                n_shots = max(n_shots, int(found.shot_id.max()) + 1)
    seconds = time.perf_counter() - started
    cpu_share = (time.process_time() - cpu_started) / (seconds * (os.cpu_count() or 1)) if seconds else 0.0
    n_frames = -(-info.n_frames // step)
    return MaterializeResult(
        metadata={
            "n_faces": n_faces,
            "n_sampled_frames": n_frames,
            "n_shots_with_faces": n_shots,
            "video_seconds": round(info.duration, 2),
            "sample_fps": config.sample_fps,
            "model_pack": engine.pack.name,
            "det_thresh": engine.det_thresh,
            "det_long_side": engine.det_long_side,
            "seconds": round(seconds, 2),
            "realtime_factor": round(info.duration / seconds, 2) if seconds else 0.0,
            "cpu_utilisation": round(cpu_share, 3),  # of all the machine's cores, by this process while the stage ran
            "detect_workers": engine.detect_workers,
        },
        check_results=[AssetCheckResult(check_name="faces_found", passed=n_faces > 0, metadata={"n_faces": n_faces})],
    )
