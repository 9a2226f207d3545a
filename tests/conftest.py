"""Shared test setup: quiet TensorFlow, an isolated data cache, and helpers to find real data."""
from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CI", "1")  # quiet progress bars in tests

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory, monkeypatch):
    """Every test gets its own empty cache so nothing leaks between tests or into ~/.cache."""
    monkeypatch.setenv("LSTM_SUITE_DATA", str(tmp_path_factory.mktemp("cache")))


def real_data_or_skip(dataset_id: str) -> None:
    """Skip (with the reason) unless the dataset can be had offline through the mirror or the cache."""
    from common.download import data_available

    if not data_available(dataset_id):
        pytest.skip(f"real dataset {dataset_id!r} not available: set LSTM_SUITE_MIRROR to a data mirror "
                    "(CI points it at ../shared/data) or fetch it into the cache (LSTM_SUITE_DATA)")
