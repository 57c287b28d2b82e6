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
    "卡尔普陪外孙玩滑梯，银行的行长走在人行道上。",
    "小朋友们一会儿去公园玩儿，展览馆里有很多老虎。",
    "他把2023年的销售额提高了15%，长大以后还给了他。",
    "请用iPhone打开这个app，我不知道。",
    "郦道元和欧阳修峪的故事",
    "这个问题我们明天再讨论吧。",
    "臺灣的銀行行長說：「後天見！」",
]
_SCRIPT = """
import json, os, sys
from sambert_lambda.frontend import dict_cache, pinyin
from sambert_lambda.frontend.pipeline import get_frontend
fe = get_frontend(os.environ["TTS_FRONTEND_CACHE"])  # the setting, as the product's entry points pass it
sents = json.loads(sys.argv[1])
out = {"analysis": [fe.analyze(s) for s in sents], "symbols": [fe.symbol_lines(s) for s in sents],
       "freq": [pinyin.word_freq(w) for w in ("银行", "行长", "卡尔普", "的")],
       "tags": sorted(__import__("jieba.posseg").posseg.dt.word_tag_tab.items())[::5000],
       "status": dict_cache.status()}
import jieba, jieba.posseg, pypinyin
out["sizes"] = [len(jieba.dt.FREQ), len(jieba.posseg.dt.word_tag_tab)]
out["cut"] = [jieba.lcut(s) for s in sents]  # plain jieba: finalseg's HMM for unknown words
jieba.add_word("外孙玩滑梯", 1000, "nz")  # a user word after loading: lands in the same tables either way
out["user_word"] = [(p.word, p.flag) for p in jieba.posseg.cut(sents[0])]
out["user_sizes"] = [len(jieba.dt.FREQ), len(jieba.posseg.dt.word_tag_tab), jieba.dt.total]
import zhconv
out["zhconv"] = [zhconv.convert(sents[-1], loc) for loc in ("zh-hans", "zh-tw", "zh-cn", "zh-hk")]
out["zhconv_simp"] = [zhconv.issimp(s) for s in sents]
pypinyin.load_phrases_dict({"银行": [["yín"], ["háng"]], "行长走": [["háng"], ["zhǎng"], ["zǒu"]]})
out["user_phrase"] = pypinyin.lazy_pinyin("行长走在人行道", style=pypinyin.Style.TONE3)
print(json.dumps(out, ensure_ascii=False))
"""


