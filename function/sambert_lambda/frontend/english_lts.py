"""Letter-to-sound rules for English words that no lexicon knows: letters -> ARPAbet phones with one primary stress.

Written for this project in the spirit of the public-domain NRL letter-to-sound report (Elovitz et al., 1976): an
ordered list of context rules ``left [match] right -> phones``; at each position the first rule whose match and
contexts fit wins. The rule table below is our own and much smaller than NRL's; it aims at plausible readings of
brand names and new words, not at CMUdict accuracy. Stress is not in the rules: :func:`word_phones` places one
primary stress by suffix, prefix and syllable-weight heuristics and reduces unstressed short vowels to ``ah``.

Context symbols (NRL's): ``#`` one or more vowel letters, ``:`` zero or more consonants, ``^`` one consonant,
``.`` one voiced consonant, ``+`` a front vowel (e i y), ``%`` a suffix (e er es ed ing ely), ``$`` a silent
final e with what may follow it (e es ed ely ement eness eful), ``&`` a sibilant
letter or digraph, ``@`` a consonant after which u reads /uw/ rather than /y uw/, `` `` the word edge, and literal
letters. Left contexts are matched right to left.
"""

from __future__ import annotations

import re
from functools import lru_cache

VOWEL_PHONES = frozenset("aa ae ah ao aw ay eh er ey ih iy ow oy uh uw".split())
_VOWEL_LETTERS = "aeiou"
_CONSONANTS = "bcdfghjklmnpqrstvwxyz"
_VOICED = "bdgjlmnrvwz"
_SUFFIXES = ("ely", "ing", "er", "es", "ed", "e")
_SILENT_E_TAILS = ("e ", "es ", "ed ", "ely ", "ement", "eness", "eful")
_SIBILANTS = ("ch", "sh", "s", "c", "g", "z", "x", "j")
_AT = ("th", "ch", "sh", "t", "s", "r", "d", "l", "z", "n", "j")

