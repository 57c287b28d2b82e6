"""KAN-TTS linguistic units: vocabularies in KAN-TTS order and the symbol-line encoder."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import yaml

from sambert_lambda.engine.units import STREAMS, LinguisticUnits
from sambert_lambda.errors import InvalidInput, ModelError, UnknownSymbol

VOICES = ("zhitian_emo", "zhiyan_emo", "zhibei_emo")
TOKEN = "{b_c$tone3$s_begin$word_begin$emotion_neutral$F7}"




@pytest.fixture(scope="module")
def units(real_config):
    return LinguisticUnits.from_config(real_config)


@pytest.fixture(scope="module")
def golden(golden_dir):
    return np.load(golden_dir / "golden.npz", allow_pickle=False)


def test_vocab_and_sizes_match_kantts(units, real_shapes):
    assert {s: list(v) for s, v in units.vocab.items()} == real_shapes["ling_unit_vocab"]
    assert units.sizes == real_shapes["ling_unit_sizes"]
    assert units.speakers == ["F7", "F74", "FBYN", "FRXL", "M7", "xiaoyu"]
    assert units.emotions[:2] == ["emotion_none", "emotion_neutral"] and "emotion_arousal" in units.emotions
    assert units.phones[-4:] == ["#1", "#2", "#3", "#4"]


@pytest.mark.parametrize("voice", VOICES)
def test_golden_lines_encode_to_golden_ids(golden, golden_dir, voice):
    config = yaml.safe_load((golden_dir / "MODEL" / "voices" / voice / "am" / "config.yaml").read_text())
    units = LinguisticUnits.from_config(config)
    for i in range(4):
        ids = units.encode(str(golden[f"{voice}__{i}__symbols"]))
        assert list(ids) == list(STREAMS)
        for stream, arr in ids.items():
            expected = golden[f"{voice}__{i}__ids_{stream}"]
            assert arr.dtype == np.int32 and arr.shape == expected.shape
            np.testing.assert_array_equal(arr, expected, err_msg=f"{voice} line {i} {stream}")


def test_trailing_eos_and_whitespace(units):
    ids = units.encode(f"  {TOKEN}   {TOKEN}\n")
    for stream, arr in ids.items():
        assert len(arr) == 3
        assert arr[-1] == units.vocab[stream].index("~")
    assert ids["sy"][0] == units.vocab["sy"].index("@b_c")
    assert ids["tone"][0] == 4  # tonelist.txt order: 1, none, 4, 2, 3, ...


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sy", "bb_c"),
        ("tone", "tone7"),
        ("syllable_flag", "s_weird"),
        ("word_segment", "word_x"),
        ("emotion", "emotion_joy"),
        ("speaker", "F8"),
        ("emotion", "~"),  # specials are not token values
        ("sy", "[MASK]"),
    ],
)
def test_unknown_value_names_token_and_position(units, field, value):
    fields = TOKEN[1:-1].split("$")
    fields[STREAMS.index(field)] = value
    bad = "{" + "$".join(fields) + "}"
    with pytest.raises(UnknownSymbol) as e:
        units.encode(f"{TOKEN} {TOKEN} {bad}")
    assert e.value.code == "unknown_symbol"
    assert bad in e.value.message and "position 2" in e.value.message and repr(value) in e.value.message
    assert e.value.detail == {"stream": field, "symbol": value, "token": bad, "position": 2}


@pytest.mark.parametrize(
    "bad",
    [
        "{b_c$tone3$s_begin$word_begin$emotion_neutral}",  # a field missing
        "{b_c$tone3}",
        "{b_c$tone3$s_begin$word_begin$emotion_neutral$F7$extra}",  # one too many
        "b_c$tone3$s_begin$word_begin$emotion_neutral$F7",  # no braces
        "{}",
    ],
)
def test_malformed_token_is_a_clear_error(units, bad):
    with pytest.raises(InvalidInput) as e:
        units.encode(f"{TOKEN} {bad}")
    assert not isinstance(e.value, UnknownSymbol)
    assert "malformed" in e.value.message and bad in e.value.message and "position 1" in e.value.message


def test_empty_line(units):
    with pytest.raises(InvalidInput, match="empty"):
        units.encode("  \n")


def test_speaker_list_comes_from_the_config(real_config):
    config = {**real_config, "linguistic_unit": {**real_config["linguistic_unit"], "speaker_list": "F7"}}
    units = LinguisticUnits.from_config(config)
    assert units.vocab["speaker"] == ("F7", "_", "~", "@[MASK]") and units.sizes["speaker"] == 4
    with pytest.raises(UnknownSymbol, match="F74"):
        units.encode(TOKEN.replace("F7", "F74"))


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"language": "Sichuan"}, "language"),
        ({"lfeat_type_list": "byte_index,emo_category,speaker_category"}, "lfeat_type_list"),
        ({"speaker_list": ""}, "speaker_list"),
    ],
)
def test_unsupported_unit_configs(real_config, change, match):
    config = {**real_config, "linguistic_unit": {**real_config["linguistic_unit"], **change}}
    with pytest.raises(ModelError, match=match):
        LinguisticUnits.from_config(config)
    with pytest.raises(ModelError, match="linguistic_unit"):
        LinguisticUnits.from_config({"Model": {}})


def test_module_does_not_import_torch():
    code = "import sys, sambert_lambda.engine.units; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
