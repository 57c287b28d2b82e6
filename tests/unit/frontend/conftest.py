"""Fixtures shared by the frontend's unit tests."""

from __future__ import annotations

import pytest

from sambert_lambda.frontend.pipeline import OpenFrontend


@pytest.fixture(scope="module")
def fe() -> OpenFrontend:
    """The open frontend (its tables load lazily, once per process)."""
    return OpenFrontend()