# (left, match, right, phones). Grouped by the match's first letter; order matters inside a group.
# fmt: off
_RULES_SRC: list[tuple[str, str, str, str]] = [
    # a
    ("", "augh", "", "ao"), ("", "aught", "", "ao t"), ("", "ai", "", "ey"), ("", "ay", "", "ey"),
    ("", "au", "", "ao"), ("", "aw", "", "ao"), ("", "are", " ", "eh r"), ("", "arr", "", "ae r"),
    ("", "ar", "#", "eh r"), ("w", "ar", "", "ao r"), ("", "ar", "", "aa r"), ("", "all", "", "ao l"),
    ("", "alk", "", "ao k"), ("", "able", " ", "ah b ah l"), ("#:", "age", " ", "ih jh"), ("", "a", "tion", "ey"),
    ("", "a", "^e ", "ey"), ("", "a", "^$", "ey"), ("", "a", "^es ", "ey"), ("", "a", "^ed ", "ey"), ("", "a", "^er ", "ey"),
    ("", "a", "^ing", "ey"), ("", "a", "^le ", "ey"), ("", "a", "nge", "ey"), ("", "a", "ste ", "ey"),
    ("w", "a", "^", "aa"), ("", "a", "lm", "aa"), ("", "a", " ", "ah"), (" ", "a", "^#", "ah"), ("", "a", "", "ae"),
    # e
    ("", "eau", "", "ow"), ("", "eigh", "", "ey"), ("", "ee", "", "iy"), ("", "ear", " ", "ih r"),
    ("", "ea", "", "iy"), ("", "ei", "", "iy"), ("", "ey", " ", "iy"), ("", "ey", "", "ey"), ("", "ew", "", "uw"),
    ("", "eu", "", "uw"), ("", "err", "", "eh r"), ("", "er", "#", "eh r"), ("", "er", "", "er"),
    (" :", "e", " ", "iy"), ("#:t", "ed", " ", "ih d"), ("#:d", "ed", " ", "ih d"), ("#:", "ed", " ", "d"),
    ("&", "es", " ", "ih z"), ("#:", "es", " ", "z"), ("#:", "e", " ", ""), ("#:^", "e", "ly ", ""), ("#:^", "e", "ment", ""), ("#:^", "e", "ness", ""), ("#:^", "e", "ful", ""), ("#:", "e", "s ", ""),
    ("", "e", "^e ", "iy"), ("", "e", "^ing", "iy"), ("", "e", " ", ""), (" ", "e", "^#", "ih"),
    ("", "e", "", "eh"),
    # i
    ("", "igh", "", "ay"), ("#:", "ier", " ", "iy er"), ("#:", "iers", " ", "iy er z"), (" :", "ie", " ", "ay"), ("", "ie", "", "iy"), ("", "ir", "#", "ay r"),
    ("", "ir", "", "er"), ("", "ight", "", "ay t"), ("", "i", "^e ", "ay"), ("", "i", "^$", "ay"), ("", "i", "^es ", "ay"),
    ("", "i", "^ed ", "ay"), ("", "i", "^er ", "ay"), ("", "i", "^ing", "ay"), ("", "i", "nd ", "ay"),
    ("", "i", "ld", "ay"), ("", "i", "gn", "ay"), ("", "i", "a", "iy"), ("", "i", "o", "iy"), ("", "i", "u", "iy"),
    ("", "i", " ", "iy"), ("", "i", "", "ih"),
    # o
    ("", "oo", "k", "uh"), ("", "ood", "", "uh d"), ("", "oo", "", "uw"), ("", "oa", "", "ow"),
    ("", "oe", "", "ow"), ("", "oi", "", "oy"), ("", "oy", "", "oy"), ("", "ough", "t", "ao"), ("", "ough", "", "ow"),
    ("", "ould", "", "uh d"), ("", "our", "", "aw er"), ("", "ous", "", "ah s"), ("", "ou", "", "aw"),
    ("", "ow", " ", "ow"), ("", "ow", "", "aw"), ("", "orr", "", "ao r"), ("", "or", "", "ao r"),
    ("", "o", "^e ", "ow"), ("", "o", "^$", "ow"), ("", "o", "^es ", "ow"), ("", "o", "^ed ", "ow"), ("", "o", "^ing", "ow"),
    ("", "o", "ld", "ow"), ("", "o", "st ", "ow"), ("", "o", " ", "ow"), ("", "o", "a", "ow"), ("", "o", "", "aa"),
    # u
    ("", "ue", " ", "uw"), ("", "ui", "", "uw"), ("", "urr", "", "er"), ("", "ur", "#", "y uh r"),
    ("", "ur", "", "er"), ("", "ull", "", "uh l"), ("@", "u", "^e ", "uw"), ("", "u", "^e ", "y uw"), ("@", "u", "^$", "uw"), ("", "u", "^$", "y uw"),
    ("@", "u", "^#", "uw"), ("", "u", "^#", "y uw"), ("", "u", " ", "uw"), ("", "u", "", "ah"),
    # y
    (" ", "y", "#", "y"), ("#", "y", "#", "y"), (" :", "y", " ", "ay"), ("", "y", " ", "iy"),
    ("", "y", "^e ", "ay"), ("", "y", "^$", "ay"), ("", "y", "", "ih"),
    # consonants
    ("", "bb", "", "b"), ("m", "b", " ", ""), ("", "b", "", "b"),
    ("", "ch", "r", "k"), (" ", "chr", "", "k r"), ("", "ch", "", "ch"), ("", "ck", "", "k"), ("", "cc", "+", "k s"),
    ("", "cc", "", "k"), ("", "cia", "", "sh ah"), ("", "cio", "", "sh"), ("", "c", "+", "s"), ("", "c", "", "k"),
    ("", "dd", "", "d"), ("", "dt", "", "t"), ("", "dge", "", "jh"), ("", "d", "", "d"),
    ("", "ff", "", "f"), ("", "f", "", "f"),
    ("", "gg", "", "g"), ("", "gh", "", "g"), (" ", "gn", "", "n"), ("", "gn", " ", "n"), ("", "ge", " ", "jh"),
    ("", "g", "y", "jh"), (" ", "ge", "t", "g eh"), ("", "g", "e", "jh"), ("#", "g", "i", "jh"), ("", "g", "", "g"),
    ("", "h", "#", "hh"), ("", "h", "", ""),
    ("", "j", "", "jh"),
    (" ", "kn", "", "n"), ("", "k", "", "k"),
    ("", "ll", "", "l"), ("^", "le", " ", "ah l"), ("^", "les", " ", "ah l z"), ("^", "led", " ", "ah l d"), ("", "l", "", "l"),
    (" ", "mc", "", "m ah k"), ("", "mm", "", "m"), ("", "m", "", "m"),
    ("", "nn", "", "n"), ("", "ng", "", "ng"), ("", "n", "k", "ng"), ("", "n", "", "n"),
    ("", "ph", "", "f"), ("", "pp", "", "p"), ("", "p", "", "p"),
    ("", "qu", "", "k w"), ("", "q", "", "k"),
    ("", "rr", "", "r"), ("", "rh", "", "r"), ("", "r", "", "r"),
    ("", "sh", "", "sh"), ("", "sch", "", "s k"), ("", "ssion", "", "sh ah n"), ("", "ss", "", "s"),
    ("#", "sion", "", "zh ah n"), ("", "sion", "", "sh ah n"), ("#", "sure", "", "zh er"), ("", "sure", "", "sh er"),
    ("e", "s", " ", "z"), ("#:a", "s", " ", "z"), ("", "sm", " ", "z ah m"), ("#", "s", " ", "s"), ("", "s", " ", "z"), ("#", "s", "#", "z"), ("", "s", "", "s"),
    ("", "tch", "", "ch"), ("", "tial", "", "sh ah l"), ("", "tient", "", "sh ah n t"), ("", "tion", "", "sh ah n"), ("", "ture", "", "ch er"), ("", "th", "", "th"),
    ("", "tt", "", "t"), ("", "t", "", "t"),
    ("", "v", "", "v"),
    ("", "wh", "", "w"), (" ", "wr", "", "r"), ("", "w", "", "w"),
    (" ", "x", "", "z"), ("", "x", "", "k s"),
    ("", "zz", "", "z"), ("", "z", "", "z"),
]
# fmt: on

