"""KAN-TTS linguistic units: the six symbol vocabularies and the symbol-line -> id encoder.

A symbol line is what ttsfrd prints: tokens ``{phone$tone$syllable_flag$word_segment$emotion$speaker}`` separated
by spaces. :meth:`LinguisticUnits.encode` turns it into six int32 id streams, each ending with the ``~`` (EOS) id,
exactly as KAN-TTS ``KanTtsLinguisticUnit.encode_symbol_sequence`` does for the published voices.

Vocabulary order is KAN-TTS's (id = list index), which the checkpoints' embedding tables depend on:

* ``sy``: ``'@' + phone`` in PhoneSet.xml file order, then ``@#1``..``@#4``;
* ``tone``: tonelist.txt file order (an empty line is ``tone_none``);
* ``syllable_flag``, ``word_segment``, ``emotion``: fixed KAN-TTS lists;
* ``speaker``: ``linguistic_unit.speaker_list`` of the AM config;

and every table ends with the three specials ``_`` (pad), ``~`` (EOS), ``@[MASK]``.

Differences from KAN-TTS, all on inputs it would mishandle: an unknown phone raises instead of being silently
dropped from the ``sy`` stream only (which puts the streams out of step); special symbols are not accepted as
token values; a token with the wrong number of ``$`` fields raises instead of an ``IndexError`` (too few) or being
silently truncated (too many). No torch here.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources

import numpy as np

from sambert_lambda.errors import InvalidInput, ModelError, UnknownSymbol

PAD, EOS, MASK = "_", "~", "@[MASK]"
SPECIALS = (PAD, EOS, MASK)

# Stream names (our keys) in token-field order, and the KAN-TTS lfeat type each one is.
STREAMS = ("sy", "tone", "syllable_flag", "word_segment", "emotion", "speaker")
LFEAT_TYPES = ("sy", "tone", "syllable_flag", "word_segment", "emo_category", "speaker_category")

SYLLABLE_FLAGS = ("s_begin", "s_end", "s_none", "s_both", "s_middle")
WORD_SEGMENTS = ("word_begin", "word_end", "word_middle", "word_both", "word_none")
EMOTION_TYPES = (
    "emotion_none", "emotion_neutral", "emotion_angry", "emotion_disgust", "emotion_fear", "emotion_happy",
    "emotion_sad", "emotion_surprise", "emotion_calm", "emotion_gentle", "emotion_relax", "emotion_lyrical",
    "emotion_serious", "emotion_disgruntled", "emotion_satisfied", "emotion_disappointed", "emotion_excited",
    "emotion_anxiety", "emotion_jealousy", "emotion_hate", "emotion_pity", "emotion_pleasure", "emotion_arousal",
    "emotion_dominance",
    *(f"emotion_placeholder{i}" for i in range(1, 10)),
)  # fmt: skip
EMOTION_NONE_ID = EMOTION_TYPES.index("emotion_none")
EMOTION_NEUTRAL_ID = EMOTION_TYPES.index("emotion_neutral")

_LANG_DIR = "sambert_lambda.data.kantts_lang"


@functools.lru_cache(maxsize=1)
def pinyin_phones() -> tuple[str, ...]:
    """PhoneSet.xml phone names in file order, then the pause marks ``#1``..``#4`` (KAN-TTS ``parse_phoneset``)."""
    from defusedxml import ElementTree

    ns = "{http://schemas.alibaba-inc.com/tts}"
    root = ElementTree.fromstring(resources.files(_LANG_DIR).joinpath("PhoneSet.xml").read_bytes())
    phones = [node.find(ns + "name").text for node in root.findall(ns + "phone")]
    return (*phones, "#1", "#2", "#3", "#4")


@functools.lru_cache(maxsize=1)
def pinyin_tones() -> tuple[str, ...]:
    """tonelist.txt in file order: ``tone<digit>``, or ``tone_none`` for an empty line (KAN-TTS ``parse_tonelist``)."""
    text = resources.files(_LANG_DIR).joinpath("tonelist.txt").read_text(encoding="utf-8")
    return tuple(f"tone{t.strip()}" if t.strip() else "tone_none" for t in text.splitlines())


