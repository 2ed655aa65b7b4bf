"""How the sample episode is filmed: grade, noise, head tilt, defocus, side light, occluders and motion blur."""

from __future__ import annotations

import functools
from typing import NamedTuple

import cv2
import numpy as np

ROLL_DEG = 15.0  # largest head tilt
ROLL_SD = 6.0  # most heads are held nearly upright
DEFOCUS_P = 0.35
DEFOCUS_SIGMA = (0.8, 2.5)  # Gaussian sigma in px at the rendered size of a face as wide as DEPTH_OF_FIELD_PX
FOCUS_HUNT_P = 0.9  # share of appearances whose autofocus loses the face once during the shot
FOCUS_HUNT_FRAMES = (20, 60)
FOCUS_HUNT_PEAK = (0.065, 0.12)  # sigma per px of face width at the worst moment of the hunt
DEFOCUS_STEP_SIGMAS = 3  # a blur this many times wider than the pixel grid is computed on a coarser grid
DEPTH_OF_FIELD_PX = 100.0  # faces narrower than this are far away, within the depth of field: defocus blurs them less
SIDE_LIGHT_P = 0.5
SIDE_LIGHT = (0.2, 0.6)  # relative darkening of the face's shadow edge
KEY_SHARE = 0.4  # the lit edge brightens by this share of the shadow's darkening: skin highlights clip early
LIGHT_DRIFT = 0.3  # largest relative brightness change of a face over its shot
OCCLUDE_P = 0.12
CAST = 0.12  # largest relative red-vs-blue gain of a shot's warm or cool grade
SATURATION = (0.6, 1.1)
GRAY_P = 0.05
NOISE_SIGMA = (1.0, 4.0)  # luma sensor noise std per shot
NOISE_PAD = 64  # the noise field is larger than the frame so every frame can take it at another offset
SHUTTER = 0.5  # 180-degree shutter: motion blurs over half the distance moved per frame
MIN_MOTION_BLUR_PX = 1.5
LUMA_BGR = np.array([0.114, 0.587, 0.299], np.float32)


class Look(NamedTuple):
    """How one appearance is filmed: tilt, defocus, a focus hunt, side light, brightness drift and an occluder."""

    roll: float  # head tilt on screen in degrees: the eye line's angle, clockwise
    defocus: float  # Gaussian sigma in px at the rendered size, before depth of field; 0 is sharp
    hunt: tuple[float, float, float]  # focus hunt: start (share of the free frames), frames, peak sigma per px of width
    light: tuple[float, float]  # direction (radians, image axes) and strength of the side light; 0 is flat
    drift: float  # brightness factor at the end of the shot, relative to its start
    occluder: str | None  # "hand", "mic" or None
    occluder_seed: int


class Grade(NamedTuple):
    """Colour grade of one shot: per-channel BGR gains and saturation (0 is grayscale)."""

    gains: tuple[float, float, float]
    saturation: float


PLAIN_LOOK = Look(0.0, 0.0, (0.0, 1.0, 0.0), (0.0, 0.0), 1.0, None, 0)  # sharp, flat light, the photo's own tilt
PLAIN_GRADE = Grade((1.0, 1.0, 1.0), 1.0)


def draw_look(rng: np.random.Generator) -> Look:
    """A random look: a slight tilt, often a focus hunt, sometimes soft focus or side light, rarely an occluder."""
    roll = float(np.clip(rng.normal(0, ROLL_SD), -ROLL_DEG, ROLL_DEG))
    defocus = rng.uniform(*DEFOCUS_SIGMA) if rng.random() < DEFOCUS_P else 0.0
    start, frames = rng.random(), rng.uniform(*FOCUS_HUNT_FRAMES)
    hunt = (float(start), float(frames), float(rng.uniform(*FOCUS_HUNT_PEAK)) if rng.random() < FOCUS_HUNT_P else 0.0)
    side = rng.random() < SIDE_LIGHT_P
    light = (float(rng.choice([0.0, np.pi]) + rng.uniform(-0.5, 0.5)), float(rng.uniform(*SIDE_LIGHT)) if side else 0.0)
    drift = 1 + rng.uniform(-LIGHT_DRIFT, LIGHT_DRIFT)
    occluder = str(rng.choice(["hand", "mic"])) if rng.random() < OCCLUDE_P else None
    return Look(roll, float(defocus), hunt, light, float(drift), occluder, int(rng.integers(2**31)))