_RULES: dict[str, list[tuple[str, str, str, tuple[str, ...]]]] = {}
for _l, _m, _r, _p in _RULES_SRC:
    _RULES.setdefault(_m[0], []).append((_l, _m, _r, tuple(_p.split())))


def _is_vowel(ch: str) -> bool:
    return ch in _VOWEL_LETTERS


def _one_letter(sym: str, ch: str) -> bool:
    """Does the one-letter context symbol ``sym`` (a class such as ``^`` or a literal letter) match ``ch``?"""
    return (
        (sym == "^" and ch in _CONSONANTS and ch != "x")  # x is two consonants (ks)
        or (sym == "." and ch in _VOICED)
        or (sym == "+" and ch in "eiy")
        or (sym == "&" and ch in "szxcgj")
        or (sym == "@" and ch in "tsrdlznj")
        or sym == ch
    )


def _match_right(pat: str, text: str, i: int) -> bool:
    """Does the right context ``pat`` match ``text`` from index ``i`` on?"""
    for k, sym in enumerate(pat):
        if sym == "#":
            if i >= len(text) or not _is_vowel(text[i]):
                return False
            while i < len(text) and _is_vowel(text[i]):
                i += 1
        elif sym == ":":
            while i < len(text) and text[i] in _CONSONANTS:
                i += 1
        elif sym == "%":
            return any(_match_right(suf + pat[k + 1 :], text, i) for suf in _SUFFIXES)
        elif sym == "$":
            return any(_match_right(tail + pat[k + 1 :], text, i) for tail in _SILENT_E_TAILS)
        else:
            if i >= len(text) or not _one_letter(sym, text[i]):
                return False
            i += 1
    return True


