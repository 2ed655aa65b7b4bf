import importlib.util
from pathlib import Path

import cv2
import numpy as np
import pytest

from screanalytics_dagster.vision.faces import (
    DEFAULT_PACK,
    ZOOM_THRESH,
    FaceEngine,
    ModelPack,
    ModelPackError,
    detector_input_size,
    find_model_pack,
)

pytestmark = pytest.mark.unit

T1 = Path(importlib.util.find_spec("insightface").origin).parent / "data" / "images" / "t1.jpg"


@pytest.fixture(scope="module")
def engine():
    return FaceEngine()


@pytest.fixture(scope="module")
def photo():
    image = cv2.imread(str(T1))
    assert image is not None, T1
    return image


@pytest.fixture(scope="module")
def faces(engine, photo):
    """Detections, embeddings and their raw norms of t1.jpg."""
    dets = engine.detect(photo)
    return dets, *engine.embed(engine.align(photo, dets.kps))


def centres(boxes):
    return (boxes[:, :2] + boxes[:, 2:]) / 2


def test_detects_the_six_faces_of_t1(faces, photo):
    dets, _, _ = faces
    height, width = photo.shape[:2]
    assert len(dets) == 6
    assert dets.boxes.shape == (6, 4) and dets.kps.shape == (6, 5, 2)
    assert (dets.scores >= 0.5).all()
    assert (dets.boxes[:, 2:] > dets.boxes[:, :2]).all()
    assert (dets.boxes[:, [0, 2]] >= -1).all() and (dets.boxes[:, [0, 2]] <= width + 1).all()
    assert (dets.boxes[:, [1, 3]] >= -1).all() and (dets.boxes[:, [1, 3]] <= height + 1).all()


def test_embeddings_are_unit_norm(faces):
    _, embeddings, _ = faces
    assert embeddings.shape == (6, 512) and embeddings.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=1), 1.0, atol=1e-5)


def test_raw_norm_tells_clear_faces_from_blurred_ones(engine, photo, faces):
    dets, _, norms = faces
    blurred = np.stack([cv2.GaussianBlur(c, (0, 0), 10.0) for c in engine.align(photo, dets.kps)])  # beyond recognition
    assert engine.pack.min_embed_norm == 16.0  # measured for the default pack's MobileFaceNet
    assert (norms >= engine.pack.min_embed_norm).all()
    assert (engine.embed(blurred)[1] < engine.pack.min_embed_norm).all()


def test_same_face_matches_across_a_flip_and_different_faces_do_not(engine, photo, faces):
    dets, embeddings, _ = faces
    flipped = np.ascontiguousarray(photo[:, ::-1])
    flipped_dets = engine.detect(flipped)
    flipped_embeddings, _ = engine.embed(engine.align(flipped, flipped_dets.kps))
    mirrored = centres(flipped_dets.boxes) * [-1, 1] + [photo.shape[1], 0]
    match = np.argmin(np.linalg.norm(centres(dets.boxes)[:, None] - mirrored[None], axis=2), axis=1)
    assert sorted(match.tolist()) == list(range(6))
    similarity = embeddings @ flipped_embeddings[match].T
    same = np.eye(6, dtype=bool)
    assert (similarity[same] > 0.5).all()
    assert (similarity[~same] < 0.4).all()


def test_a_blank_frame_has_no_faces(engine):
    frame = np.full((360, 640, 3), 127, np.uint8)
    dets = engine.detect(frame)
    assert len(dets) == 0 and dets.boxes.shape == (0, 4)
    crops = engine.align(frame, dets.kps)
    assert crops.shape == (0, 112, 112, 3)
    assert engine.embed(crops)[0].shape == (0, 512)


