"""One error type for every stage, carrying a machine-readable code and an HTTP status.

Interfaces map a TTSError to ``{"error": {"code": ..., "message": ...}}``; nothing else reaches the caller.
"""

from __future__ import annotations


def encodable(message: str) -> str:
    """``message`` with lone surrogates (from JSON escapes such as ``"\\ud800"`` echoed back) as ``\\udXXX``,
    so that it can always be encoded as UTF-8 (a JSON answer, a log line, the CLI's stderr)."""
    return str(message).encode("utf-8", "backslashreplace").decode("utf-8")


class TTSError(Exception):
    """An error the caller can act on. ``code`` is stable and machine-readable."""

    status: int = 400
    code: str = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None, detail=None):
        message = encodable(message)
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.detail = detail

    def __init_subclass__(cls, *, status: int | None = None, code: str | None = None, **kw) -> None:
        """A subclass names its status and code in its header: ``class TooLarge(TTSError, status=413, ...)``."""
        super().__init_subclass__(**kw)
        if status is not None:
            cls.status = status
        if code is not None:
            cls.code = code

    def to_dict(self) -> dict:
        return {"error": {"code": self.code, "message": self.message}}


class InvalidInput(TTSError, status=400, code="invalid_input"):
    """The request's text, voice or options cannot be used as given."""


class TooLarge(TTSError, status=413, code="too_large"):
    """The input is over a size limit."""


class SSMLError(InvalidInput, code="invalid_ssml"):
    """The SSML does not parse or uses an element or attribute that is refused."""


class UnknownSymbol(InvalidInput, code="unknown_symbol"):
    """A symbol line names a token the voice does not know."""


class UnknownVoice(InvalidInput, code="unknown_voice"):
    """No voice of that name."""


class UnknownEmotion(InvalidInput, code="unknown_emotion"):
    """The voice has no emotion of that name."""


class ModelError(TTSError, status=503, code="model_unavailable"):
    """The model directory, a config or a checkpoint is unusable (missing key, shape mismatch, unsupported option)."""


class ObjectNotFound(TTSError, status=404, code="not_found"):
    """No stored object under the key (either storage backend)."""


class StorageUnavailable(TTSError, status=503, code="storage_unavailable"):
    """The storage backend did not answer or refused the call."""


class ConfigInvalid(TTSError, status=503, code="config_invalid"):
    """A setting is missing or unusable, so the route cannot serve."""