def _last_json(script: str, *args: str, env: dict[str, str]) -> dict:
    """Run ``script`` in a fresh interpreter; its last stdout line is a JSON object."""
    res = subprocess.run(
        [sys.executable, "-c", script, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(res.stdout.strip().splitlines()[-1])


def _run(cache: str) -> dict:
    return _last_json(_SCRIPT, json.dumps(SENTENCES), env={**os.environ, "TTS_FRONTEND_CACHE": cache})


@pytest.fixture(scope="module")
def baked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cache") / "frontend.cache"
    res = subprocess.run(
        [sys.executable, "-m", "sambert_lambda.cli", "frontend-cache", "--out", str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    info = json.loads(res.stdout.strip().splitlines()[-1])
    assert info["path"] == str(path) and info["bytes"] == path.stat().st_size > 1_000_000
    return path


@pytest.fixture(scope="module")
def uncached() -> dict:
    """The reference: the same sentences with the cache off (one subprocess for the module)."""
    return _run("off")


def test_baked_cache_gives_identical_analysis(baked: Path, uncached: dict) -> None:
    with_cache, without = _run(str(baked)), uncached
    assert with_cache["status"]["mode"] == with_cache["status"]["zhconv"] == "cache"
    assert without["status"]["mode"] == "off" and without["status"]["zhconv"] == "own"
    assert (
        with_cache["zhconv"] == without["zhconv"]
        and with_cache["zhconv"][0] == "台湾的银行行长说：“后天见！”"
    )
    assert with_cache["zhconv_simp"] == without["zhconv_simp"]
    assert with_cache["analysis"] == without["analysis"]
    assert with_cache["symbols"] == without["symbols"]
    assert with_cache["freq"] == without["freq"] and with_cache["freq"][0] > 0
    assert with_cache["tags"] == without["tags"] and len(with_cache["tags"]) > 50
    assert all(a["words"] for a in with_cache["analysis"])
    assert with_cache["cut"] == without["cut"] and "卡尔普" in with_cache["cut"][0]
    assert with_cache["sizes"] == without["sizes"] and with_cache["sizes"][0] > 300_000
    assert with_cache["user_word"] == without["user_word"] and ["外孙玩滑梯", "nz"] in with_cache["user_word"]
    assert (
        with_cache["user_sizes"] == without["user_sizes"]
        and with_cache["user_sizes"][0] > with_cache["sizes"][0]
    )
    assert with_cache["user_phrase"] == without["user_phrase"] and with_cache["user_phrase"][:3] == [
        "hang2",
        "zhang3",
        "zou3",
    ]


def test_missing_cache_is_built_then_used(tmp_path: Path) -> None:
    path = tmp_path / "lazy.cache"
    first = _run(str(path))
    assert first["status"]["mode"] == "built" and path.is_file()
    second = _run(str(path))
    assert second["status"]["mode"] == "cache"
    assert second["analysis"] == first["analysis"]


_PACKAGES_SCRIPT = """
import json, sys
from pathlib import Path
import jieba, jieba.posseg
from jieba.posseg import char_state_tab, prob_emit
from pypinyin import phrases_dict, pinyin_dict
from pypinyin.seg import mmseg
import zhconv.zhconv as zc
from sambert_lambda.frontend import dict_cache
jieba.setLogLevel(60)
jieba.dt.check_initialized()
t = dict_cache.load_tables(Path(sys.argv[1]))
print(json.dumps({
    "key": t["key"] == dict_cache.cache_key(), "total": t["total"] == jieba.dt.total,
    "freq": t["freq"] == jieba.dt.FREQ, "tags": t["tags"] == jieba.posseg.dt.word_tag_tab,
    "char_state_tab": t["hmm"]["jieba.posseg"]["char_state_tab"] == char_state_tab.P,
    "prob_emit": t["hmm"]["jieba.posseg"]["prob_emit"] == prob_emit.P,
    "pinyin_dict": t["pinyin_dict"] == pinyin_dict.pinyin_dict, "phrases": t["phrases_dict"] == phrases_dict.phrases_dict,
    "prefixes": t["phrase_prefixes"] == mmseg.p_set._set, "sizes": [len(t["freq"]), len(t["phrases_dict"])],
    "yinhang": [t["freq"]["银行"], t["tags"]["银行"]],
    "zhconv": (zc.loaddict(), t["zhconv"] == zc.zhcdicts)[1],
    "zhconv_prefixes": t["zhconv_prefixes"] == zc.getpfset(zc.zhcdicts["zh2Hans"]),
    "finalseg": t["hmm"]["jieba.finalseg"]["prob_emit"] == jieba.finalseg.emit_P,
}))
"""


def test_cache_holds_what_the_packages_load(baked: Path) -> None:
    env = {**os.environ, "TTS_FRONTEND_CACHE": "off"}  # the packages' own loading, in a fresh process
    out = _last_json(_PACKAGES_SCRIPT, str(baked), env=env)
    assert out.pop("yinhang")[1] == "n"
    sizes = out.pop("sizes")
    assert sizes[0] > 300_000 and sizes[1] > 10_000
    assert out == {k: True for k in out}, out


def test_stale_or_corrupt_cache_is_ignored(tmp_path: Path, baked: Path) -> None:
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
    empty = tmp_path / "empty.cache"
    empty.write_bytes(b"")
    assert dict_cache._read(empty) is None
    good = baked.read_bytes()
    assert dict_cache._read(baked) is not None
    truncated = tmp_path / "truncated.cache"
    truncated.write_bytes(good[: len(good) // 2])  # header intact, pieces cut off
    assert dict_cache._read(truncated) is None
    bad_header = tmp_path / "bad-header.cache"
    bad_header.write_bytes(good[:40] + b"\xff" * 64 + good[104:])
    assert dict_cache._read(bad_header) is None
    head = len(dict_cache.MAGIC) + 8
    size = int.from_bytes(good[len(dict_cache.MAGIC) : head], "little")
    header = marshal.loads(good[head : head + size])
    header["key"] = header["key"].replace(
        f"f{dict_cache.FORMAT}|", "f2|"
    )  # an older format or other package versions
    blob = marshal.dumps(header)
    other_key = tmp_path / "other-key.cache"
    other_key.write_bytes(dict_cache.MAGIC + len(blob).to_bytes(8, "little") + blob + good[head + size :])
    assert dict_cache._read(other_key) is None


def test_corrupt_cache_falls_back_and_is_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "frontend.cache"
    path.write_bytes(dict_cache.MAGIC + b"\x10" + b"garbage" * 100)
    first = _run(str(path))
    assert first["status"]["mode"] == "built"
    assert dict_cache._read(path) is not None
    second = _run(str(path))
    assert second["status"]["mode"] == "cache"
    assert second["analysis"] == first["analysis"] and second["symbols"] == first["symbols"]


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


_FAKE_PKG_RESOURCES = """
import os
from pathlib import Path
Path(os.environ["PKG_RESOURCES_MARKER"]).write_text("imported")
def resource_stream(package, name):
    import importlib
    return open(Path(importlib.import_module(package).__file__).parent / name, "rb")
"""


@pytest.mark.parametrize("mode", ["cache", "off"])
def test_pkg_resources_is_not_imported(tmp_path: Path, baked: Path, mode: str) -> None:
    """jieba and zhconv import pkg_resources when it is installed (0.2 s CPU at cold start), only to open their own
    files; the frontend imports them without it and gets the same results."""
    (tmp_path / "pkg_resources.py").write_text(_FAKE_PKG_RESOURCES)
    marker = tmp_path / "marker"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]),
        "PKG_RESOURCES_MARKER": str(marker),
        "TTS_FRONTEND_CACHE": str(baked) if mode == "cache" else "off",
    }
    probe = "import pkg_resources; print('fake pkg_resources importable')"
    subprocess.run([sys.executable, "-c", probe], env=env, check=True, capture_output=True, timeout=60)
    assert marker.read_text() == "imported"  # the fake is found and would leave its mark
    marker.unlink()
    out = _last_json(_SCRIPT, json.dumps(SENTENCES[:2]), env=env)
    assert out["status"]["mode"] == mode
    assert all(a["words"] for a in out["analysis"])
    assert not marker.exists()


def test_one_pass_parse_matches_jiebas_own(tmp_path: Path) -> None:
    import io

    import jieba
    import jieba.posseg

    text = "银行 100 n\n银 5 n\n行长 30 n\n人行道 8 n\n人 50 n\n行长 40 nr\n卡尔普陪 2 nr\n"  # 行长 twice: the last wins
    ours = dict_cache._parse_dict(io.BytesIO(text.encode()))
    assert ours is not None
    freq, total = jieba.Tokenizer().gen_pfdict(io.BytesIO(text.encode()))
    pos = jieba.posseg.POSTokenizer.__new__(jieba.posseg.POSTokenizer)
    pos.load_word_tag(io.BytesIO(text.encode()))
    assert ours == (freq, total, pos.word_tag_tab)
    assert ours[0]["人行"] == 0 and ours[0]["行长"] == 40 and ours[2]["行长"] == "nr"
    assert (
        dict_cache._parse_dict(io.BytesIO("银行 100\n".encode())) is None
    )  # no tag: leave it to the packages
    assert dict_cache._parse_dict(io.BytesIO("银行 x n\n".encode())) is None


def test_damaged_piece_is_taken_from_the_packages(tmp_path: Path, baked: Path, uncached: dict) -> None:
    """A piece damaged after the load-time checks (header intact) is caught by its checksum when first needed; the
    undecoded entries then come from the packages' own files, and the results stay identical."""
    data = bytearray(baked.read_bytes())
    head = len(dict_cache.MAGIC) + 8
    size = int.from_bytes(data[len(dict_cache.MAGIC) : head], "little")
    header = marshal.loads(bytes(data[head : head + size]))
    start = head + size
    spans = [header[group][piece] for group, piece in (("jieba", "银"), ("pypinyin", "银"), ("zhconv", "銀"))]
    spans += [header["pinyin_dict"][ord("走") >> 6], header["hmm"]]  # 走: a one-character word
    for span in spans:
        data[start + span[0] + span[1] // 2] ^= 0xFF
    damaged = tmp_path / "damaged.cache"
    damaged.write_bytes(bytes(data))
    assert dict_cache._read(damaged) is not None  # the damage shows only when a piece is decoded
    with_damage, without = _run(str(damaged)), uncached
    assert with_damage["status"]["mode"] == "cache" and with_damage["status"]["rescued"] == len(spans)
    for field in (
        "analysis",
        "symbols",
        "cut",
        "freq",
        "tags",
        "sizes",
        "zhconv",
        "user_word",
        "user_phrase",
    ):
        assert with_damage[field] == without[field], field
