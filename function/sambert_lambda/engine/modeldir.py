"""Where the model lives: a plain directory, or a ModelScope cache. No torch here, so every engine can use it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import yaml

from sambert_lambda.errors import ModelError

MODEL_OWNERS = ("iic", "damo")  # the same model was published under both owners


@dataclass(frozen=True)
class ResolvedModel:
    path: Path
    model_id: str
    revision: str | None


def read_revision(model_dir: Path) -> str | None:
    """The revision ModelScope's cache recorded in ``.mv`` (``Revision:<r>,CreatedAt:<t>``), if any."""
    try:
        text = (model_dir / ".mv").read_text(encoding="utf-8").strip()
    except OSError:
        return None
    for part in text.split(","):
        if part.startswith("Revision:"):
            return part[len("Revision:") :] or None
    return text or None


def cache_candidates(cache_dir: Path, model_id: str) -> list[Path]:
    """Where ModelScope versions put ``model_id`` under a cache root, most likely first.

    ``snapshot_download(cache_dir=C)`` writes ``C/<owner>/<name>``; with ``MODELSCOPE_CACHE=C`` and no cache_dir,
    current versions use ``C/models/<owner>/<name>`` and older ones ``C/hub/<owner>/<name>``. Dots in the name are
    stored as ``___``. ``iic/`` and ``damo/`` are the same model.
    """
    if model_id.count("/") != 1:
        raise ModelError(f"model id {model_id!r} must look like owner/name")
    owner, name = model_id.split("/")
    owners = [owner] + [o for o in MODEL_OWNERS if o != owner] if owner in MODEL_OWNERS else [owner]
    names = list(dict.fromkeys([name.replace(".", "___"), name]))
    roots = [cache_dir, cache_dir / "models", cache_dir / "hub", cache_dir / "hub" / "models"]
    return [root / o / n for o in owners for root in roots for n in names]


def resolve(settings) -> ResolvedModel:
    """TTS_MODEL_DIR, or MODELSCOPE_CACHE + TTS_MODEL_ID (+ TTS_MODEL_REVISION)."""
    if settings.model_dir:
        return ResolvedModel(Path(settings.model_dir), settings.model_id, None)
    if not settings.modelscope_cache:
        raise ModelError("no model configured: set TTS_MODEL_DIR or MODELSCOPE_CACHE")
    candidates = cache_candidates(Path(settings.modelscope_cache), settings.model_id)
    for path in candidates:
        if (path / "voices" / "voices.json").is_file():
            return ResolvedModel(path, settings.model_id, read_revision(path) or settings.model_revision)
    raise ModelError(
        f"model {settings.model_id} not found in MODELSCOPE_CACHE={settings.modelscope_cache} "
        f"(looked in {', '.join(str(p) for p in candidates[:4])}, ...); run 'sambert-lambda bake-model'"
    )


def _read_mapping(path: Path, load, errors: type[Exception] | tuple, kind: str) -> dict:
    """Parse a model-directory file that must hold a mapping; every failure is a ModelError naming the file."""
    try:
        with open(path, encoding="utf-8") as f:
            data = load(f)
    except FileNotFoundError:
        raise ModelError(f"missing file {path}") from None
    except errors as e:
        raise ModelError(f"invalid {kind} in {path}: {e}") from None
    if not isinstance(data, dict):
        raise ModelError(f"{path} does not hold a {kind} mapping")
    return data


def read_yaml(path: Path) -> dict:
    return _read_mapping(path, yaml.safe_load, yaml.YAMLError, "YAML")


def read_json(path: Path) -> dict:
    return _read_mapping(path, json.load, json.JSONDecodeError, "JSON")


def read_audio_config(voice_dir: Path) -> tuple[int, int]:
    """(sampling_rate, hop_length) of a voice's ``audio_config.yaml``."""
    path = Path(voice_dir) / "audio_config.yaml"
    audio = read_yaml(path).get("audio_config")
    try:
        return int(audio["sampling_rate"]), int(audio["hop_length"])
    except (KeyError, TypeError, ValueError):
        raise ModelError(f"{path} needs an audio_config section with integer sampling_rate and hop_length") from None
