"""Dagster orchestration: operation jobs, executor, instance, schedules, sensors, runs in this process and through the webserver."""
