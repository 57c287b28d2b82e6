"""Latin letters inside Chinese text: kept as ASCII words for the G2P stage, with a few spoken conventions.

B2B / O2O / P2P -> "B to B" (the 2 is read "to"), COVID-19 -> "COVID 19" (the hyphen is not spoken; the digits are
read by the number rules), and a.m./p.m. are left to the time rule.
"""

from __future__ import annotations

import re

_X2Y = re.compile(r"(?<![A-Za-z0-9])([A-Z])2([A-Z])(?![A-Za-z0-9])")
_LETTER_HYPHEN_DIGIT = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]+)-(?=\d)")
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])([A-Za-z0-9._%+-]+)@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
_DOMAIN = re.compile(
    r"(?<![A-Za-z0-9.@/-])((?:https?://)?(?:[A-Za-z0-9-]+\.)+(?:com|cn|net|org|edu|gov|io|ai|hk|tw|info)"
    r"(?![A-Za-z0-9])(?:/[A-Za-z0-9._~%/?=&#-]*)?)"
)


def _spell_address(s: str) -> str:
    s = re.sub(r"^https?://", "", s)
    out = s.replace(".", " 点 ").replace("/", " 斜杠 ").replace("@", " 艾特 ").replace("_", " 下划线 ")
    return re.sub(r"\s+", " ", out.replace("-", " 杠 ")).strip()


def normalize_english(text: str) -> str:
    text = _EMAIL.sub(lambda m: _spell_address(m.group(1)) + " 艾特 " + _spell_address(m.group(2)), text)
    text = _DOMAIN.sub(lambda m: _spell_address(m.group(1)), text)
    text = _X2Y.sub(r"\1 to \2", text)
    return _LETTER_HYPHEN_DIGIT.sub(r"\1 ", text)
