"""Fixtures of the reliability suite; the helpers live in ``rel_helpers``."""

from __future__ import annotations

import pytest

from sambert_lambda.settings import load_settings


@pytest.fixture(scope="session")
def real_synth(test_voice_dir):
    """The real Synthesizer (frontend + Sambert + HiFiGAN) on the tiny random-weight test voice, loaded once."""
    from sambert_lambda.synthesizer import Synthesizer

    synth = Synthesizer.from_settings(load_settings(model_dir=str(test_voice_dir)))
    synth.load()
    # Loading applies the engine's runtime config, which flushes denormals to zero (a speed setting). Hypothesis
    # (and schemathesis on top of it) refuses to generate floats in that state, so the suite restores IEEE
    # behaviour; synthesis results do not depend on it.
    import torch

    torch.set_flush_denormal(False)
    return synth
