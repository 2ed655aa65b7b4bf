"""Episode ids: `{show}-sNNeNN`, lowercase."""

from __future__ import annotations

import re

EPISODE_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*-s\d{2}e\d{2}$")


class EpisodeIdError(ValueError):
    """An episode id that does not follow `{show}-sNNeNN`."""


def validate_episode_id(ep_id: str) -> str:
    """The id itself when valid, else EpisodeIdError naming the expected form."""
    if not EPISODE_ID.fullmatch(ep_id or ""):
        raise EpisodeIdError(f"invalid episode id {ep_id!r}: expected lowercase '{{show}}-sNNeNN', e.g. 'rhobh-s01e01'")
    return ep_id


def show_of(ep_id: str) -> str:
    """The show an episode belongs to: `rhobh-s01e01` -> `rhobh`."""
    return validate_episode_id(ep_id).rsplit("-", 1)[0]