@dataclass(frozen=True, eq=False)
class LinguisticUnits:
    """The six vocabularies of one AM config and the encoder. Build with :meth:`from_config`.

    ``vocab[stream]`` lists the symbols (id = index; ``sy`` entries carry KAN-TTS's ``@`` prefix), ``sizes`` the
    table sizes the model's embeddings are built with (specials included).
    """

    vocab: dict[str, tuple[str, ...]]

    def __post_init__(self):
        index = {s: {sym: i for i, sym in enumerate(v)} for s, v in self.vocab.items()}
        object.__setattr__(self, "_index", index)

    @classmethod
    def from_config(cls, am_config: dict) -> LinguisticUnits:
        """Vocabularies for an AM config (its ``linguistic_unit`` section). Unsupported setups raise ModelError."""
        unit = (am_config or {}).get("linguistic_unit")
        if not isinstance(unit, dict):
            raise ModelError("AM config has no linguistic_unit section")
        language = unit.get("language", "PinYin")
        if language != "PinYin":
            raise ModelError(f"linguistic_unit.language {language!r} is not supported (only PinYin)")
        lfeat = tuple(str(unit.get("lfeat_type_list", "")).strip().split(","))
        if lfeat != LFEAT_TYPES:
            raise ModelError(
                f"linguistic_unit.lfeat_type_list {','.join(lfeat)!r} is not supported (need {','.join(LFEAT_TYPES)})"
            )
        speaker_list = unit.get("speaker_list")
        if not isinstance(speaker_list, str) or not speaker_list.strip():
            raise ModelError("linguistic_unit.speaker_list is missing or empty")
        speakers = speaker_list.strip().split(",")  # no per-name strip: KAN-TTS does not strip either
        streams = (
            ["@" + p for p in pinyin_phones()],
            pinyin_tones(),
            SYLLABLE_FLAGS,
            WORD_SEGMENTS,
            EMOTION_TYPES,
            speakers,
        )
        return cls({name: (*symbols, *SPECIALS) for name, symbols in zip(STREAMS, streams, strict=True)})

    @property
    def sizes(self) -> dict[str, int]:
        return {s: len(v) for s, v in self.vocab.items()}

    @property
    def speakers(self) -> list[str]:
        return list(self.vocab["speaker"][: -len(SPECIALS)])

    @property
    def emotions(self) -> list[str]:
        return list(self.vocab["emotion"][: -len(SPECIALS)])

    @property
    def phones(self) -> list[str]:
        """Phone names as written in tokens (without the ``@`` of the ``sy`` table)."""
        return [s[1:] for s in self.vocab["sy"][: -len(SPECIALS)]]

    def id_of(self, stream: str, symbol: str) -> int:
        """Id of a token value (phones without ``@``). Specials and unknown values raise UnknownSymbol."""
        key = "@" + symbol if stream == "sy" else symbol
        i = self._index[stream].get(key)
        if i is None or symbol in SPECIALS or key == MASK:
            raise UnknownSymbol(f"unknown {stream} {symbol!r}", detail={"stream": stream, "symbol": symbol})
        return i

    def eos_id(self, stream: str) -> int:
        return self._index[stream][EOS]

    def encode(self, line: str) -> dict[str, np.ndarray]:
        """Encode one symbol line into int32 id streams of length N+1 (N tokens, then the EOS id).

        Raises InvalidInput for an empty line or a malformed token, UnknownSymbol for a value missing from its
        vocabulary; both name the token and its 0-based position.
        """
        tokens = line.split()
        if not tokens:
            raise InvalidInput("empty symbol line")
        n_fields = len(STREAMS)
        out = {s: np.empty(len(tokens) + 1, dtype=np.int32) for s in STREAMS}
        for pos, token in enumerate(tokens):
            if len(token) < 2 or token[0] != "{" or token[-1] != "}":
                raise InvalidInput(
                    f"malformed symbol token {token!r} at position {pos}: expected {{phone$tone$...$speaker}}",
                    detail={"token": token, "position": pos},
                )
            fields = token[1:-1].split("$")
            if len(fields) != n_fields:
                raise InvalidInput(
                    f"malformed symbol token {token!r} at position {pos}: {len(fields)} '$'-separated fields, "
                    f"expected {n_fields} ({'$'.join(STREAMS)})",
                    detail={"token": token, "position": pos},
                )
            for stream, value in zip(STREAMS, fields, strict=True):
                try:
                    out[stream][pos] = self.id_of(stream, value)
                except UnknownSymbol:
                    raise UnknownSymbol(
                        f"unknown {stream} {value!r} in token {token!r} at position {pos}",
                        detail={"stream": stream, "symbol": value, "token": token, "position": pos},
                    ) from None
        for stream in STREAMS:
            out[stream][-1] = self.eos_id(stream)
        return out
