import numpy as np
import pytest

from screanalytics_dagster.vision.detection import detect_faces
from screanalytics_dagster.vision.faces import FaceEngine
from screanalytics_dagster.vision.stages import Faces

pytestmark = pytest.mark.pipeline


def faces_of(video, workers):
    engine = FaceEngine()
    engine.detect_workers = workers
    batches = list(detect_faces(video, engine))
    return Faces.concat([faces for faces, _ in batches]), [jpeg for _, jpegs in batches for jpeg in jpegs]


def test_frames_in_parallel_find_what_one_at_a_time_finds(sample_episode):
    one, one_crops = faces_of(sample_episode.video_path, 1)
    two, two_crops = faces_of(sample_episode.video_path, 2)
    assert len(one) > 100
    for column in ("face_id", "frame_idx", "ts", "shot_id", "boxes", "score"):
        assert np.array_equal(getattr(one, column), getattr(two, column)), column
    assert one_crops == two_crops
