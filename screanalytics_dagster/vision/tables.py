"""Arrow schemas of the per-episode artifacts (the contract in DESIGN.md section 3)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

EMBED_DIM = 512

FACES = pa.schema(
    [
        ("face_id", pa.int64()),
        ("frame_idx", pa.int64()),
        ("ts", pa.float64()),
        ("x1", pa.float32()),
        ("y1", pa.float32()),
        ("x2", pa.float32()),
        ("y2", pa.float32()),
        ("score", pa.float32()),
        ("shot_id", pa.int64()),
    ]
)
CROPS = pa.schema([("face_id", pa.int64()), ("jpeg", pa.binary())])
EMBEDDINGS = pa.schema(
    [
        ("face_id", pa.int64()),
        ("embedding", pa.list_(pa.float32(), EMBED_DIM)),
        ("covers", pa.list_(pa.int64())),  # faces (this one included) that reuse this embedding
        ("norm", pa.float32()),  # raw ArcFace feature norm: low when the face is blurred or not a face
        ("clear", pa.bool_()),  # norm at or above the recognizer's min_embed_norm: clear enough to say who it is
    ]
)
TRACKS = pa.schema(
    [
        ("track_id", pa.int64()),
        ("face_ids", pa.list_(pa.int64())),
        ("start_ts", pa.float64()),
        ("end_ts", pa.float64()),
        ("shot_id", pa.int64()),
    ]
)
CLUSTERS = pa.schema([("cluster_id", pa.string()), ("track_ids", pa.list_(pa.int64())), ("n_faces", pa.int64())])
THUMBNAILS = pa.schema(
    [("cluster_id", pa.string()), ("rank", pa.int32()), ("face_id", pa.int64()), ("jpeg", pa.binary()), ("track_id", pa.int64())]
)
SUGGESTION = pa.struct([("person_id", pa.string()), ("person_name", pa.string()), ("cluster_id", pa.string()), ("similarity", pa.float32())])
GROUPS = pa.schema(
    [
        ("cluster_id", pa.string()),
        ("person_id", pa.string()),
        ("person_name", pa.string()),
        ("source", pa.string()),
        ("suggestions", pa.list_(SUGGESTION)),  # unnamed clusters: the persons they look most like, best first
    ]
)
SCREENTIME = pa.schema(
    [
        ("person_id", pa.string()),
        ("person_name", pa.string()),
        ("seconds", pa.float64()),
        ("n_tracks", pa.int64()),
    ]
)
FACEBANK = pa.schema(
    [
        ("person_id", pa.string()),
        ("person_name", pa.string()),
        ("embedding", pa.list_(pa.float32(), EMBED_DIM)),
        ("episode", pa.string()),
    ]
)
SOURCES = ("manual", "facebank", "auto", "not_face")


def embedding_column(matrix: np.ndarray) -> pa.FixedSizeListArray:
    """A (N,512) float32 matrix as a fixed-size-list column."""
    flat = pa.array(np.ascontiguousarray(matrix, np.float32).reshape(-1))
    return pa.FixedSizeListArray.from_arrays(flat, EMBED_DIM)


def embedding_matrix(column: pa.ChunkedArray | pa.FixedSizeListArray) -> np.ndarray:
    """A fixed-size-list column as a (N,512) float32 matrix, without copying per row."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks else pa.array([], pa.list_(pa.float32(), EMBED_DIM))
    return column.flatten().to_numpy(zero_copy_only=False).reshape(-1, EMBED_DIM).astype(np.float32, copy=False)
