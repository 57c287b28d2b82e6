"""One error type for every stage, carrying a machine-readable code and an HTTP status.

Interfaces map a TTSError to ``{"error": {"code": ..., "message": ...}}``; nothing else reaches the caller.
"""

from __future__ import annotations


class TTSError(Exception):
    """An error the caller can act on. ``code`` is stable and machine-readable."""

    status: int = 400
    code: str = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None, detail=None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.detail = detail

    def to_dict(self) -> dict:
        return {"error": {"code": self.code, "message": self.message}}


class InvalidInput(TTSError):
    status = 400
    code = "invalid_input"


class TooLarge(TTSError):
    status = 413
    code = "too_large"


class SSMLError(InvalidInput):
    code = "invalid_ssml"


class UnknownSymbol(InvalidInput):
    code = "unknown_symbol"


class UnknownVoice(InvalidInput):
    code = "unknown_voice"


class UnknownEmotion(InvalidInput):
    code = "unknown_emotion"


class ModelError(TTSError):
    """The model directory, a config or a checkpoint is unusable (missing key, shape mismatch, unsupported option)."""

    status = 503
    code = "model_unavailable"


class ObjectNotFound(TTSError):
    """No stored object under the key (either storage backend)."""

    status = 404
    code = "not_found"


class StorageUnavailable(TTSError):
    status = 503
    code = "storage_unavailable"


class ConfigInvalid(TTSError):
    status = 503
    code = "config_invalid"
