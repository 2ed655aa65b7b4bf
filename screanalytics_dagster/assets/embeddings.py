"""embeddings: ArcFace vectors of the faces that are not near-duplicates of the previous sample."""

import time

import numpy as np
import pyarrow as pa
from dagster import AssetExecutionContext, Config, MaterializeResult, asset

from ..resources import BaseArtifactStore, FaceModels
from ..resources.artifacts import CROPS, EMBEDDINGS
from ..vision import tables
from ..vision.boxes import DUPLICATE_IOU, DUPLICATE_MAX_CHAIN, duplicate_anchors
from ..vision.detection import decode_crops
from ..vision.faces import EMBED_BATCH
from ..vision.stages import Embeddings
from .faces import faces
from .loading import read_faces
from .partitions import episode_of, episodes
from .progress import progress_reporter


class EmbeddingsConfig(Config):
    """When a face may reuse the embedding of the same face in the previous sample."""

    duplicate_iou: float = DUPLICATE_IOU
    duplicate_max_chain: int = DUPLICATE_MAX_CHAIN


@asset(partitions_def=episodes, group_name="episode", deps=[faces], op_tags={"dagster-celery/queue": "vision"})
def embeddings(
    context: AssetExecutionContext, config: EmbeddingsConfig, store: BaseArtifactStore, models: FaceModels
) -> MaterializeResult:
    """Embed (batched) the aligned crop of the surest face of each run of near-duplicates; `covers` lists the run."""
    ep_id = episode_of(context)
    found, _ = read_faces(store, ep_id)
    face_ids = found.face_id
    anchors = duplicate_anchors(found, config.duplicate_iou, config.duplicate_max_chain)
    covers: dict[int, list[int]] = {}
    for row, anchor in enumerate(anchors):
        covers.setdefault(int(face_ids[anchor]), []).append(int(face_ids[row]))
    wanted = np.fromiter(covers, np.int64)
    engine = models.engine()
    min_norm = engine.pack.min_embed_norm
    report = progress_reporter(context, store)
    started = time.perf_counter()
    done, unclear = 0, 0
    with store.table_writer(EMBEDDINGS.key(ep_id), tables.EMBEDDINGS) as writer:
        for batch in store.iter_batches(CROPS.key(ep_id), batch_size=4 * EMBED_BATCH):
            ids = batch.column("face_id").to_numpy()
            keep = np.flatnonzero(np.isin(ids, wanted))
            if len(keep):
                jpegs = batch.column("jpeg").take(pa.array(keep)).to_pylist()
                vectors, norms = engine.embed(decode_crops(jpegs))
                writer.write_batch(Embeddings(ids[keep], vectors, [covers[int(i)] for i in ids[keep]], norms, norms >= min_norm).to_arrow())
                done += len(keep)
                unclear += int((norms < min_norm).sum())
            report(done, len(covers), f"{done}/{len(covers)} faces embedded")
    seconds = time.perf_counter() - started
    return MaterializeResult(
        metadata={
            "n_faces": len(face_ids),
            "n_embedded": len(covers),
            "skipped_fraction": round(1 - len(covers) / len(face_ids), 4) if len(face_ids) else 0.0,
            "n_unclear": unclear,
            "min_embed_norm": min_norm,
            "duplicate_iou": config.duplicate_iou,
            "duplicate_max_chain": config.duplicate_max_chain,
            "model_pack": engine.pack.name,
            "seconds": round(seconds, 2),
        }
    )
