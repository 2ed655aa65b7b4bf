"""The shared Dagster instance and the Celery executor's configuration."""

import pytest
import yaml
from dagster import DagsterInstance

from screanalytics_dagster.deploy.commands import REPO, WORKER_CONFIG
from screanalytics_dagster.orchestration.executor import VISIBILITY_TIMEOUT_S, celery_config, step_executor
from screanalytics_dagster.orchestration.instance import instance_config, prepare_dagster_home, psycopg2_url
from screanalytics_dagster.settings import Settings

pytestmark = pytest.mark.unit


def test_sqlite_instance_queues_runs_one_per_episode_and_operation(tmp_path):
    instance = prepare_dagster_home(tmp_path / "home", None)
    assert type(instance.run_storage).__name__ == "SqliteRunStorage"
    assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
    limits = {rule["key"]: rule["limit"] for rule in instance.run_coordinator.get_run_queue_config().tag_concurrency_limits}
    assert limits == {"episode_operation": 1, "dagster/partition": 1}
    assert instance.run_monitoring_enabled and instance.run_retries_enabled
    assert (tmp_path / "home" / "dagster.yaml").stat().st_mode & 0o077 == 0


def test_postgres_instance_uses_the_database(tmp_path, postgres_url):
    instance = prepare_dagster_home(tmp_path / "home", postgres_url)
    assert type(instance.run_storage).__name__ == "PostgresRunStorage"
    instance.add_dynamic_partitions("episodes", ["rhobh-s01e01"])
    reopened = DagsterInstance.from_config(str(tmp_path / "home"))
    assert "rhobh-s01e01" in reopened.get_dynamic_partitions("episodes")


@pytest.mark.parametrize(
    "url, expected",
    [
        ("postgresql://u:p@db:5432/x", "postgresql+psycopg2://u:p@db:5432/x"),
        ("postgres://u@db/x", "postgresql+psycopg2://u@db/x"),
        ("postgresql+psycopg2://u@db/x", "postgresql+psycopg2://u@db/x"),
    ],
)

def test_database_urls_use_psycopg2(url, expected):
    assert psycopg2_url(url) == expected
    assert instance_config(url)["storage"] == {"postgres": {"postgres_url": expected}}


@pytest.mark.parametrize("url", ["mysql://u@db/x", "db:5432/x"])
def test_a_database_url_that_is_not_postgres_is_named(url):
    with pytest.raises(ValueError, match="DATABASE_URL must be a postgresql:// URL"):
        psycopg2_url(url)


def test_worker_and_executor_agree_on_the_visibility_timeout_and_started_tasks():
    worker = yaml.safe_load((REPO / WORKER_CONFIG).read_text())["execution"]["config"]
    assert worker["broker"] == {"env": "REDIS_URL"}
    assert worker["config_source"]["broker_transport_options"]["visibility_timeout"] == VISIBILITY_TIMEOUT_S
    assert worker["config_source"]["worker_prefetch_multiplier"] == 1
    source = celery_config("redis://h/0", 1200, 1800)["config_source"]
    assert worker["config_source"]["task_track_started"] is source["task_track_started"] is True  # the run pings the worker a task names
    assert source["broker_transport_options"]["visibility_timeout"] == VISIBILITY_TIMEOUT_S > Settings().job_time_limit_s


@pytest.mark.parametrize("soft, hard", [(0, 10), (20, 10), (100, VISIBILITY_TIMEOUT_S)])
def test_time_limits_that_cannot_work_are_refused(soft, hard):
    with pytest.raises(ValueError, match="time limits must satisfy"):
        celery_config("redis://h/0", soft, hard)


def test_executor_is_celery_only_with_a_broker():
    assert step_executor(Settings()).name == "in_process"
    assert step_executor(Settings(redis_url="redis://127.0.0.1:6379/0")).name == "celery"
