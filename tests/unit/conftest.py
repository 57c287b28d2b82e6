"""Fixtures shared by the unit tests of the function's layers."""

from __future__ import annotations

import pytest
from moto import mock_aws

from tests.support.fakes import clean_aws_env


@pytest.fixture(scope="module")
def _moto():
    """In-process moto S3 for one test module, with every emulator endpoint removed from the environment."""
    with pytest.MonkeyPatch.context() as mp:
        clean_aws_env(mp)
        with mock_aws():
            yield
