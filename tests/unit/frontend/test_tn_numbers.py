"""Number verbalization primitives: hand-checked readings, and agreement with cn2an where cn2an is right."""

from __future__ import annotations

import random

import pytest

from sambert_lambda.frontend.tn.numbers import cardinal, decimal, digits


@pytest.mark.parametrize(
    ("n", "spoken"),
    [
        ("0", "零"),
        ("7", "七"),
        ("10", "十"),
        ("15", "十五"),
        ("20", "二十"),
        ("105", "一百零五"),
        ("110", "一百一十"),
        ("1010", "一千零一十"),
        ("1001", "一千零一"),
        ("10001", "一万零一"),
        ("10010", "一万零一十"),
        ("100000", "十万"),
        ("101111", "十万一千一百一十一"),
        ("1000000", "一百万"),
        ("100000000", "一亿"),
        ("600008361", "六亿零八千三百六十一"),  # an all-zero 万 group still needs its 零
        ("100000001000", "一千亿零一千"),
        ("10000100000", "一百亿零一十万"),
        ("007", "七"),
        ("1234567890123", "一二三四五六七八九零一二三"),  # longer than 12 digits: digit by digit
    ],
)
def test_cardinal(n: str, spoken: str) -> None:
    assert cardinal(n, liang=False) == spoken


@pytest.mark.parametrize(
    ("n", "spoken"),
    [
        ("2", "二"),
        ("200", "两百"),
        ("2000", "两千"),
        ("22000", "两万二千"),
        ("12000", "一万二千"),
        ("20", "二十"),
    ],
)
def test_liang_only_for_a_leading_two_before_a_big_unit(n: str, spoken: str) -> None:
    assert cardinal(n) == spoken


def test_decimal_and_digits() -> None:
    assert decimal("-0.05") == "负零点零五"
    assert decimal("2000.5") == "两千点五"
    assert digits("1101", telephone=True) == "幺幺零幺"
    assert digits("a1b0") == "一零"


def test_agrees_with_cn2an_where_no_zero_group_is_skipped() -> None:
    cn2an = pytest.importorskip("cn2an")
    rng = random.Random(7)
    values = [*range(0, 3000), *(rng.randrange(10 ** rng.randint(1, 12)) for _ in range(3000))]
    for v in values:
        s = str(v)
        groups = [s[max(0, i - 4) : i] for i in range(len(s), 0, -4)][1:-1]  # inner 万/亿 groups
        if any(g == "0000" for g in groups):
            continue  # cn2an drops the 零 there (600008361 -> 六亿八千...), a known difference
        assert cardinal(s, liang=False) == cn2an.an2cn(s), s
