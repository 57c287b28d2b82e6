"""Unit tests of sentence splitting."""

from __future__ import annotations

import pytest

from sambert_lambda.frontend.segment import LONGEST_WORD, split_sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("今天天气很好。我们去公园吧！", ["今天天气很好。", "我们去公园吧！"]),
        ("你去吗？我不去；他去。", ["你去吗？", "我不去；", "他去。"]),
        ("他说：“我们走吧！”然后就走了。", ["他说：“我们走吧！”", "然后就走了。"]),
        ("他说：“好。”。下一句", ["他说：“好。”。", "下一句"]),
        ("真的吗？！当然……", ["真的吗？！", "当然……"]),
        ("第一行\n第二行\n\n第三行", ["第一行", "第二行", "第三行"]),
        ("没有标点的一句话", ["没有标点的一句话"]),
        ("Hello world. How are you? 好的", ["Hello world.", "How are you?", "好的"]),
        ("版本v1.2很好。", ["版本v1.2很好。"]),
        ("（括号里的话。）后面", ["（括号里的话。）", "后面"]),
        ("", []),
        ("  \n \t ", []),
        ("。。。", ["。。。"]),
    ],
)
def test_split(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_long_sentence_is_cut_at_clause_marks() -> None:
    text = "我们今天去了公园，看到了很多花，还有一个很大的湖，湖里有许多鱼。"
    out = split_sentences(text, max_chars=12)
    assert out == ["我们今天去了公园，", "看到了很多花，", "还有一个很大的湖，", "湖里有许多鱼。"]


def test_clauses_are_packed_up_to_max_chars() -> None:
    out = split_sentences("一二，三四，五六，七八。", max_chars=6)
    assert out == ["一二，三四，", "五六，七八。"]


def test_clause_without_marks_is_hard_cut() -> None:
    text = "一二三四五六七八九十" * 3 + "。"
    out = split_sentences(text, max_chars=10)
    assert all(len(s) <= 10 for s in out)
    assert "".join(out) == text
    assert not out[-1].startswith("。")


def test_hard_cut_never_splits_an_ascii_word() -> None:
    out = split_sentences("中文中文中文 internationalization 中文", max_chars=10)
    assert "internationalization" in out
    assert all("internationalization" in s or len(s) <= 10 for s in out)


def test_a_run_longer_than_any_word_is_cut() -> None:
    """300 letters kept whole were one unit over the acoustic model's 800 positions (a 200 with no audio)."""
    run = "x" * 300
    out = split_sentences(f"中文 {run} 中文", max_chars=60)
    assert "".join(out).replace(" ", "") == f"中文{run}中文"
    assert max(len(s) for s in out) <= LONGEST_WORD
    assert split_sentences("a" * 100, max_chars=80) == ["a" * 80, "a" * 20]  # max_chars over LONGEST_WORD: cut there


def test_enumeration_comma_and_colon_are_cut_points() -> None:
    out = split_sentences("包括：苹果、香蕉、橘子、葡萄、西瓜", max_chars=6)
    assert out == ["包括：苹果、", "香蕉、橘子、", "葡萄、西瓜"]


def test_max_chars_below_one_is_clamped() -> None:
    assert split_sentences("一二", max_chars=0) == ["一", "二"]
