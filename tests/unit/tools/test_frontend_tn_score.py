"""score_tn: per-file and overall pass rates, and exactly what the comparator forgives."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.frontend_bench.tn import canonical, score_tn


def _suite(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "tn-wetext"
    folder.mkdir()
    for name, body in files.items():
        (folder / name).write_text(body, encoding="utf-8")
    return tmp_path


def test_rates_per_file_and_overall(tmp_path: Path) -> None:
    data = _suite(
        tmp_path,
        {
            "a.txt": "3个 => 三个\n2年后 => 两年后\n5% => 五个百分点\n",  # the last line is a deliberate miss
            "b.txt": "好! => 好！\nnot a case\n空 =>\n",
        },
    )
    report = score_tn(data)
    a, b = report["files"]["a"], report["files"]["b"]
    assert (a["cases"], a["passed"], a["rate"]) == (3, 2, 0.6667)
    assert a["failures"] == [{"written": "5%", "expected": "五个百分点", "got": "百分之五"}]
    assert (b["cases"], b["passed"]) == (2, 1)  # "空" is not deleted, so the empty expectation fails
    assert report["overall"] == {"cases": 5, "passed": 3, "rate": 0.6}


def test_comparator_ignores_only_spaces_and_punctuation_width() -> None:
    assert canonical("他说：“好！” OK") == canonical('他说:"好!"OK')
    assert canonical("两") != canonical("二")
    assert canonical("幺") != canonical("一")
    assert canonical("ok") != canonical("OK")


def test_missing_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        score_tn(tmp_path)
