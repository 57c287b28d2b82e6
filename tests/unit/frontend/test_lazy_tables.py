"""dict_cache's tables decoded piece by piece answer exactly like the plain dict/set they stand for."""

from __future__ import annotations

import pickle
import random
import threading

import pytest

from sambert_lambda.frontend.dict_cache import LazyDict, LazySet, Pieces, _split

WORDS = [
    "银行",
    "银",
    "行长",
    "行",
    "长",
    "长城",
    "不",
    "不知道",
    "不知",
    "x",
    "xy",
    "山",
    "山东省",
    "abc",
    "𠀀字",
]


def _tables() -> tuple[dict, dict, set, LazyDict, LazyDict, LazySet, Pieces]:
    freq = {w: i * 7 for i, w in enumerate(WORDS)}
    tags = {w: "n" if i % 2 else "v" for i, w in enumerate(WORDS) if i % 3}
    prefixes = {w[: i + 1] for w in WORDS for i in range(len(w))}
    data = bytearray()
    index = _split([freq, tags, prefixes], data)
    pieces = Pieces(memoryview(bytes(data)), index, 3)
    return freq, tags, prefixes, LazyDict(pieces, 0), LazyDict(pieces, 1), LazySet(pieces, 2), pieces


def test_lookups_match_and_decode_only_the_needed_piece() -> None:
    freq, tags, prefixes, lf, lt, ls, pieces = _tables()
    assert len(lf) == len(freq) and len(lt) == len(tags) and len(ls) == len(prefixes)
    assert dict.__len__(lf) == 0  # nothing decoded yet
    assert lf["银行"] == freq["银行"] and "银" in lf and "银河" not in lf
    assert dict.__len__(lf) == 2  # only the 银 piece, in both dict tables
    assert lt.get("银行") == tags.get("银行") and lt.get("银", "x") == tags.get("银", "x")
    assert "银" not in pieces._pending and "行" in pieces._pending
    for probe in [*WORDS, "", "银河", "不知道吗", "zz", "山东"]:
        assert (probe in lf) == (probe in freq)
        assert lf.get(probe) == freq.get(probe) and lt.get(probe, "x") == tags.get(probe, "x")
        assert (probe in ls) == (probe in prefixes)
    assert lf.get(3) is None and 3 not in ls  # keys that are not str are simply absent
    with pytest.raises(KeyError):
        lf["银河"]
    assert len(lf) == len(freq) and len(ls) == len(prefixes)


def test_changes_before_decoding_are_not_overwritten() -> None:
    freq, tags, _, lf, lt, _, _ = _tables()
    lf["行长"] = 999  # its piece is decoded first, then the value set
    lf["行政"] = 5
    del lf["长城"]
    assert lf.pop("不知") == freq["不知"] and lf.setdefault("不", 1) == freq["不"]
    expected = dict(freq, **{"行长": 999, "行政": 5})
    del expected["长城"], expected["不知"]
    assert len(lf) == len(expected)
    assert dict(lf) == expected and lf == expected and sorted(lf) == sorted(expected)
    assert lt == tags  # the other table of the group got the same pieces, untouched


def test_whole_table_operations_decode_everything() -> None:
    freq, _, prefixes, lf, lt, ls, pieces = _tables()
    assert sorted(lf.items()) == sorted(freq.items()) and sorted(lf.values()) == sorted(freq.values())
    assert not pieces.has_pending()
    assert set(ls) == prefixes and ls == prefixes and ls | {"q"} == prefixes | {"q"}
    assert pickle.loads(pickle.dumps(lf)) == freq and type(pickle.loads(pickle.dumps(lf))) is dict
    assert repr(lt) == repr(dict(lt))


def test_copy_shares_undecoded_pieces() -> None:
    freq, _, _, lf, _, _, _ = _tables()
    assert lf.get("银行") == freq["银行"]
    twin = lf.copy()
    assert isinstance(twin, LazyDict) and len(twin) == len(freq)
    twin["山"] = -1  # decodes 山 into both; only the copy changes
    assert lf["山"] == freq["山"] and twin["山"] == -1
    assert twin.get("不知道") == freq["不知道"] and lf == freq
    bulk = lf.copy()
    bulk.update({"新": 1})
    assert bulk == dict(freq, 新=1)


def test_set_additions_before_decoding_merge() -> None:
    _, _, prefixes, _, _, ls, _ = _tables()
    ls.add("银河")  # pypinyin's segmenter can be trained with more words later
    assert "银河" in ls and "银行" in ls
    assert len(ls) == len(prefixes) + 1
    ls.discard("山东")
    assert "山东" not in ls and "山东省" in ls


def test_concurrent_first_lookups_see_whole_pieces() -> None:
    for _ in range(20):
        freq, _, _, lf, _, _, _ = _tables()
        probes = WORDS * 20
        random.shuffle(probes)
        errors: list[str] = []

        def work(items: list[str]) -> None:
            for w in items:
                if lf.get(w) != freq[w]:
                    errors.append(w)

        threads = [threading.Thread(target=work, args=(probes[i::4],)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors


def test_split_refuses_keys_it_cannot_index() -> None:
    with pytest.raises(ValueError):
        _split([{"": 1}], bytearray())
    with pytest.raises(ValueError):
        _split([{1.5: 1}], bytearray())
    with pytest.raises(ValueError):
        _split([{("a",): 1}], bytearray())


def test_int_keys_are_split_by_code_point_block() -> None:
    chars = {
        ord(c): f"r{ord(c)}"
        for c in "银行长不知道山东省〇" + "".join(chr(0x4E00 + i * 37) for i in range(300))
    }
    data = bytearray()
    index = _split([chars], data)
    assert 1 < len(index) < len(chars)
    table = LazyDict(Pieces(memoryview(bytes(data)), index, 1), 0)
    assert len(table) == len(chars) and dict.__len__(table) == 0
    assert table[ord("银")] == chars[ord("银")] and 0 < dict.__len__(table) < len(chars)
    for probe in [*chars, 0, 65, 0x4E01, 0x10FFFF, True]:
        assert table.get(probe) == chars.get(probe) and (probe in table) == (probe in chars)
    assert table.get("银") is None and "银" not in table  # a str is no int key
    assert table == chars
