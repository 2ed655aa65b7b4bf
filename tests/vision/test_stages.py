"""The stage objects round-trip through their Arrow tables, which follow the artifact schemas."""

import numpy as np
import pyarrow as pa
import pytest

from screanalytics_dagster.vision import tables
from screanalytics_dagster.vision.stages import Detections, Embeddings, Faces, Tracks

pytestmark = pytest.mark.unit


def two_frames() -> Faces:
    first = Detections(np.array([[0, 0, 10, 10], [20, 0, 30, 10]], np.float32), np.array([0.9, 0.4], np.float32), np.zeros((2, 5, 2)))
    second = Detections(np.array([[1, 0, 11, 10]], np.float32), np.array([0.8], np.float32), np.zeros((1, 5, 2)))
    return Faces.concat([Faces.of_frame(0, 0, 0.0, 0, first), Faces.of_frame(2, 5, 0.2, 0, second)])


def test_faces_of_frames_are_numbered_and_round_trip():
    faces = two_frames()
    assert faces.face_id.tolist() == [0, 1, 2] and faces.frame_idx.tolist() == [0, 0, 5]
    batch = faces.to_arrow()
    assert batch.schema == tables.FACES
    again = Faces.from_arrow(batch)
    for name in Faces.__dataclass_fields__:
        np.testing.assert_array_equal(getattr(again, name), getattr(faces, name))


def test_no_faces_make_an_empty_table():
    assert Faces.concat([]).to_arrow().num_rows == 0


def test_embeddings_round_trip_and_map_every_covered_face():
    vectors = np.eye(2, tables.EMBED_DIM, dtype=np.float32)
    embedded = Embeddings(np.array([0, 2]), vectors, [[0, 1], [2]], np.array([20.0, 3.0], np.float32), np.array([True, False]))
    again = Embeddings.from_arrow(embedded.to_arrow())
    assert again.row_of() == {0: 0, 1: 0, 2: 1} and again.clear.tolist() == [True, False]
    np.testing.assert_array_equal(again.vectors, vectors)


def test_embeddings_written_before_clear_are_judged_by_their_norm():
    old = pa.table({"face_id": [0, 1], "embedding": tables.embedding_column(np.zeros((2, tables.EMBED_DIM))), "covers": [[0], [1]], "norm": pa.array([20.0, 3.0], pa.float32())})
    assert Embeddings.from_arrow(old).clear.tolist() == [True, False]


def test_tracks_of_rows_span_their_samples():
    faces = two_frames()
    tracks = Tracks.of_rows(faces, [np.array([0, 2]), np.array([1])], sample_seconds=0.2)
    assert tracks.track_id.tolist() == [0, 1] and [f.tolist() for f in tracks.face_ids] == [[0, 2], [1]]
    assert tracks.start_ts.tolist() == [0.0, 0.0] and tracks.end_ts.tolist() == pytest.approx([0.4, 0.2])
    table = tracks.to_arrow()
    assert table.schema == tables.TRACKS
    assert [f.tolist() for f in Tracks.from_arrow(table).face_ids] == [[0, 2], [1]]
