"""sambert-lambda: serverless Chinese multi-emotion TTS on ModelScope Sambert-HifiGAN voices.

Importing this package is cheap on purpose: no torch, no boto3, no FastAPI. Each stage imports what it needs.
"""

import os

# numpy's BLAS thread pool: nothing here multiplies matrices large enough to share them out (the engine's numpy work
# is products of a few hundred rows, the frontend's polyphone model smaller still; ONNX Runtime and torch have
# pools of their own). A pool sized to the visible cores starts at numpy's import and spins: 0.1 s of CPU in a
# fresh frontend (median 0.57 -> 0.46 s), set before numpy loads. A value in the environment wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.1.0"
ENGINE_VERSION = "native-1"  # bump when the engine's numerics change: part of the content-addressed cache key
