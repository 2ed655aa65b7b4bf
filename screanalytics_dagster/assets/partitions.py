"""Episodes as Dagster partitions: one per registered episode."""

from __future__ import annotations

from dagster import AssetExecutionContext, DynamicPartitionsDefinition

from ..ids import validate_episode_id

EPISODES = "episodes"  # the partitions' name; DynamicPartitionsDefinition.name is typed optional
episodes = DynamicPartitionsDefinition(name=EPISODES)


def episode_of(context: AssetExecutionContext) -> str:
    """The validated episode id of this partition."""
    return validate_episode_id(context.partition_key)