def draw_grade(rng: np.random.Generator) -> Grade:
    """A random warm or cool, more or less saturated grade; now and then grayscale."""
    cast = rng.uniform(-CAST, CAST)
    saturation = 0.0 if rng.random() < GRAY_P else rng.uniform(*SATURATION)
    return Grade((1 - cast, 1 + cast / 4, 1 + cast), float(saturation))


def apply_grade(image: np.ndarray, grade: Grade) -> np.ndarray:
    """A BGR or BGRA image through the grade, in one color transform (alpha unchanged)."""
    s = grade.saturation
    mix = s * np.eye(3, dtype=np.float32) + (1 - s) * np.tile(LUMA_BGR, (3, 1))  # toward luma as saturation drops
    m = np.eye(image.shape[2], dtype=np.float32)
    m[:3, :3] = np.diag(np.array(grade.gains, np.float32)) @ mix
    return cv2.transform(image, m)


def noise_field(rng: np.random.Generator, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """Positive and negative parts of a luma noise field of random strength, NOISE_PAD px larger than the frame."""
    noise = rng.normal(0, rng.uniform(*NOISE_SIGMA), (height + NOISE_PAD, width + NOISE_PAD)).astype(np.float32)
    return np.clip(noise, 0, 255).astype(np.uint8), np.clip(-noise, 0, 255).astype(np.uint8)


def add_noise(luma: np.ndarray, field: tuple[np.ndarray, np.ndarray], rng: np.random.Generator) -> None:
    """Add the noise field to a luma plane in place, at a random offset so consecutive frames differ."""
    h, w = luma.shape
    x, y = rng.integers(0, NOISE_PAD, 2)
    cv2.add(luma, field[0][y : y + h, x : x + w], dst=luma)
    cv2.subtract(luma, field[1][y : y + h, x : x + w], dst=luma)


def eye_tilt(kps: np.ndarray) -> float:
    """Angle of the eye line of five face landmarks in degrees, clockwise on screen."""
    eyes = kps[1] - kps[0]
    return float(np.degrees(np.arctan2(eyes[1], eyes[0])))


def rolled_half(half: np.ndarray, degrees: float) -> np.ndarray:
    """Half extent of the face ellipse inscribed in a box of half size half, rotated by degrees."""
    c, s = abs(np.cos(np.radians(degrees))), abs(np.sin(np.radians(degrees)))
    return np.hypot(half[..., :1] * np.array([c, s]), half[..., 1:] * np.array([s, c]))


def hunt_defocus(look: Look, widths: np.ndarray) -> np.ndarray:
    """Extra defocus sigma in px in each frame of a shot, for face widths per frame, while the autofocus hunts."""
    start, frames, peak = look.hunt
    t = (np.arange(len(widths)) - start * max(len(widths) - frames, 0)) / frames
    return peak * widths * out_of_field(widths) * np.where((t > 0) & (t < 1), np.sin(np.pi * t) ** 2, 0.0)


def out_of_field(widths: np.ndarray | float) -> np.ndarray | float:
    """Share of a defocus that shows on faces of these widths: far (small) faces are within the depth of field."""
    return np.minimum(1, (np.asarray(widths) / DEPTH_OF_FIELD_PX) ** 2)


def defocus(image: np.ndarray, sigma: float) -> np.ndarray:
    """image under a Gaussian blur of sigma px; wide blurs run at reduced resolution, where they lose nothing."""
    step = int(sigma // DEFOCUS_STEP_SIGMAS)
    if step < 2:
        return cv2.GaussianBlur(image, (0, 0), sigma)
    h, w = image.shape[:2]
    small = cv2.resize(image, (-(-w // step), -(-h // step)), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), np.sqrt(sigma**2 - (step / 2) ** 2) / step)  # resizing blurs ~step/2
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def side_light(bgr: np.ndarray, fbox: np.ndarray, look: Look) -> np.ndarray:
    """bgr lit from the side: brightness changing linearly across the face box in the look's light direction."""
    if look.light[1] == 0:
        return bgr
    h, w = bgr.shape[:2]
    c, half = (fbox[:2] + fbox[2:]) / 2, (fbox[2] - fbox[0]) / 2
    x = (np.arange(w, dtype=np.float32) - c[0]) * np.float32(np.cos(look.light[0]) / half)
    y = (np.arange(h, dtype=np.float32) - c[1]) * np.float32(np.sin(look.light[0]) / half)
    ramp = np.clip(x[None, :] + y[:, None], -1, 1)
    gain = 1 + np.float32(look.light[1]) * np.where(ramp > 0, np.float32(KEY_SHARE) * ramp, ramp)
    return np.clip(bgr * gain[..., None], 0, 255).astype(np.uint8)


def occlude(bgra: np.ndarray, fbox: np.ndarray, kps: np.ndarray, look: Look) -> None:
    """Paint a hand or a handheld microphone over the lower face of the upright patch in place, below the nose."""
    if look.occluder is None:
        return
    rng = np.random.default_rng(look.occluder_seed)
    h, w = bgra.shape[:2]
    fw, nose, mouth = fbox[2] - fbox[0], kps[2], (kps[3] + kps[4]) / 2
    color: np.ndarray = np.zeros((h, w, 3), np.uint8)
    mask: np.ndarray = np.zeros((h, w), np.uint8)
    (_hand if look.occluder == "hand" else _mic)(rng, bgra, color, mask, fw, nose, mouth)
    soft = max(0.6, fw * 0.008)  # as soft as the photo around it
    color, mask = cv2.GaussianBlur(color, (0, 0), soft), cv2.GaussianBlur(mask, (0, 0), soft)
    below = np.clip((np.arange(h, dtype=np.float32) - nose[1] + fw * 0.1) / (fw * 0.1), 0, 1)  # never over the eyes
    cover = mask.astype(np.float32)[..., None] / 255 * below[:, None, None]
    bgra[..., :3] = (bgra[..., :3] * (1 - cover) + color * cover).astype(np.uint8)
    fade = np.clip((h - np.arange(h, dtype=np.float32)) / (0.2 * h), 0, 1)[:, None]  # leaves the patch softly
    bgra[..., 3] = np.maximum(bgra[..., 3], (cover[..., 0] * fade * 255).astype(np.uint8))


def _pt(p: np.ndarray) -> tuple[int, int]:
    """A point in cv2's 4-bit sub-pixel coordinates."""
    return int(round(p[0] * 16)), int(round(p[1] * 16))


def _hand(rng: np.random.Generator, bgra: np.ndarray, color: np.ndarray, mask: np.ndarray, fw: float,
          nose: np.ndarray, mouth: np.ndarray) -> None:
    """A hand resting on the chin from one side, fingertips at the mouth, shaded towards the palm."""
    y0, y1 = int(max(nose[1], 0)), int(max(min(mouth[1], bgra.shape[0]), nose[1] + 1))
    x0, x1 = int(max(nose[0] - fw * 0.3, 0)), int(max(nose[0] + fw * 0.3, 1))
    skin = np.median(bgra[y0:y1, x0:x1, :3].reshape(-1, 3), axis=0) * rng.uniform(0.8, 0.95)
    side = rng.choice([-1.0, 1.0])
    palm = mouth + fw * np.array([side * rng.uniform(0.15, 0.35), rng.uniform(0.45, 0.6)])
    reach = mouth + fw * np.array([-side * rng.uniform(0.0, 0.15), rng.uniform(-0.02, 0.1)]) - palm
    along = reach / np.linalg.norm(reach)
    across = np.array([-along[1], along[0]])
    thick, edge = max(1, round(fw * 0.09)), max(1, round(fw * 0.01))
    dark = (skin * 0.75).tolist()
    angle = float(np.degrees(np.arctan2(along[1], along[0])))
    axes = _pt(fw * np.array([0.3, 0.22]))
    for canvas, fill, grow in ((color, dark, edge), (color, skin.tolist(), 0), (mask, 255, edge)):
        cv2.ellipse(canvas, _pt(palm), (axes[0] + grow * 16, axes[1] + grow * 16), angle, 0, 360, fill, -1,
                    cv2.LINE_AA, 4)
    for i, share in enumerate((0.8, 0.97, 1.0, 0.88)):
        base = palm + along * fw * 0.15 + across * fw * 0.1 * (i - 1.5)
        tip = palm + along * (np.linalg.norm(reach) * share) + across * fw * 0.11 * (i - 1.5)
        cv2.line(color, _pt(base), _pt(tip), dark, thick + 2 * edge, cv2.LINE_AA, 4)
        cv2.line(color, _pt(base), _pt(tip), skin.tolist(), thick, cv2.LINE_AA, 4)
        cv2.line(mask, _pt(base), _pt(tip), 255, thick + 2 * edge, cv2.LINE_AA, 4)
    yy, xx = np.mgrid[: mask.shape[0], : mask.shape[1]].astype(np.float32)
    depth = ((xx - palm[0]) * along[0] + (yy - palm[1]) * along[1]) / np.linalg.norm(reach)
    shade = np.clip(0.8 + 0.25 * depth, 0.7, 1.05)[..., None]
    color[:] = np.clip(color * shade, 0, 255).astype(np.uint8)


def _mic(rng: np.random.Generator, bgra: np.ndarray, color: np.ndarray, mask: np.ndarray, fw: float,
         nose: np.ndarray, mouth: np.ndarray) -> None:
    """A handheld microphone held up to the mouth: a grille or foam ball on a dark handle."""
    ball = mouth + fw * np.array([rng.uniform(-0.15, 0.15), rng.uniform(0.0, 0.15)])
    radius = fw * rng.uniform(0.16, 0.22)
    lean = np.radians(90 + rng.uniform(-35, 35))
    end = ball + fw * 2.0 * np.array([np.cos(lean), np.sin(lean)])
    neck = ball + radius * 1.1 * np.array([np.cos(lean), np.sin(lean)])
    thick = max(1, round(fw * 0.12))
    for canvas, fill in ((color, (28, 28, 30)), (mask, 255)):
        cv2.line(canvas, _pt(ball), _pt(end), fill, thick, cv2.LINE_AA, 4)
    cv2.line(color, _pt(neck), _pt(neck + (neck - ball) * 0.3), (150, 150, 155), thick, cv2.LINE_AA, 4)
    foam = rng.random() < 0.5
    ball_color = tuple(float(c) for c in rng.uniform(40, 200, 3)) if foam else (rng.uniform(90, 150),) * 3
    cv2.circle(color, _pt(ball), int(radius * 16), ball_color, -1, cv2.LINE_AA, 4)
    cv2.circle(mask, _pt(ball), int(radius * 16), 255, -1, cv2.LINE_AA, 4)
    yy, xx = np.mgrid[: mask.shape[0], : mask.shape[1]].astype(np.float32)
    inside = np.hypot(xx - ball[0], yy - ball[1]) < radius * 0.95
    if not foam:
        step = max(2, round(radius / 4))
        inside &= (xx.astype(int) % step == 0) | (yy.astype(int) % step == 0)
        color[inside] = (color[inside] * 0.6).astype(np.uint8)
    lit = np.clip(1.25 - np.hypot(xx - ball[0] + radius * 0.4, yy - ball[1] + radius * 0.4) / radius * 0.5, 0.75, 1.25)
    color[:] = np.where(np.hypot(xx - ball[0], yy - ball[1])[..., None] < radius,
                        np.clip(color * lit[..., None], 0, 255), color).astype(np.uint8)


def rotate(bgra: np.ndarray, center: np.ndarray, degrees: float) -> tuple[np.ndarray, np.ndarray]:
    """bgra rotated counter-clockwise about center onto a canvas that holds all of it, and center's new position."""
    if degrees == 0:
        return bgra, center
    h, w = bgra.shape[:2]
    m = cv2.getRotationMatrix2D((float(center[0]) - 0.5, float(center[1]) - 0.5), degrees, 1.0)  # about pixel centers
    corners = np.array([[0, 0, 1], [w, 0, 1], [0, h, 1], [w, h, 1]], np.float64) @ m.T
    lo, hi = np.floor(corners.min(axis=0)), np.ceil(corners.max(axis=0))
    m[:, 2] -= lo
    size = (int(hi[0] - lo[0]), int(hi[1] - lo[1]))
    out = cv2.warpAffine(bgra, m, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return out, center - lo


@functools.lru_cache(maxsize=256)
def _line_kernel(length2: int, angle_deg: int) -> np.ndarray:
    """A normalised, anti-aliased line kernel of length length2 / 2 px at angle_deg."""
    over, length = 8, length2 / 2
    size = int(np.ceil(length)) | 1
    big = np.zeros((size * over, size * over), np.float32)
    c = size * over / 2
    d = length * over / 2 * np.array([np.cos(np.radians(angle_deg)), np.sin(np.radians(angle_deg))])
    cv2.line(big, (int(round(c - d[0])), int(round(c - d[1]))), (int(round(c + d[0])), int(round(c + d[1]))),
             1.0, over, cv2.LINE_AA)
    kernel = cv2.resize(big, (size, size), interpolation=cv2.INTER_AREA)
    return kernel / kernel.sum()


def motion_blur(bgra: np.ndarray, velocity: np.ndarray) -> np.ndarray:
    """bgra blurred along velocity (px per frame) over the shutter's share of it; unchanged when slow."""
    length = float(np.hypot(*velocity)) * SHUTTER
    if length < MIN_MOTION_BLUR_PX:
        return bgra
    angle = int(round(np.degrees(np.arctan2(velocity[1], velocity[0])))) % 180
    return cv2.filter2D(bgra, -1, _line_kernel(int(round(length * 2)), angle), borderType=cv2.BORDER_CONSTANT)
