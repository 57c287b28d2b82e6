"""The baked dictionary cache: same analysis with and without it; a bad or stale cache falls back quietly."""

from __future__ import annotations

import json
import marshal
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sambert_lambda.frontend import dict_cache

# OOV names (jieba's HMM POS tables), polyphones (pypinyin phrases + g2pM), erhua, sandhi, English, numbers.
SENTENCES = [
    "卡尔普陪外孙玩滑梯，银行的行长走在人行道上。", "小朋友们一会儿去公园玩儿，展览馆里有很多老虎。",
    "他把2023年的销售额提高了15%，长大以后还给了他。", "请用iPhone打开这个app，我不知道。",
    "郦道元和欧阳修峪的故事", "这个问题我们明天再讨论吧。",
]
_SCRIPT = """
import json, sys
from sambert_lambda.frontend import dict_cache, pinyin
from sambert_lambda.frontend.pipeline import OpenFrontend
fe = OpenFrontend()
sents = json.loads(sys.argv[1])
out = {"analysis": [fe.analyze(s) for s in sents], "symbols": [fe.symbol_lines(s) for s in sents],
       "freq": [pinyin.word_freq(w) for w in ("银行", "行长", "卡尔普", "的")],
       "tags": sorted(__import__("jieba.posseg").posseg.dt.word_tag_tab.items())[::5000],
       "status": dict_cache.status()}
print(json.dumps(out, ensure_ascii=False))
"""


def _run(cache: str) -> dict:
    env = {**os.environ, dict_cache.CACHE_ENV: cache}
    res = subprocess.run([sys.executable, "-c", _SCRIPT, json.dumps(SENTENCES)], env=env, capture_output=True,
                         text=True, timeout=300, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def baked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cache") / "frontend.cache"
    res = subprocess.run([sys.executable, "-m", "sambert_lambda.cli", "frontend-cache", "--out", str(path)],
                         capture_output=True, text=True, timeout=300, check=True)
    info = json.loads(res.stdout.strip().splitlines()[-1])
    assert info["path"] == str(path) and info["bytes"] == path.stat().st_size > 1_000_000
    return path


def test_baked_cache_gives_identical_analysis(baked: Path) -> None:
    with_cache, without = _run(str(baked)), _run("off")
    assert with_cache["status"]["mode"] == "cache"
    assert without["status"]["mode"] == "off"
    assert with_cache["analysis"] == without["analysis"]
    assert with_cache["symbols"] == without["symbols"]
    assert with_cache["freq"] == without["freq"] and with_cache["freq"][0] > 0
    assert with_cache["tags"] == without["tags"] and len(with_cache["tags"]) > 50
    assert all(a["words"] for a in with_cache["analysis"])


def test_missing_cache_is_built_then_used(tmp_path: Path) -> None:
    path = tmp_path / "lazy.cache"
    first = _run(str(path))
    assert first["status"]["mode"] == "built" and path.is_file()
    second = _run(str(path))
    assert second["status"]["mode"] == "cache"
    assert second["analysis"] == first["analysis"]


def test_cache_holds_what_the_packages_load(baked: Path) -> None:
    data = marshal.loads(baked.read_bytes())
    from jieba.posseg import char_state_tab, prob_emit
    from pypinyin import phrases_dict

    assert data["key"] == dict_cache.cache_key()
    assert data["hmm"]["char_state_tab"] == char_state_tab.P
    assert data["hmm"]["prob_emit"] == prob_emit.P
    assert data["phrases_dict"] == phrases_dict.phrases_dict
    assert data["freq"]["银行"] > 0 and data["total"] > 0
    assert data["tags"]["银行"] == "n"


def test_stale_or_corrupt_cache_is_ignored(tmp_path: Path) -> None:
    stale = tmp_path / "stale.cache"
    stale.write_bytes(marshal.dumps({"key": "f0-other-versions", "freq": {}}))
    assert dict_cache._read(stale) is None
    corrupt = tmp_path / "corrupt.cache"
    corrupt.write_bytes(b"\x00not marshal data")
    assert dict_cache._read(corrupt) is None
    assert dict_cache._read(tmp_path / "absent.cache") is None
    wrong_type = tmp_path / "list.cache"
    wrong_type.write_bytes(marshal.dumps([1, 2, 3]))
    assert dict_cache._read(wrong_type) is None


def test_key_changes_with_the_source_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for package, rel in dict_cache._SOURCES:
        f = tmp_path / package / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text("x")
    monkeypatch.setattr(dict_cache, "_package_dir", lambda name: tmp_path / name)
    key = dict_cache.cache_key()
    assert key == dict_cache.cache_key()
    assert f"py{sys.version_info[0]}.{sys.version_info[1]}" in key
    (tmp_path / "pypinyin" / "phrases_dict.json").write_text("xy")  # an upgraded package
    assert dict_cache.cache_key() != key