def _match_left(pat: str, text: str, i: int) -> bool:
    """Does the left context ``pat`` match ``text`` ending just before index ``i``? (matched right to left)"""
    j = i - 1
    for sym in reversed(pat):
        if sym == "#":
            if j < 0 or not _is_vowel(text[j]):
                return False
            while j >= 0 and _is_vowel(text[j]):
                j -= 1
        elif sym == ":":
            while j >= 0 and text[j] in _CONSONANTS:
                j -= 1
        elif sym == "&":
            if text[j - 1 : j + 1] in ("ch", "sh"):
                j -= 2
            elif j >= 0 and text[j] in "szxcgj":
                j -= 1
            else:
                return False
        elif sym == "@":
            if text[j - 1 : j + 1] in ("th", "ch", "sh"):
                j -= 2
            elif j >= 0 and text[j] in "tsrdlznj":
                j -= 1
            else:
                return False
        else:
            if j < 0 or not _one_letter(sym, text[j]):
                return False
            j -= 1
    return True


def letters_to_phones(word: str) -> list[tuple[int, str]]:
    """Lower-case letters -> [(letter index, phone)]: unstressed ARPAbet, each phone tagged with where it came from."""
    text = f" {re.sub(r'[^a-z]', '', word.lower())} "
    out: list[tuple[int, str]] = []
    i = 1
    while i < len(text) - 1:
        for left, match, right, phones in _RULES.get(text[i], ()):
            if (
                text.startswith(match, i)
                and _match_right(right, text, i + len(match))
                and _match_left(left, text, i)
            ):
                out.extend((i - 1, p) for p in phones)
                i += len(match)
                break
        else:  # no rule (cannot happen for a-z): skip the letter
            i += 1
    return _assimilate(out)


_VOICELESS = frozenset("p t k f th s sh ch".split())


