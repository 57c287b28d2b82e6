"""SSML subset -> a flat list of styled text pieces and pauses.

Parsed with defusedxml (DTDs, entities and external references are refused), with a size cap and a depth cap.
Supported: ``<speak>``, ``<p>``, ``<s>``, ``<break time|strength>``, ``<emotion category intensity>``,
``<prosody rate pitch volume>``, ``<say-as interpret-as="digits|telephone|date|characters|cardinal|ordinal">``,
``<phoneme alphabet="pinyin"|"py" ph="...">``, ``<sub alias="...">`` (the alias is read), ``<voice name="...">``
(the span is spoken by that voice; the synthesizer checks the name against the loaded voices) and
``<mark name="...">`` (an empty piece carrying the name at its place in the text, for speech marks). ``<audio>`` is refused with its
reason. Anything else raises SSMLError naming the element or attribute.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from xml.etree.ElementTree import Element

from sambert_lambda.errors import SSMLError, UnknownEmotion
from sambert_lambda.frontend.symbols import EMOTIONS, is_valid_pinyin
from sambert_lambda.types import Controls

MAX_SSML_BYTES = 64 * 1024
MAX_DEPTH = 16

_STRENGTH_MS = {"none": 0, "x-weak": 100, "weak": 200, "medium": 400, "strong": 700, "x-strong": 1000}
_RATE_WORDS = {"x-slow": 0.6, "slow": 0.8, "medium": 1.0, "default": 1.0, "fast": 1.25, "x-fast": 1.5}
_PITCH_WORDS = {"x-low": -1.0, "low": -0.5, "medium": 0.0, "default": 0.0, "high": 0.5, "x-high": 1.0}
_VOLUME_WORDS = {"silent": -60.0, "x-soft": -12.0, "soft": -6.0, "medium": 0.0, "default": 0.0, "loud": 6.0,
                 "x-loud": 12.0}
_ALLOWED = {
    "speak": {"version", "xml:lang", "lang", "xmlns"},
    "p": set(), "s": set(),
    "break": {"time", "strength"},
    "emotion": {"category", "intensity"},
    "prosody": {"rate", "pitch", "volume"},
    "say-as": {"interpret-as", "format"},
    "phoneme": {"alphabet", "ph"},
    "sub": {"alias"},
    "mark": {"name"},
    "voice": {"name"},
}
_PARAGRAPH_PAUSE_MS = 0
_MAX_BREAK_MS = 10_000
# pitch: semitones -> predictor units (normalized log-F0 shift); 12 st ≈ 1 unit is a gentle, documented scale
_SEMITONES_PER_UNIT = 12.0
DEFAULT_CONTROLS = Controls()  # frozen, so one shared default is safe


@dataclass(frozen=True)
class Piece:
    """Styled text (``break_ms`` None) or a pause (``text`` empty, ``break_ms`` set)."""

    text: str = ""
    emotion: str = "neutral"
    controls: Controls = DEFAULT_CONTROLS
    break_ms: int | None = None
    normalized: bool = False  # text already in spoken form (say-as)
    mark: str | None = None  # <mark name>: an empty piece at the mark's place
    phonemes: tuple[str, ...] = ()  # forced pinyin, one per non-space character
    voice: str | None = None  # <voice name>: the voice of this span (None: the request's voice)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _attr_name(name: str) -> str:
    if name == "{http://www.w3.org/XML/1998/namespace}lang":
        return "xml:lang"
    return name.rsplit("}", 1)[-1]


def parse_root(text: str) -> Element:
    """The ``<speak>`` element of ``text``, parsed safely (size cap; no DTD, entities or external references)."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    raw = text.encode("utf-8", "surrogatepass")
    if len(raw) > MAX_SSML_BYTES:
        raise SSMLError(f"SSML is {len(raw)} bytes; the limit is {MAX_SSML_BYTES}")
    if re.search(r"<!DOCTYPE|<!ENTITY", text, re.IGNORECASE):
        raise SSMLError("SSML must not contain a DTD or entity declarations (<!DOCTYPE>/<!ENTITY>)")
    try:
        root = fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as e:
        raise SSMLError(f"SSML refused: {type(e).__name__} (DTDs, entities and external references are not allowed)") from e
    except Exception as e:
        raise SSMLError(f"malformed SSML: {e}") from e
    if _local(root.tag) != "speak":
        raise SSMLError(f"the root element must be <speak>, not <{_local(root.tag)}>")
    return root