def test_a_small_face_the_frame_look_is_unsure_of_is_found_by_a_zoomed_look(engine, photo, faces):
    dets, _, _ = faces
    x1, y1, x2, y2 = dets.boxes[2].astype(int)  # one of t1's faces, cut out with its surroundings
    side = x2 - x1
    scale = 36 / side  # 36 px wide in a 720p frame, and out of focus: 18 px at the detector's input
    cut = photo[max(0, y1 - side) : y2 + side, max(0, x1 - side) : x2 + side]
    small = cv2.GaussianBlur(cv2.resize(cut, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA), (0, 0), 2.5)
    frame = np.full((720, 1280, 3), 120, np.uint8)
    frame[300 : 300 + small.shape[0], 600 : 600 + small.shape[1]] = small
    corner = np.array([600 + (x1 - max(0, x1 - side)) * scale, 300 + (y1 - max(0, y1 - side)) * scale], np.float32)
    placed = np.concatenate([corner, corner + [36, (y2 - y1) * scale]])
    frame_look, _ = engine.detector.detect(frame, input_size=detector_input_size(1280, 720), det_thresh=0.02)
    assert 0 < max(d[4] for d in frame_look) < engine.det_thresh  # the full-frame look alone would drop it
    found = engine.detect(frame)
    assert len(found) == 1 and found.scores[0] >= ZOOM_THRESH
    np.testing.assert_allclose(found.boxes[0], placed, atol=8)  # the zoomed look's box, back in frame pixels
    assert ((found.kps[0] >= placed[:2]) & (found.kps[0] <= placed[2:])).all()


def test_the_zoomed_look_adds_no_face_to_noise_or_to_a_clear_photo(engine, photo, faces):
    dets, _, _ = faces
    sure, _ = engine.detector.detect(photo, input_size=detector_input_size(photo.shape[1], photo.shape[0]), det_thresh=engine.det_thresh)
    assert len(dets) == len(sure) == 6
    assert len(engine.detect(np.random.default_rng(0).integers(0, 255, (720, 1280, 3), np.uint8))) == 0


@pytest.mark.parametrize(
    "width, height, size",
    [(1280, 720, (640, 384)), (720, 1280, (384, 640)), (640, 480, (640, 480)), (1920, 1080, (640, 384)), (320, 240, (640, 480)), (5000, 10, (640, 32))],
)

def test_detector_input_size(width, height, size):
    assert detector_input_size(width, height) == size


@pytest.mark.parametrize("width, height", [(1280, 886), (1000, 1000), (853, 480), (481, 1713)])
def test_detector_input_size_keeps_the_aspect_ratio_in_multiples_of_32(width, height):
    w, h = detector_input_size(width, height)
    scale = 640 / max(width, height)
    assert w % 32 == 0 and h % 32 == 0
    assert 0 <= w - width * scale + 1e-9 < 32 and 0 <= h - height * scale + 1e-9 < 32  # rounded up, never down


def test_find_model_pack_default():
    pack = find_model_pack(None)
    assert (pack.detector.name, pack.recognizer.name) == DEFAULT_PACK
    assert pack.detector.is_file() and pack.recognizer.is_file()
    assert pack.name == "scrfd_500m_bnkps+w600k_mbf"


def test_find_model_pack_recognises_models_by_task_not_name(tmp_path):
    default = find_model_pack(None)
    (tmp_path / "a.onnx").symlink_to(default.recognizer)
    (tmp_path / "b.onnx").symlink_to(default.detector)
    (tmp_path / "notes.onnx").write_bytes(b"not a model")
    assert find_model_pack(tmp_path) == ModelPack(tmp_path / "b.onnx", tmp_path / "a.onnx")


def _only_detector(folder):
    (folder / "det.onnx").symlink_to(find_model_pack(None).detector)


def _garbage(folder):
    (folder / "model.onnx").write_bytes(b"\x00" * 64)


@pytest.mark.parametrize("fill", [lambda folder: None, _only_detector, _garbage])
def test_find_model_pack_rejects_incomplete_directories(tmp_path, fill):
    fill(tmp_path)
    with pytest.raises(ModelPackError, match="needs a detection and a recognition"):
        find_model_pack(tmp_path)


def test_find_model_pack_missing_directory(tmp_path):
    with pytest.raises(ModelPackError, match="not found"):
        find_model_pack(tmp_path / "nowhere")


def test_face_engine_missing_model_file(tmp_path):
    with pytest.raises(ModelPackError, match="model file not found"):
        FaceEngine(ModelPack(tmp_path / "det.onnx", tmp_path / "rec.onnx"))
