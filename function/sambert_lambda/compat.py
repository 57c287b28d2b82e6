"""Shims that let old KAN-TTS / ModelScope code import on current scipy and numpy 2.

The project's own engines use none of these names; the shims guard third-party model code (ModelScope's
``snapshot_download`` at bake time, user code importing KAN-TTS modules beside ours). Each shim is installed only
where the name is missing, :func:`apply` is idempotent, and what it did is logged once.

- ``scipy.signal.<window>`` (``kaiser``, ``hann``, ...) moved to ``scipy.signal.windows`` in scipy 1.13.
- ``scipy.misc.logsumexp`` moved to ``scipy.special.logsumexp``; ``scipy.misc`` itself may be gone.
- ``np.float``, ``np.int``, ... were removed in numpy 1.24 / 2.0; old code meant the Python builtins.

When scipy is not installed there is nothing of it to guard: the scipy shims are skipped and the numpy ones still
apply.
"""

from __future__ import annotations

import builtins
import logging
import sys
import threading
import types
import warnings

log = logging.getLogger(__name__)

SIGNAL_WINDOWS = (
    "kaiser",
    "hann",
    "hamming",
    "blackman",
    "bartlett",
    "gaussian",
    "general_gaussian",
    "chebwin",
    "boxcar",
    "triang",
    "parzen",
    "bohman",
    "blackmanharris",
    "nuttall",
    "barthann",
    "cosine",
    "exponential",
    "tukey",
    "flattop",
    "general_cosine",
    "general_hamming",
)
NUMPY_ALIASES = {
    "float": builtins.float,
    "int": builtins.int,
    "complex": builtins.complex,
    "bool": builtins.bool,
    "object": builtins.object,
    "str": builtins.str,
    "long": builtins.int,
    "unicode": builtins.str,
}

_lock = threading.Lock()
_applied: list[str] | None = None


def _has(module: object, name: str) -> bool:
    # numpy 2 raises AttributeError with a helpful message from __getattr__ for removed aliases.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # FutureWarning/DeprecationWarning on legacy names
        try:
            getattr(module, name)
        except AttributeError:
            return False
    return True


def _scipy_installed() -> bool:
    try:
        import scipy  # noqa: F401
    except ImportError:
        return False
    return True


def _scipy_signal() -> list[str]:
    import scipy.signal
    import scipy.signal.windows

    done = []
    for name in SIGNAL_WINDOWS:
        if not _has(scipy.signal, name) and _has(scipy.signal.windows, name):
            setattr(scipy.signal, name, getattr(scipy.signal.windows, name))
            done.append(f"scipy.signal.{name}")
    return done


def _scipy_misc() -> list[str]:
    import scipy
    import scipy.special

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import scipy.misc as misc
    except ImportError:
        misc = types.ModuleType("scipy.misc")
        misc.__doc__ = "compatibility module created by sambert_lambda.compat"
        sys.modules["scipy.misc"] = misc
        scipy.misc = misc  # type: ignore[attr-defined]
    if _has(misc, "logsumexp"):
        return []
    misc.logsumexp = scipy.special.logsumexp  # type: ignore[attr-defined]
    return ["scipy.misc.logsumexp"]


def _numpy_aliases() -> list[str]:
    import numpy as np

    done = []
    for name, value in NUMPY_ALIASES.items():
        if not _has(np, name):
            setattr(np, name, value)
            done.append(f"numpy.{name}")
    return done


def apply() -> list[str]:
    """Install every missing shim (once per process). Returns the names that were added (empty if none)."""
    global _applied
    with _lock:
        if _applied is not None:
            return list(_applied)
        done = (_scipy_signal() + _scipy_misc() if _scipy_installed() else []) + _numpy_aliases()
        _applied = done
    if done:
        log.info("compat: added %d legacy name(s): %s", len(done), ", ".join(done))
    return list(done)
