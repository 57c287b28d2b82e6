"""sambert-lambda: serverless Chinese multi-emotion TTS on ModelScope Sambert-HifiGAN voices.

Importing this package is cheap on purpose: no torch, no boto3, no FastAPI. Each stage imports what it needs.
"""

__version__ = "0.1.0"
ENGINE_VERSION = "native-1"  # bump when the engine's numerics change: part of the content-addressed cache key
