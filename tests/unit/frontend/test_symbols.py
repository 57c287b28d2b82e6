"""Open frontend -> KAN-TTS symbol lines: the real ttsfrd golden sentence, token rules, vocabulary."""

from __future__ import annotations

import json

import pytest

from sambert_lambda.frontend.symbols import (
    Syllable,
    map_key,
    pinyin_phones,
    token_fields,
    word_tokens,
)
from tests.support.paths import GOLDEN_DIR

GOLDEN = GOLDEN_DIR


@pytest.fixture(scope="module")
def vocab() -> dict[str, set[str]]:
    v = json.loads((GOLDEN / "real_shapes.json").read_text("utf-8"))["ling_unit_vocab"]
    return {k: set(x.removeprefix("@") if k == "sy" else x for x in vals) for k, vals in v.items()}


def real_ttsfrd_line() -> str:
    lines = [ln for ln in (GOLDEN / "README.md").read_text("utf-8").splitlines() if ln.startswith("{b_c$")]
    assert len(lines) == 1
    return lines[0]


def short(line: str) -> list[str]:
    """phone+tone digit, or the pause label: compact view for comparisons."""
    out = []
    for tok in line.split():
        f = token_fields(tok)
        out.append(f[0] if f[0].startswith("#") else f"{f[0]}{f[1][-1]}")
    return out


def check_vocab(line: str, vocab: dict[str, set[str]]) -> None:
    for tok in line.split():
        sy, tone, sf, ws, emo, spk = token_fields(tok)
        assert sy in vocab["sy"], tok
        assert tone in vocab["tone"], tok
        assert sf in vocab["syllable_flag"], tok
        assert ws in vocab["word_segment"], tok
        assert emo in vocab["emotion"], tok
        assert spk in vocab["speaker"], tok


def test_real_ttsfrd_sentence_exact(fe):
    assert fe.symbol_lines("北京今天天气怎么样") == [real_ttsfrd_line()]


def test_golden_fixture_lines_phones_and_tones(fe):
    lines = json.loads((GOLDEN / "golden.json").read_text("utf-8"))["lines"]
    # line 1 (English + happy/F74) and line 2 (#2 and #3) are reproduced token for token
    assert fe.symbol_lines("请用iPhone打开这个app，你好。", emotion="happy", speaker="F74") == [lines[1]]
    assert fe.symbol_lines("上午九点三十分举行，请准时参加。", emotion="sad") == [lines[2]]


def test_golden_line_erhua_and_sandhi(fe):
    got = short(fe.symbol_lines("小朋友们一会儿去公园玩儿，展览馆里有很多老虎。")[0])
    joined = " ".join(got)
    assert "y_c2 i_c2 h_c4 ueir_c4" in joined  # 一会儿 -> yi2 huir4 (一 before tone 4, erhua merged)
    assert "w_c2 anr_c2" in joined  # 玩儿 -> wanr2
    assert "zh_c2 an_c2 l_c2 an_c2 g_c2 uan_c2 l_c3 i_c3" in joined  # 展览馆里: 3-3-3-3 -> 2-2-2-3
    assert got[-1] == "#4" and "#3" in got


def test_every_token_in_engine_vocab(fe, vocab):
    texts = ["北京今天天气怎么样", "你好，世界！我用Wi-Fi看了3个app。", "嗯，呣，哼！这儿那儿哪儿都有花儿。",
             "女儿说：“绿色的律师在学习。”", "ABC与XYZ，OK吗？", "一九九零年九月十五日"]
    for emo in ("neutral", "happy", "sad", "angry", "surprise"):
        for t in texts:
            for line in fe.symbol_lines(t, emotion=emo, speaker="M7"):
                check_vocab(line, vocab)


def test_syllable_and_word_flags():
    # one-syllable word with two phones: begin/end; three-syllable word: middle syllables are word_middle
    toks = word_tokens([Syllable("好", "hao3", ["h_c", "ao_c"], "tone3")], "F7")
    assert [token_fields(t)[2:4] for t in toks] == [["s_begin", "word_begin"], ["s_end", "word_end"]]
    one = word_tokens([Syllable("a", None, ["ey"], "tone1")], "F7")
    assert token_fields(one[0])[2:4] == ["s_both", "word_both"]
    eng = word_tokens([Syllable("b", None, ["b", "ae", "t"], "tone1")], "F7")
    assert [token_fields(t)[2:4] for t in eng] == [["s_begin", "word_begin"], ["s_middle", "word_middle"],
                                                   ["s_end", "word_end"]]


@pytest.mark.parametrize(("pinyin", "phones"), [
    ("ai4", ["ga", "ai_c"]), ("e2", ["ge", "e_c"]), ("ou1", ["go", "ou_c"]), ("xue2", ["xx_c", "ve_c"]),
    ("ju4", ["j_c", "v_c"]), ("yuan2", ["y_c", "van_c"]), ("lv4", ["l_c", "v_c"]), ("zhi1", ["zh_c", "ih_c"]),
    ("zi3", ["z_c", "ii_c"]), ("huir4", ["h_c", "ueir_c"]), ("wanr2", ["w_c", "anr_c"]), ("er2", ["ge", "er_c"]),
    ("n2", ["ge", "en_c"]),
])
def test_pinyin_to_phones(pinyin, phones):
    got = pinyin_phones(pinyin)
    assert got is not None and got[0] == phones
    assert got[1] == f"tone{pinyin[-1]}"


def test_map_key_spelling():
    assert map_key("ju") == "jv" and map_key("quan") == "qvan" and map_key("yue") == "yve"
    assert map_key("lv") == "lv" and map_key("you") == "you" and map_key("jiu") == "jiu"


def test_speaker_and_emotion_fields(fe):
    line = fe.symbol_lines("你好", emotion="happy", speaker="F74")[0]
    for tok in line.split():
        f = token_fields(tok)
        assert f[5] == "F74"
        assert f[4] == ("emotion_none" if f[0].startswith("#") else "emotion_happy")


def test_symbols_cli_indices(capsys, monkeypatch):
    import io
    import types

    from sambert_lambda.frontend import cli_symbols

    data = "北京今天天气怎么样。你好！\n\n今天很好。\n".encode()
    monkeypatch.setattr("sys.stdin", types.SimpleNamespace(buffer=io.BytesIO(data)))
    args = types.SimpleNamespace(emotion="neutral", speaker="F7", frontend="open")
    assert cli_symbols.run(args) == 0
    out = capsys.readouterr().out.splitlines()
    assert [ln.split("\t")[0] for ln in out] == ["0", "1", "0"]
    assert out[0].split("\t")[1] == real_ttsfrd_line()


def test_symbols_cli_line_numbers_as_a_subprocess():
    import subprocess
    import sys

    data = "北京今天天气怎么样。你好！\n\n😀😀\n今天很好。\n"
    proc = subprocess.run([sys.executable, "-m", "sambert_lambda", "symbols", "--line-numbers"], input=data.encode(),
                          capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    rows = [ln.split("\t") for ln in proc.stdout.decode().splitlines()]
    assert [(r[0], r[1]) for r in rows] == [("1", "0"), ("1", "1"), ("2", "-"), ("3", "-"), ("4", "0")]
    assert rows[0][2] == real_ttsfrd_line() and rows[2][2] == "" and rows[3][2] == ""
