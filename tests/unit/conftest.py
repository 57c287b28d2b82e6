"""Fixtures shared by the unit tests of the function's layers."""

from __future__ import annotations

import pytest
from fn_fakes import clean_aws_env
from moto import mock_aws


@pytest.fixture(scope="module")
def _moto():
    """In-process moto S3 for one test module, with every emulator endpoint removed from the environment."""
    with pytest.MonkeyPatch.context() as mp:
        clean_aws_env(mp)
        with mock_aws():
            yield