def spoken_text(text: str) -> str:
    """The text content of an SSML document, without its tags or attributes (what is billed)."""
    return "".join(parse_root(text).itertext())


def parse_ssml(text: str, *, emotion: str = "neutral", controls: Controls = DEFAULT_CONTROLS) -> list[Piece]:
    root = parse_root(text)
    pieces: list[Piece] = []
    base = Piece(emotion=emotion, controls=controls)
    _walk(root, base, pieces, depth=0)
    return pieces


def _check_attrs(el: Element, name: str) -> dict[str, str]:
    attrs = {_attr_name(k): v for k, v in el.attrib.items()}
    unknown = sorted(set(attrs) - _ALLOWED[name])
    if unknown:
        raise SSMLError(f"unsupported attribute(s) {', '.join(unknown)} on <{name}>")
    return attrs


def _walk(el: Element, style: Piece, out: list[Piece], depth: int) -> None:
    if depth > MAX_DEPTH:
        raise SSMLError(f"SSML is nested deeper than {MAX_DEPTH} levels")
    name = _local(el.tag)
    if name == "audio":
        raise SSMLError("<audio> is not supported: the function synthesizes speech only and never fetches URLs; "
                        "join recorded audio after synthesis")
    if name not in _ALLOWED:
        raise SSMLError(f"unsupported SSML element <{name}>")
    attrs = _check_attrs(el, name)
    if name == "break":
        if (el.text or "").strip() or len(el):
            raise SSMLError("<break> must be empty")
        out.append(Piece(break_ms=_break_ms(attrs)))
        _tail(el, style, out)
        return
    if name == "say-as":
        if len(el):
            raise SSMLError("<say-as> may contain only text")
        from sambert_lambda.frontend.normalize import say_as

        interp = attrs.get("interpret-as")
        if not interp:
            raise SSMLError("<say-as> needs an interpret-as attribute")
        spoken = say_as(el.text or "", interp, attrs.get("format"))
        out.append(replace(style, text=spoken, normalized=True))
        _tail(el, style, out)
        return
    if name == "sub":
        if len(el):
            raise SSMLError("<sub> may contain only text")
        if not attrs.get("alias", "").strip():
            raise SSMLError("<sub> needs a non-empty alias attribute")
        out.append(replace(style, text=attrs["alias"]))
        _tail(el, style, out)
        return
    if name == "mark":
        if (el.text or "").strip() or len(el):
            raise SSMLError("<mark> must be empty")
        if not attrs.get("name", "").strip():
            raise SSMLError("<mark> needs a name attribute")
        out.append(Piece(mark=attrs["name"]))
        _tail(el, style, out)
        return
    if name == "phoneme":
        if len(el):
            raise SSMLError("<phoneme> may contain only text")
        out.append(replace(style, text=el.text or "", phonemes=_phonemes(attrs, el.text or "")))
        _tail(el, style, out)
        return
    inner = style
    if name == "emotion":
        inner = _emotion(attrs, style)
    elif name == "prosody":
        inner = replace(style, controls=_prosody(attrs, style.controls))
    elif name == "voice":
        if not attrs.get("name", "").strip():
            raise SSMLError("<voice> needs a name attribute, e.g. <voice name=\"zhiyan_emo\">")
        inner = replace(style, voice=attrs["name"].strip())
    if el.text:
        out.append(replace(inner, text=el.text))
    for child in el:
        _walk(child, inner, out, depth + 1)
    if name in ("p", "s") and _PARAGRAPH_PAUSE_MS:
        out.append(Piece(break_ms=_PARAGRAPH_PAUSE_MS))
    _tail(el, style, out)


def _tail(el: Element, style: Piece, out: list[Piece]) -> None:
    if el.tail:
        out.append(replace(style, text=el.tail))


def _break_ms(attrs: dict[str, str]) -> int:
    if "time" in attrs:
        m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s)\s*", attrs["time"])
        if not m:
            raise SSMLError(f"<break time={attrs['time']!r}>: use e.g. 500ms or 1.5s")
        ms = float(m.group(1)) * (1000 if m.group(2) == "s" else 1)
        if ms > _MAX_BREAK_MS:
            raise SSMLError(f"<break time={attrs['time']!r}> is longer than {_MAX_BREAK_MS} ms")
        return round(ms)
    strength = attrs.get("strength", "medium")
    if strength not in _STRENGTH_MS:
        raise SSMLError(f"<break strength={strength!r}>: use one of {', '.join(_STRENGTH_MS)}")
    return _STRENGTH_MS[strength]