def _assimilate(ph: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Word-final -s/-ed after a voiceless consonant: z -> s, d -> t (cats, walked)."""
    if len(ph) >= 2 and ph[-2][1] in _VOICELESS:
        last = {"z": "s", "d": "t"}.get(ph[-1][1])
        if last is not None:
            ph = [*ph[:-1], (ph[-1][0], last)]
    return ph


# Suffixes that fix the stress on the nucleus right before them (-tion, -ic, ...) and endings that take the stress
# themselves (-eer, -ese, ...). Neutral endings are ignored when counting syllables for the weight rule.
_PRE_STRESS_SUFFIXES = (
    "ssion",
    "tion",
    "sion",
    "cian",
    "tian",
    "ical",
    "ic",
    "ics",
    "ity",
    "ial",
    "ian",
    "ious",
    "eous",
    "ual",
    "ient",
    "iency",
    "ience",
    "ify",
    "ogy",
    "ography",
    "ometer",
)
_FINAL_STRESS_SUFFIXES = ("eer", "ese", "ique", "ette", "esque", "oon", "ade")
# longest first: the first one that fits is taken
_NEUTRAL_SUFFIXES = (
    "ments",
    "ships",
    "able",
    "hood",
    "ings",
    "isms",
    "ists",
    "less",
    "ment",
    "ness",
    "ship",
    "ers",
    "ful",
    "ing",
    "ism",
    "ist",
    "ed",
    "er",
    "es",
    "ly",
    "s",
)
_UNSTRESSED_PREFIXES = (
    "be",
    "de",
    "re",
    "ex",
    "con",
    "com",
    "pre",
    "un",
    "dis",
    "mis",
    "en",
    "em",
    "ob",
    "sub",
    "a",
)
_LONG = frozenset("ey iy ay ow uw aw oy ao".split())
_REDUCIBLE = frozenset("ae eh aa".split())


def _nucleus_at(nuclei: list[tuple[int, str]], letter: int) -> int:
    """Index of the first nucleus produced at or after letter index ``letter`` (len(nuclei) if none)."""
    for k, (li, _) in enumerate(nuclei):
        if li >= letter:
            return k
    return len(nuclei)


def _stress_index(word: str, nuclei: list[tuple[int, str]], phones: list[tuple[int, str]]) -> int:
    n = len(nuclei)
    if n <= 1:
        return 0
    for suf in _FINAL_STRESS_SUFFIXES:
        if word.endswith(suf) and len(word) > len(suf) + 1:
            return n - 1
    for suf in _PRE_STRESS_SUFFIXES:
        if word.endswith(suf) and len(word) > len(suf) + 1:
            k = _nucleus_at(nuclei, len(word) - len(suf))
            if k >= 1:
                return k - 1
    stem_end = len(word)
    for suf in _NEUTRAL_SUFFIXES:
        if word.endswith(suf) and len(word) - len(suf) >= 3:
            stem_end = len(word) - len(suf)
            break
    m = max(1, _nucleus_at(nuclei, stem_end))  # nuclei of the stem
    if m == 1:
        return 0
    if m == 2:
        pre = next(
            (
                p
                for p in _UNSTRESSED_PREFIXES
                if word.startswith(p) and len(word) > len(p) + 2 and word[len(p)] in _CONSONANTS
            ),
            None,
        )
        if pre is not None and _nucleus_at(nuclei, len(pre)) == 1:
            return 1
        return 0
    # three or more: the penultimate if heavy (long vowel or two consonants follow it), else the antepenultimate
    pen_letter, pen_vowel = nuclei[m - 2]
    after = [p for li, p in phones if li > pen_letter and li < nuclei[m - 1][0] and p not in VOWEL_PHONES]
    if pen_vowel in _LONG or len(after) >= 2:
        return m - 2
    if stem_end == len(word) and re.search(r"[^i][aoi]$", word):
        return m - 2  # Romance-looking names and loanwords: lorenzana, zedillo, pepperoni
    return m - 3


def word_phones(word: str) -> list[str]:
    """Lower-case word -> ARPAbet with CMUdict stress digits (exactly one ``1``; ``0`` on the other vowels)."""
    word = re.sub(r"[^a-z]", "", word.lower())
    phones = letters_to_phones(word)
    nuclei = [(li, p) for li, p in phones if p in VOWEL_PHONES]
    if not nuclei:
        return [p for _, p in phones]
    stressed = _stress_index(word, nuclei, phones)
    out: list[str] = []
    k = 0
    for i, (_, p) in enumerate(phones):
        if p in VOWEL_PHONES:
            if k == stressed:
                out.append(p + "1")
            elif p in _R_COLOURABLE and _r_closes(phones, i):
                out.append("er0")  # unstressed -or/-ar/-er before a consonant or the end: doctor, dollar
            else:
                out.append(("ah" if p in _REDUCIBLE and len(nuclei) > 1 else p) + "0")
            k += 1
        elif p == "r" and out and out[-1] == "er0" and i > 0 and phones[i - 1][1] in _R_COLOURABLE:
            continue  # the r went into er0
        else:
            out.append(p)
    return out


_R_COLOURABLE = frozenset("ao aa ah eh".split())


def _r_closes(phones: list[tuple[int, str]], i: int) -> bool:
    """Is phone i followed by an r that ends the word or precedes a consonant (not by r + vowel: parent)?"""
    if i + 1 >= len(phones) or phones[i + 1][1] != "r":
        return False
    return i + 2 >= len(phones) or phones[i + 2][1] not in VOWEL_PHONES


@lru_cache(maxsize=4096)
def cached_word_phones(word: str) -> tuple[str, ...]:
    return tuple(word_phones(word))
