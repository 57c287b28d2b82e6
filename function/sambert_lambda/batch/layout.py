"""Where a batch writes: every output key derives from the input key (and the source ETag), never from contents.

For input ``<input_prefix><path>`` everything lives under ``<output_prefix><path>/``:

- ``manifest.json``                     the manifest (rebuilt from the done markers)
- ``audio.<fmt>``                       the audio of a .txt or .ssml file
- ``<line:05d>.<fmt>``                  the audio of one .jsonl line
- ``audio.marks.jsonl``, ``<line:05d>.marks.jsonl``   speech marks of that audio, when asked for
- ``.done/<etag>/<unit:05d>.json``      one done marker per finished unit (success or failure)
- ``.done/<etag>/audio.json``           the marker of an assembled .txt audio
- ``.parts/<etag>/<unit:05d>.wav``      the chunks of a .txt before assembly (and ``<unit:05d>.marks.jsonl``)

Markers and parts sit under the source ETag, so a listing shows only the current upload's progress and a new
upload never mistakes old work for its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sambert_lambda.audio import FORMATS
from sambert_lambda.errors import ConfigInvalid, InvalidInput

MANIFEST = "manifest.json"
_ETAG = re.compile(r"^[0-9A-Za-z]+(-[0-9]+)?$")
_FMT = "|".join(FORMATS)
# What a batch may own under its output directory. Nested outputs of other inputs (``a.txt/b.txt/...``) never match.
_OWNED = re.compile(
    rf"^(manifest\.json|(audio|\d{{5}})\.({_FMT}|marks\.jsonl)|\.done/[0-9A-Za-z-]+/(\d{{5}}|audio)\.json"
    rf"|\.parts/[0-9A-Za-z-]+/\d{{5}}\.(wav|marks\.jsonl))$"
)


@dataclass(frozen=True)
class Layout:
    """The input and output prefixes. Overlapping prefixes would make the function trigger itself."""

    input_prefix: str
    output_prefix: str
    check_overlap: bool = True

    def __post_init__(self) -> None:
        a, b = self.input_prefix, self.output_prefix
        if self.check_overlap and (a == b or a.startswith(b) or b.startswith(a)):
            raise ConfigInvalid(
                f"TTS_INPUT_PREFIX ({a!r}) and TTS_OUTPUT_PREFIX ({b!r}) overlap: the function would trigger itself"
            )

    def accepts(self, key: str) -> bool:
        return key.startswith(self.input_prefix) and len(key) > len(self.input_prefix) and not key.endswith("/")

    def outputs(self, key: str, etag: str) -> OutputKeys:
        if not self.accepts(key):
            raise InvalidInput(f"key {key!r} is not under the input prefix {self.input_prefix!r}", code="invalid_key")
        if not _ETAG.match(etag):
            raise InvalidInput(f"unexpected source ETag {etag!r}", code="invalid_etag")
        return OutputKeys(self.output_prefix + key[len(self.input_prefix) :] + "/", etag)


@dataclass(frozen=True)
class OutputKeys:
    """The keys of one input file's outputs, for one version (ETag) of it."""

    root: str
    etag: str

    @property
    def manifest(self) -> str:
        return self.root + MANIFEST

    def audio(self, fmt: str) -> str:
        return f"{self.root}audio.{fmt}"

    def line_audio(self, line: int, fmt: str) -> str:
        return f"{self.root}{line:05d}.{fmt}"

    @property
    def done_prefix(self) -> str:
        return f"{self.root}.done/{self.etag}/"

    def unit_marker(self, unit: int) -> str:
        return f"{self.done_prefix}{unit:05d}.json"

    @property
    def audio_marker(self) -> str:
        return f"{self.done_prefix}audio.json"

    def part(self, unit: int) -> str:
        return f"{self.root}.parts/{self.etag}/{unit:05d}.wav"

    @staticmethod
    def marks(audio_key: str) -> str:
        """The speech marks (JSON Lines) stored beside an audio key: ``.../audio.mp3`` -> ``.../audio.marks.jsonl``."""
        return audio_key.rsplit(".", 1)[0] + ".marks.jsonl"

    def owns(self, key: str) -> bool:
        """True for a key this batch may have written (any version); used to prune stale outputs."""
        return key.startswith(self.root) and bool(_OWNED.match(key[len(self.root) :]))

    @staticmethod
    def unit_of(marker_key: str) -> int | None:
        """The unit number of a unit-marker key, None for any other key."""
        name = marker_key.rsplit("/", 1)[-1]
        return int(name[:5]) if re.fullmatch(r"\d{5}\.json", name) else None
