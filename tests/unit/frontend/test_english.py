"""English words inside Chinese text: CMUdict lexicon, letter-to-sound rules, spelling, phone-set closure."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sambert_lambda.frontend import english, english_lts
from sambert_lambda.frontend.symbols import ARPABET, token_fields
from tests.support.paths import REPO

ROOT = REPO
GOLDEN = ROOT / "tests" / "fixtures" / "kantts-golden"
LEXICON_FILE = ROOT / "function" / "sambert_lambda" / "data" / "cmudict" / "cmudict.txt.xz"


def phone_set() -> set[str]:
    xml = resources.files("sambert_lambda.data.kantts_lang").joinpath("PhoneSet.xml").read_text("utf-8")
    return set(re.findall(r"<name>([^<]+)</name>", xml))


PHONES = phone_set()
ENGLISH_PHONES = {p for p in PHONES if not p.endswith("_c") and p not in ("ga", "ge", "go", "pau")}


def flat(syls: list[english.EnSyllable]) -> str:
    """``[(['m','ay'],'tone1'), ...]`` -> ``"m ay1 | k r ow0 ..."``: phones with the tone digit on each syllable."""
    return " | ".join(" ".join(p) + t[-1] for p, t in syls)


def check_syllables(syls: list[english.EnSyllable]) -> None:
    for phones, tone in syls:
        assert phones, syls
        assert tone in ("tone0", "tone1"), syls
        assert set(phones) <= ENGLISH_PHONES, syls
        assert sum(p in english_lts.VOWEL_PHONES for p in phones) == 1, syls  # one nucleus per syllable


def test_english_vowels_agree_with_the_rules():
    assert english._VOWELS == english_lts.VOWEL_PHONES


def test_english_phones_are_kantts_arpabet():
    # the 39 ARPAbet phones of KAN-TTS's PhoneSet.xml are the set symbols.py renders
    assert ENGLISH_PHONES == set(ARPABET)
    assert len(ENGLISH_PHONES) == 39


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("Microsoft", "m ay1 | k r ow0 | s ao f t1"),
        ("server", "s er1 | v er0"),
        ("download", "d aw n1 | l ow d0"),
        ("Tesla", "t eh1 | s l ah0"),
        ("computer", "k ah m0 | p y uw1 | t er0"),
        ("YouTube", "y uw t1 | y uw b0"),
        ("GitHub", "g ih t1 | hh ah b0"),
        ("NVIDIA", "eh n1 | v ih1 | d iy0 | ah0"),
    ],
)
def test_lexicon_words(word, expected):
    assert flat(english.word_syllables(word)) == expected


def test_builtin_lexicon_overrides_cmudict():
    # CMUdict has "ok" as O K spelled out; the project's lexicon keeps KAN-TTS's reading from the golden line
    assert flat(english.word_syllables("iPhone")) == "ay1 | f ow n0"
    assert flat(english.word_syllables("app")) == "ae p1"
    assert flat(english.word_syllables("WiFi")) == "w ay1 | f ay0"


@pytest.mark.parametrize("word", ["CEO", "NBA", "GPU", "AI", "IT", "WHO", "CCTV", "ICBC", "HTTPS", "NVDA"])
def test_acronyms_are_spelled(word):
    assert english.word_syllables(word) == english.spell(word)


def test_letters_and_unpronounceable_tokens_are_spelled():
    assert flat(english.word_syllables("x")) == "eh k s1"
    assert flat(english.word_syllables("A")) == "ey1"
    assert english.word_syllables("xkcd") == english.spell("xkcd")  # no vowel letter
    assert english.cmu_lookup("xkcd") is None
    # CMUdict spells "pdf" itself, with its own stress (primary on the last letter): same phones as spelling
    assert [p for p, _ in english.word_syllables("pdf")] == [p for p, _ in english.spell("pdf")]
    assert english.word_syllables("qzx") == english.spell("qzx")
    assert english.word_syllables("ge") == english.spell("ge")  # the rules read only a silent e: no vowel
    assert english.word_syllables("123") == []
    assert english.word_syllables("") == []


def test_cmudict_entries_without_primary_stress_get_one():
    assert english.cmu_lookup("greedier") == "g r iy2 d iy0 er0"
    assert flat(english.word_syllables("greedier")) == "g r iy1 | d iy0 | er0"
    assert english.cmu_lookup("chicked") == "ch ih0 k t"
    assert flat(english.word_syllables("chicked")) == "ch ih k t1"


def test_pronounceable_all_caps_words_are_read():
    assert flat(english.word_syllables("WORLD")) == "w er l d1"  # 4-5 capitals that CMUdict reads as a word
    assert flat(english.word_syllables("SALE")) == "s ey l1"
    assert flat(english.word_syllables("OK")) == "ow0 | k ey1"  # built-in lexicon
    assert flat(english.word_syllables("COVID")) == "k aa1 | v ih d0"  # listed as a word
    assert flat(english.word_syllables("NASA")) == "n ae1 | s ah0"
    assert flat(english.word_syllables("MICROSOFT")) == flat(english.word_syllables("microsoft"))


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("iOS", "ay1 | ow1 | eh s1"),  # i + OS spelled, not the Greek island "ios" of CMUdict
        ("macOS", "m ae k1 | ow1 | eh s1"),
        ("ChatGPT", "ch ae t1 | jh iy1 | p iy1 | t iy1"),
        ("HTMLParser", "ey ch1 | t iy1 | eh m1 | eh l1 | p aa r1 | s er0"),
        ("iPhone15", "ay1 | f ow n0"),  # digits are read by the number rules, not here
        ("PowerPoint", "p aw1 | er0 | p oy n t0"),  # whole in CMUdict (secondary stress on "point")
        ("PlayBox", "p l ey1 | b aa k s1"),  # not in CMUdict: Play + Box
    ],
)
def test_mixed_case_tokens_split_on_case_and_digits(token, expected):
    assert flat(english.word_syllables(token)) == expected


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        (
            "blorptastic",
            "b l er p0 | t ae1 | s t ih k0",
        ),  # -ic: stress on the syllable before; -or- unstressed: er
        ("zanthor", "z ae n1 | th er0"),  # like author
        ("frobnicate", "f r aa b1 | n ih0 | k ey t0"),
        ("snarkify", "s n aa r1 | k ih0 | f iy0"),
        ("quibbleton", "k w ih1 | b l ah0 | t ah n0"),
    ],
)
def test_oov_words_go_through_letter_to_sound_rules(word, expected):
    assert english.cmu_lookup(word) is None
    syls = english.word_syllables(word)
    assert flat(syls) == expected
    check_syllables(syls)
    assert [t for _, t in syls].count("tone1") == 1
    assert syls != english.spell(word)


def test_lts_rules_on_known_words():
    # a few regular words the rules must get right on their own (not through the lexicon)
    assert " ".join(english_lts.word_phones("game")) == "g ey1 m"
    assert " ".join(english_lts.word_phones("station")) == "s t ey1 sh ah0 n"
    assert " ".join(english_lts.word_phones("walked")) == "w ao1 k t"
    assert " ".join(english_lts.word_phones("boxes")) == "b aa1 k s ih0 z"
    assert " ".join(english_lts.word_phones("cats")) == "k ae1 t s"


def test_syllabify_maximal_onset():
    assert english.syllabify("ih0 k s t r iy1 m".split()) == [
        (["ih", "k"], "tone0"),
        (["s", "t", "r", "iy", "m"], "tone1"),
    ]
    assert english.syllabify("s ih1 ng ER0".lower().split()) == [
        (["s", "ih", "ng"], "tone1"),
        (["er"], "tone0"),
    ]
    assert english.syllabify(["hh", "m"]) == [(["hh", "m"], "tone0")]


def test_whole_shipped_lexicon_maps_into_the_phone_set():
    entries = english.cmu_entries()
    assert len(entries) > 120_000
    assert entries == sorted(entries)  # cmu_lookup binary-searches
    for line in entries:
        word, *phones = line.split()
        assert re.fullmatch(r"[a-z][a-z']*", word), line
        assert english.cmu_lookup(word) == " ".join(phones)
        assert all(re.sub(r"[012]$", "", p) in ENGLISH_PHONES for p in phones), line
        syls = english.syllabify(phones)
        assert sum(len(p) for p, _ in syls) == len(phones), line
        if any(p[-1].isdigit() for p in phones):
            check_syllables(syls)
    assert english.cmu_lookup("microsof") is None and english.cmu_lookup("zzzzzz") is None


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=14))
def test_random_letter_strings_give_valid_phones(s):
    syls = english.word_syllables(s)
    assert syls
    check_syllables(syls)
    assert "tone1" in [t for _, t in syls] or s == "the"  # the built-in "the" is unstressed (dh ah0)
    if english.pronounceable(s) and english.cmu_lookup(s) is None and s not in english._LEXICON:
        # read by the rules (exactly one primary stress), or spelled when they found no vowel ("qup": qu = k w)
        assert [t for _, t in syls].count("tone1") == 1 or syls == english.spell(s)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="ascii", categories=("Lu", "Ll", "Nd")), min_size=1, max_size=12))
def test_random_mixed_tokens_give_valid_phones(s):
    syls = english.word_syllables(s)
    check_syllables(syls)
    assert bool(syls) == bool(re.search("[A-Za-z]", s))


@pytest.fixture(scope="module")
def vocab() -> set[str]:
    v = json.loads((GOLDEN / "real_shapes.json").read_text("utf-8"))["ling_unit_vocab"]
    return {x.removeprefix("@") for x in v["sy"]}


def test_symbols_for_chinese_with_english_inside(fe, vocab):
    line = fe.symbol_lines("我在Microsoft用computer下载了Tesla的server日志。")[0]
    toks = [token_fields(t) for t in line.split()]
    assert all(f[0] in vocab for f in toks)
    english_toks = [(f[0], f[1]) for f in toks if f[0] in ARPABET]
    # Microsoft (m ay1 | k r ow0 | s ao f t1): the syllable's tone goes on each of its phones, none spelled
    assert english_toks[:9] == [
        ("m", "tone1"),
        ("ay", "tone1"),
        ("k", "tone0"),
        ("r", "tone0"),
        ("ow", "tone0"),
        ("s", "tone1"),
        ("ao", "tone1"),
        ("f", "tone1"),
        ("t", "tone1"),
    ]
    phones = [p for p, _ in english_toks]
    assert phones[9:] == "k ah m p y uw t er t eh s l ah s er v er".split()  # computer, Tesla, server
    assert "eh" not in phones[:9]  # not "eh m" (M) spelled out


def test_lexicon_file_is_small_and_attributed():
    assert LEXICON_FILE.stat().st_size < 1_000_000
    assert (
        (LEXICON_FILE.parent / "LICENSE")
        .read_text("utf-8")
        .startswith("Copyright (C) 1993-2015 Carnegie Mellon")
    )
    notice = (ROOT / "NOTICE").read_text("utf-8")
    assert "CMU Pronouncing Dictionary" in notice and "Carnegie Mellon University" in notice


def test_importing_the_frontend_does_not_read_the_lexicon():
    code = (
        "import sys\n"
        "from sambert_lambda.frontend import english\n"
        "from sambert_lambda.frontend.pipeline import OpenFrontend\n"
        "fe = OpenFrontend()\n"
        "fe.symbol_lines('北京今天天气怎么样')\n"
        "fe.symbol_lines('打开app')\n"  # the built-in lexicon has app: still no read
        "assert not english.cmu_loaded(), 'read too early'\n"
        "assert 'sambert_lambda.frontend.english_lts' not in sys.modules\n"
        "fe.symbol_lines('打开Microsoft')\n"
        "assert english.cmu_loaded()\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "function")}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 0, r.stderr[-2000:]


def test_lts_silent_e_before_suffixes_and_syllabic_le():
    assert " ".join(english_lts.word_phones("widely")) == "w ay1 d l iy0"
    assert " ".join(english_lts.word_phones("hackles")) == "hh ae1 k ah0 l z"
    assert " ".join(english_lts.word_phones("doctor")) == "d aa1 k t er0"
