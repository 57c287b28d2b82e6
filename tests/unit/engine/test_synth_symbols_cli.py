"""synth-symbols CLI against the golden fixture (runs the real command in a subprocess)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from sambert_lambda.engine.cli import read_symbol_lines
from sambert_lambda.errors import InvalidInput
from tests.support.paths import GOLDEN_DIR

FIXTURE = GOLDEN_DIR


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sambert_lambda", "synth-symbols", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_synth_symbols_matches_golden(tmp_path):
    with np.load(FIXTURE / "golden.npz", allow_pickle=False) as z:
        g = {k: z[k] for k in z.files}
    voice = "zhibei_emo"
    lines = [str(g[f"{voice}__{i}__symbols"]) for i in range(4)]
    # ttsfrd-style "<idx>\t" prefixes and blank lines must not shift the numbering
    text = f"0\t{lines[0]}\n\n1\t{lines[1]}\n   \n{lines[2]}\n3\t{lines[3]}\n"
    sym = tmp_path / "sym.txt"
    sym.write_text(text, encoding="utf-8")
    out = tmp_path / "out.npz"
    r = _cli(
        "--model-dir",
        str(FIXTURE / "MODEL"),
        "--voice",
        voice,
        "--symbols-file",
        str(sym),
        "--out",
        str(out),
        "--threads",
        "1",
    )
    assert r.returncode == 0, r.stderr
    with np.load(out, allow_pickle=False) as z:
        assert sorted(z.files) == sorted(f"{i}__{n}" for i in range(4) for n in ("dur", "mel", "wav", "pcm"))
        for i in range(4):
            assert z[f"{i}__dur"].dtype == np.int64 and z[f"{i}__pcm"].dtype == np.int16
            assert z[f"{i}__mel"].dtype == np.float32 and z[f"{i}__wav"].dtype == np.float32
            np.testing.assert_array_equal(z[f"{i}__dur"], g[f"{voice}__{i}__dur_rounded"])
            np.testing.assert_allclose(z[f"{i}__mel"], g[f"{voice}__{i}__mel"], rtol=1e-4, atol=1e-4)
            np.testing.assert_allclose(z[f"{i}__wav"], g[f"{voice}__{i}__wav"], rtol=0, atol=5e-5)
            assert np.abs(z[f"{i}__pcm"].astype(int) - g[f"{voice}__{i}__pcm"]).max() <= 2


def test_bad_symbol_reports_line(tmp_path):
    sym = tmp_path / "sym.txt"
    sym.write_text(
        "{b_c$tone3$s_begin$word_begin$emotion_neutral$F7}\n{zz_c$tone3$s_begin$word_begin$emotion_neutral$F7}\n"
    )
    r = _cli(
        "--model-dir", str(FIXTURE / "MODEL"), "--symbols-file", str(sym), "--out", str(tmp_path / "o.npz")
    )
    assert r.returncode == 1
    assert "line 1" in r.stderr and "zz_c" in r.stderr and "unknown_symbol" in r.stderr
    assert not (tmp_path / "o.npz").exists()


def test_read_symbol_lines(tmp_path):
    p = tmp_path / "s.txt"
    p.write_text("12\t{a}\n\n{b}\n")
    assert read_symbol_lines(p) == ["{a}", "{b}"]
    p.write_text("\n \n")
    with pytest.raises(InvalidInput, match="no non-empty line"):
        read_symbol_lines(p)
    with pytest.raises(InvalidInput, match="cannot read"):
        read_symbol_lines(tmp_path / "missing.txt")
