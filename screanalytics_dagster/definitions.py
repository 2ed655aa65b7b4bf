"""The one Definitions object that the code server, webserver and daemon load (`-m screanalytics_dagster.definitions`)."""

from __future__ import annotations

from .orchestration.repository import definitions

defs = definitions()
