"""compat.apply() makes old KAN-TTS/ModelScope imports work on the installed scipy and numpy 2."""

from __future__ import annotations

import builtins
import logging

import numpy as np
import scipy.signal
import scipy.signal.windows
import scipy.special

from sambert_lambda import compat


def test_signal_windows_importable_and_identical():
    compat.apply()
    from scipy.signal import hann, kaiser  # the import old KAN-TTS does

    assert kaiser is scipy.signal.windows.kaiser
    assert hann is scipy.signal.windows.hann
    np.testing.assert_array_equal(kaiser(64, 8.0), scipy.signal.windows.kaiser(64, 8.0))
    for name in ("hamming", "blackman", "bartlett", "gaussian", "general_gaussian", "chebwin"):
        assert getattr(scipy.signal, name) is getattr(scipy.signal.windows, name)


def test_misc_logsumexp():
    compat.apply()
    from scipy.misc import logsumexp

    x = np.array([1.0, 2.0, 3.0])
    assert logsumexp(x) == scipy.special.logsumexp(x)


def test_numpy_aliases_are_builtins():
    compat.apply()
    assert np.float is builtins.float
    assert np.int is builtins.int
    assert np.complex is builtins.complex
    assert np.bool is not None and np.object is builtins.object
    assert np.unicode is builtins.str
    assert np.long is not None  # numpy 2 defines np.long again (int64); kept as numpy's
    assert np.zeros(2, dtype=np.float).dtype == np.float64


def test_existing_names_untouched():
    # np.bool exists again in numpy 2 as the numpy bool type: it must not be replaced by builtins.bool
    compat.apply()
    assert np.bool is np.bool_


def test_idempotent_and_logged_once(caplog, monkeypatch):
    monkeypatch.setattr(compat, "_applied", None)
    monkeypatch.delattr(scipy.signal, "kaiser", raising=False)
    with caplog.at_level(logging.INFO, logger="sambert_lambda.compat"):
        first = compat.apply()
        second = compat.apply()
    assert "scipy.signal.kaiser" in first
    assert second == first
    assert sum("compat: added" in r.message for r in caplog.records) == 1


def test_without_scipy_the_numpy_shims_still_apply():
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['scipy'] = None\n"  # an import of scipy now raises ImportError
        "import numpy as np\n"
        "for n in ('float', 'int', 'long'):\n"
        "    if n in np.__dict__: delattr(np, n)\n"
        "from sambert_lambda import compat\n"
        "done = compat.apply()\n"
        "assert not any(d.startswith('scipy') for d in done), done\n"
        "assert {'numpy.float', 'numpy.int', 'numpy.long'} <= set(done), done\n"
        "assert np.float is float\n"
        "print('ok')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
