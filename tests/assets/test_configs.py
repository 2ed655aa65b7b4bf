"""Each asset's Config defaults are the thresholds defined once in vision/, so a change there reaches every run."""

from dataclasses import asdict

import pytest

from screanalytics_dagster.assets.clusters import ClustersConfig
from screanalytics_dagster.assets.embeddings import EmbeddingsConfig
from screanalytics_dagster.assets.faces import FacesConfig
from screanalytics_dagster.assets.groups import GroupsConfig
from screanalytics_dagster.assets.screentime import ScreentimeConfig
from screanalytics_dagster.assets.tracks import TracksConfig
from screanalytics_dagster.resources import FaceModels
from screanalytics_dagster.vision import boxes, clustering, faces, grouping, screentime, tracking, video

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "config, thresholds",
    [
        (FacesConfig(), {"sample_fps": video.SAMPLE_FPS}),
        (EmbeddingsConfig(), {"duplicate_iou": boxes.DUPLICATE_IOU, "duplicate_max_chain": boxes.DUPLICATE_MAX_CHAIN}),
        (TracksConfig(), asdict(tracking.TrackParams())),
        (ClustersConfig(), {"threshold": clustering.CLUSTER_SIM}),
        (GroupsConfig(), {"merge_threshold": grouping.GROUP_SIM, "one_shot_margin": grouping.ONE_SHOT_MARGIN, "facebank_threshold": grouping.FACEBANK_SIM,
                          "assignments": []}),
        (ScreentimeConfig(), {"gap_tolerance": screentime.GAP_TOLERANCE, "shot_gap_tolerance": screentime.SHOT_GAP_TOLERANCE}),
        (FaceModels(), {"model_dir": None, "det_thresh": faces.DET_THRESH, "det_long_side": faces.DET_LONG_SIDE, "detect_workers": faces.DETECT_WORKERS}),
    ],
    ids=lambda v: type(v).__name__ if not isinstance(v, dict) else "",
)
def test_config_defaults_are_the_vision_thresholds(config, thresholds):
    assert config.model_dump() == thresholds


def test_track_params_are_the_tracking_thresholds():
    assert asdict(tracking.TrackParams()) == {
        "iou_min": tracking.TRACK_IOU, "sim_min": tracking.TRACK_SIM, "sim_strong": tracking.TRACK_SIM_STRONG,
        "max_gap": tracking.TRACK_MAX_GAP, "min_score": tracking.TRACK_MIN_SCORE, "min_faces": tracking.TRACK_MIN_FACES,
    }
