"""Paths of the repository and of the test data, the same wherever a test module sits in the tree."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TESTS = REPO / "tests"
FIXTURES = TESTS / "fixtures"
GOLDEN_DIR = FIXTURES / "kantts-golden"
EVENTS = TESTS / "events"
