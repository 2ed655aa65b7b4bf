"""Episode and show ids: `{show}-sNNeNN`, lowercase; the show is what comes before the season."""

from __future__ import annotations

import re

SHOW_ID = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
EPISODE_ID = re.compile(rf"{SHOW_ID.pattern}-s\d{{2}}e\d{{2}}")


class EpisodeIdError(ValueError):
    """An episode or show id that does not follow `{show}-sNNeNN`."""


def validate_episode_id(ep_id: str) -> str:
    """The id itself when valid, else EpisodeIdError naming the expected form."""
    if not EPISODE_ID.fullmatch(ep_id or ""):
        raise EpisodeIdError(f"invalid episode id {ep_id!r}: expected lowercase '{{show}}-sNNeNN', e.g. 'rhobh-s01e01'")
    return ep_id


def validate_show_id(show: str) -> str:
    """The show id itself when valid, else EpisodeIdError naming the expected form."""
    if not SHOW_ID.fullmatch(show or ""):
        raise EpisodeIdError(f"invalid show {show!r}: lowercase letters, digits and dashes, e.g. 'rhobh'")
    return show


def show_of(ep_id: str) -> str:
    """The show an episode belongs to: `rhobh-s01e01` -> `rhobh`."""
    return validate_episode_id(ep_id).rsplit("-", 1)[0]
