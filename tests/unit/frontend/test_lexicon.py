"""Lexicons: the text format, matching, forced readings before G2P, and what analyze reports."""

from __future__ import annotations

import pytest

from sambert_lambda.errors import ConfigInvalid, InvalidInput, TooLarge
from sambert_lambda.frontend.lexicon import MAX_REQUEST_BYTES, Lexicon
from sambert_lambda.frontend.pipeline import OpenFrontend


def _pinyin(segments) -> list[str]:
    return [s.pinyin or "+".join(s.phones) for seg in segments for s in seg.syllables]


def test_format_comments_blank_lines_and_both_kinds_of_entry():
    lx = Lexicon.parse("# mine\n\n银行\tyin2 hang2  # tab or spaces\n  绿 lü4\nSQL  S IY1 K W AH0 L\n")
    assert lx.entries["银行"].pinyin == ("yin2", "hang2")
    assert lx.entries["绿"].pinyin == ("lv4",)
    assert lx.entries["SQL"].phones == ("s", "iy1", "k", "w", "ah0", "l")
    assert len(lx) == 3


@pytest.mark.parametrize("text,needle", [
    ("银行 yin2", "line 1"), ("# c\n银行 yin2 hang9", "line 2"), ("银行", "line 1"), ("SQL S K L", "vowel"),
    ("SQL S IY K", "stress"), ("a-b ey1", "Latin"), ("银x yin2 x1", "Han"),
])
def test_errors_name_the_line_and_the_problem(text, needle):
    with pytest.raises(InvalidInput) as e:
        Lexicon.parse(text)
    assert e.value.code == "invalid_lexicon" and needle.lower() in e.value.message.lower()


def test_request_lexicons_are_bounded():
    with pytest.raises(TooLarge) as e:
        Lexicon.parse("银行 yin2 hang2\n" * (MAX_REQUEST_BYTES // 10), max_bytes=MAX_REQUEST_BYTES)
    assert e.value.code == "lexicon_too_large"


def test_matching_is_longest_first_non_overlapping_and_whole_english_words():
    lx = Lexicon.parse("银行 yin2 hang2\n银行家 yin2 hang2 jia1\nok OW1 K EY1")
    got = [(m.start, m.end, m.entry.word) for m in lx.matches("银行家去银行。OK，okay")]
    assert got == [(0, 3, "银行家"), (4, 6, "银行"), (7, 9, "ok")]


def test_entries_force_the_reading_over_dictionaries_and_sandhi():
    f = OpenFrontend()
    assert _pinyin(f.segments("我去银行。"))[2:] == ["yin2", "hang2"]
    lx = Lexicon.parse("银行 yin2 xing2\n你好 ni3 hao3")
    got = _pinyin(f.segments("我去银行。你好。", lexicon=lx))
    assert got[2:4] == ["yin2", "xing2"]
    assert got[4:] == ["ni3", "hao3"]  # the 3-3 sandhi rule would read ni2 hao3


def test_english_entries_replace_the_letter_to_sound_reading():
    f = OpenFrontend()
    lx = Lexicon.parse("SQL S IY1 K W AH0 L")
    assert _pinyin(f.segments("SQL", lexicon=lx)) == ["s+iy", "k+w+ah+l"]


def test_ssml_phoneme_wins_over_the_lexicon_and_accepts_alphabet_py():
    f = OpenFrontend()
    lx = Lexicon.parse("银行 yin2 xing2")
    ssml = '<speak><phoneme alphabet="py" ph="yin2 hang2">银行</phoneme>和银行</speak>'
    assert _pinyin(f.segments(ssml, ssml=True, lexicon=lx)) == ["yin2", "hang2", "he2", "yin2", "xing2"]


def test_analyze_lists_the_entries_that_matched():
    lx = Lexicon.parse("银行 yin2 xing2\n重庆 zhong4 qing4\n北京 bei3 jing1")
    out = OpenFrontend().analyze("我去银行，在重庆。", lexicon=lx)
    assert out["lexicon"] == [{"word": "银行", "start": 2, "end": 4, "pronunciation": "yin2 xing2"},
                              {"word": "重庆", "start": 6, "end": 8, "pronunciation": "zhong4 qing4"}]
    assert [w["pinyin"] for w in out["words"] if w["text"] == "银行"] == [["yin2", "xing2"]]
    assert "lexicon" not in OpenFrontend().analyze("我去银行。")


def test_baked_file_problems_are_configuration_errors(tmp_path):
    bad = tmp_path / "lex.txt"
    bad.write_text("银行 yin9 hang2\n", encoding="utf-8")
    with pytest.raises(ConfigInvalid):
        Lexicon.load(bad)
    with pytest.raises(ConfigInvalid):
        Lexicon.load(tmp_path / "missing.txt")
    good = tmp_path / "good.txt"
    good.write_text("银行 yin2 hang2\n", encoding="utf-8")
    assert Lexicon.load(good).merged(Lexicon.parse("银行 yin2 xing2")).entries["银行"].pinyin == ("yin2", "xing2")


def test_digest_ignores_order_and_comments():
    a = Lexicon.parse("银行 yin2 hang2\n重庆 zhong4 qing4")
    b = Lexicon.parse("# x\n重庆 zhong4 qing4\n银行 yin2 hang2")
    assert a.digest == b.digest != Lexicon.parse("银行 yin2 xing2").digest
