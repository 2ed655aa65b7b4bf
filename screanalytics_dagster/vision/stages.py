"""What flows between the stages: faces, embeddings and tracks as dataclasses of numpy arrays, with their Arrow tables."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from . import tables

BOX_COLUMNS = ("x1", "y1", "x2", "y2")
# Embeddings written before they carried `clear` were all judged by the default pack's MobileFaceNet threshold.
LEGACY_MIN_EMBED_NORM = 16.0


@dataclass(frozen=True)
class Detections:
    """Faces found in one frame: boxes (N,4) x1y1x2y2 px, scores (N,), landmarks (N,5,2)."""

    boxes: np.ndarray
    scores: np.ndarray
    kps: np.ndarray

    def __len__(self) -> int:
        return len(self.scores)


@dataclass(frozen=True)
class Faces:
    """Detected faces, one row each (tables.FACES): ids, where and when they were seen, how sure the detector was."""

    face_id: np.ndarray  # (N,) int64
    frame_idx: np.ndarray  # (N,) int64, the frame in the source video
    ts: np.ndarray  # (N,) float64 seconds
    boxes: np.ndarray  # (N,4) float32 x1y1x2y2 px in the source frame
    score: np.ndarray  # (N,) float32
    shot_id: np.ndarray  # (N,) int64

    def __len__(self) -> int:
        return len(self.face_id)

    @classmethod
    def of_frame(cls, first_id: int, frame_idx: int, ts: float, shot_id: int, found: Detections) -> Faces:
        """The faces of one frame, numbered from first_id."""
        n = len(found)
        return cls(
            np.arange(first_id, first_id + n, dtype=np.int64), np.full(n, frame_idx, np.int64), np.full(n, ts, np.float64),
            found.boxes.astype(np.float32).reshape(-1, 4), found.scores.astype(np.float32), np.full(n, shot_id, np.int64),
        )

    @classmethod
    def concat(cls, parts: list[Faces]) -> Faces:
        if not parts:
            return cls.from_arrow(tables.FACES.empty_table())
        return cls(*(np.concatenate([getattr(p, name) for p in parts]) for name in cls.__dataclass_fields__))

    @classmethod
    def from_arrow(cls, table: pa.Table | pa.RecordBatch) -> Faces:
        column = table.column
        return cls(
            column("face_id").to_numpy(), column("frame_idx").to_numpy(), column("ts").to_numpy(),
            np.stack([column(c).to_numpy() for c in BOX_COLUMNS], axis=1).reshape(-1, 4), column("score").to_numpy(),
            column("shot_id").to_numpy(),
        )

    def to_arrow(self) -> pa.RecordBatch:
        boxes = [pa.array(self.boxes[:, i], pa.float32()) for i in range(4)]
        arrays = [pa.array(self.face_id, pa.int64()), pa.array(self.frame_idx, pa.int64()), pa.array(self.ts, pa.float64()), *boxes,
                  pa.array(self.score, pa.float32()), pa.array(self.shot_id, pa.int64())]
        return pa.RecordBatch.from_arrays(arrays, schema=tables.FACES)


@dataclass(frozen=True)
class Embeddings:
    """Embedded faces (tables.EMBEDDINGS): each vector stands for the faces it covers."""

    face_id: np.ndarray  # (M,) int64, the face that was embedded
    vectors: np.ndarray  # (M,512) float32, L2-normalised
    covers: list[list[int]]  # faces (the embedded one included) that reuse each vector
    norm: np.ndarray  # (M,) float32 raw ArcFace length: low when blurred or not a face
    clear: np.ndarray  # (M,) bool: norm at or above the recognizer's min_embed_norm, clear enough to say who it is

    def __len__(self) -> int:
        return len(self.face_id)

    def row_of(self) -> dict[int, int]:
        """Face id -> the row of the vector that stands for it, for every covered face."""
        return {f: row for row, faces in enumerate(self.covers) for f in faces}

    @classmethod
    def from_arrow(cls, table: pa.Table | pa.RecordBatch) -> Embeddings:
        column, norm = table.column, table.column("norm").to_numpy()
        clear = column("clear").to_numpy(zero_copy_only=False) if "clear" in table.schema.names else norm >= LEGACY_MIN_EMBED_NORM
        return cls(column("face_id").to_numpy(), tables.embedding_matrix(column("embedding")), column("covers").to_pylist(), norm, clear)

    def to_arrow(self) -> pa.RecordBatch:
        arrays = [pa.array(self.face_id, pa.int64()), tables.embedding_column(self.vectors), pa.array(self.covers, pa.list_(pa.int64())),
                  pa.array(self.norm, pa.float32()), pa.array(self.clear, pa.bool_())]
        return pa.RecordBatch.from_arrays(arrays, schema=tables.EMBEDDINGS)


@dataclass(frozen=True)
class Tracks:
    """Face tracks (tables.TRACKS): the faces of each, its time span and its shot."""

    track_id: np.ndarray  # (T,) int64
    face_ids: list[np.ndarray]  # each track's face ids, in time order
    start_ts: np.ndarray  # (T,) float64 seconds
    end_ts: np.ndarray  # (T,) float64 seconds, the end of its last sample
    shot_id: np.ndarray  # (T,) int64

    def __len__(self) -> int:
        return len(self.track_id)

    @classmethod
    def of_rows(cls, faces: Faces, rows: list[np.ndarray], sample_seconds: float) -> Tracks:
        """Tracks from the face rows of each, numbered in order; each lasts until the end of its last sample."""
        return cls(
            np.arange(len(rows), dtype=np.int64), [faces.face_id[r] for r in rows],
            np.array([faces.ts[r].min() for r in rows], np.float64), np.array([faces.ts[r].max() + sample_seconds for r in rows], np.float64),
            np.array([faces.shot_id[r[0]] for r in rows], np.int64),
        )

    @classmethod
    def from_arrow(cls, table: pa.Table) -> Tracks:
        column = table.column
        return cls(
            column("track_id").to_numpy(), [np.asarray(f, np.int64) for f in column("face_ids").to_pylist()],
            column("start_ts").to_numpy(), column("end_ts").to_numpy(), column("shot_id").to_numpy(),
        )

    def to_arrow(self) -> pa.Table:
        arrays = [pa.array(self.track_id, pa.int64()), pa.array([f.tolist() for f in self.face_ids], pa.list_(pa.int64())),
                  pa.array(self.start_ts, pa.float64()), pa.array(self.end_ts, pa.float64()), pa.array(self.shot_id, pa.int64())]
        return pa.Table.from_arrays(arrays, schema=tables.TRACKS)
