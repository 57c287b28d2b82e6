"""Fixtures shared by the engine's unit tests: the real model's configuration and shapes from the golden fixture."""

from __future__ import annotations

import json

import pytest
import yaml


@pytest.fixture(scope="module")
def real_config(golden_dir):
    """The published 16k acoustic model's config.yaml (real sizes)."""
    return yaml.safe_load((golden_dir / "real_am_config.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def real_shapes(golden_dir):
    """Parameter shapes and vocabularies of the published model, as recorded in the golden fixture."""
    return json.loads((golden_dir / "real_shapes.json").read_text(encoding="utf-8"))