def _emotion(attrs: dict[str, str], style: Piece) -> Piece:
    cat = attrs.get("category")
    if not cat:
        raise SSMLError("<emotion> needs a category attribute")
    cat = cat.removeprefix("emotion_")
    if cat not in EMOTIONS:
        # the synthesizer answers this with the loaded voice's own emotions (``detail`` carries the category)
        raise UnknownEmotion(f"<emotion category={cat!r}>: unknown emotion", detail=cat)
    intensity = style.controls.emotion_intensity
    if "intensity" in attrs:
        try:
            intensity = float(attrs["intensity"])
        except ValueError:
            raise SSMLError(f"<emotion intensity={attrs['intensity']!r}> is not a number") from None
        if not 0.0 <= intensity <= 2.0:
            raise SSMLError(f"<emotion intensity={attrs['intensity']!r}> must be between 0 and 2")
    return replace(style, emotion=cat, controls=replace(style.controls, emotion_intensity=intensity))


def _number(value: str, what: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise SSMLError(f"<prosody {what}={value!r}> is not valid") from None


def _prosody(attrs: dict[str, str], c: Controls) -> Controls:
    if "rate" in attrs:
        v = attrs["rate"].strip()
        if v in _RATE_WORDS:
            speed = _RATE_WORDS[v]
        elif v.endswith("%"):
            speed = _number(v[:-1], "rate") / 100.0
        else:
            speed = _number(v, "rate")
        if not 0.5 <= speed <= 2.0:
            raise SSMLError(f"<prosody rate={v!r}> must be between 50% and 200%")
        c = replace(c, speed=c.speed * speed)
    if "pitch" in attrs:
        v = attrs["pitch"].strip()
        if v in _PITCH_WORDS:
            shift = _PITCH_WORDS[v]
        elif v.endswith("st"):
            shift = _number(v[:-2], "pitch") / _SEMITONES_PER_UNIT
        elif v.endswith("%"):
            shift = _number(v[:-1], "pitch") / 100.0 * 2.0
        else:
            raise SSMLError(f"<prosody pitch={v!r}>: use x-low..x-high, +Nst or +N%")
        if not -2.0 <= shift <= 2.0:
            raise SSMLError(f"<prosody pitch={v!r}> is out of range")
        c = replace(c, pitch=c.pitch + shift)
    if "volume" in attrs:
        v = attrs["volume"].strip()
        if v in _VOLUME_WORDS:
            db = _VOLUME_WORDS[v]
        elif v.endswith("dB"):
            db = _number(v[:-2], "volume")
        else:
            raise SSMLError(f"<prosody volume={v!r}>: use silent..x-loud or +NdB")
        if not -60.0 <= db <= 20.0:
            raise SSMLError(f"<prosody volume={v!r}> is out of range")
        c = replace(c, volume_db=c.volume_db + db)
    return c


def _phonemes(attrs: dict[str, str], text: str) -> tuple[str, ...]:
    if attrs.get("alphabet", "pinyin") not in ("pinyin", "py"):  # "py" is Alibaba Cloud's spelling
        raise SSMLError(f"<phoneme alphabet={attrs.get('alphabet')!r}>: only alphabet=\"pinyin\" (or \"py\") is "
                        "supported")
    ph = attrs.get("ph", "").split()
    chars = [c for c in text if c.strip()]
    if not ph:
        raise SSMLError("<phoneme> needs a ph attribute, e.g. ph=\"hang2\"")
    if len(ph) != len(chars):
        raise SSMLError(f"<phoneme ph={attrs.get('ph')!r}> has {len(ph)} syllables for {len(chars)} characters")
    for p in ph:
        if not re.fullmatch(r"[a-zü:]+[1-5]", p.lower()) or not is_valid_pinyin(p):
            raise SSMLError(f"<phoneme ph=...>: {p!r} is not a pinyin syllable with a tone digit 1-5")
    return tuple(p.lower().replace("ü", "v").replace("u:", "v") for p in ph)
