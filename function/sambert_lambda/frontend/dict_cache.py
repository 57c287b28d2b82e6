"""One baked file holding every frontend dictionary, read on demand, so a cold start decodes almost nothing.

What a cold start costs without it (CPU, measured here): jieba's prefix dictionary 1.1 s even from jieba's own
marshal cache, more when /tmp is empty as on every new Lambda container; posseg's word-tag parse of dict.txt 0.35 s
and its HMM tables 0.45 s (Python modules of dict literals); pypinyin's JSON dictionaries 0.2 s and the prefix set
its segmenter builds from them at import 0.15 s. Decoding all of these at once from one marshal blob (format 1 of
this cache) still cost ~0.75 s: half a million prefix-dictionary entries, 350k word tags, 47k phrases.

Format 3 splits the big tables by the first character of their keys (int keys, pypinyin's code points: by block of
64). Every lookup those packages make starts at a character of the text being processed (jieba's DAG fragments and
word tags, pypinyin's phrase prefixes, phrases and characters, zhconv's conversion prefixes), so a table only needs
the pieces for characters it has actually been asked about. ``LazyDict`` and ``LazySet`` are ``dict``/``set``
subclasses that decode a piece on the first lookup of a key in it; they answer every lookup exactly like the full
table (``len`` counts undecoded entries; iterating, comparing, copying into a plain dict or updating in bulk decodes
everything first; after a full decode the iteration order is by piece, not by source line). The HMM tables of
posseg and finalseg (``_HmmTables``) are decoded on the first run of characters that are not dictionary words;
zhconv's other locales on first use.

The cache holds exactly the objects those packages build (made by the installed packages themselves, except that
jieba's dict.txt is read once for both the prefix dictionary and the word tags, ``_parse_dict``, checked equal to
jieba's own parse; keyed by their source files, the format and the Python version). ``install()`` hands them over
before the packages are imported: the prefix dictionary goes to ``jieba.dt``, the word tags to ``jieba.posseg.dt``,
the other tables as ``sys.modules`` entries under the names the packages import them by, the phrase prefix set to
pypinyin's segmenter; ``install_zhconv()`` (called by TN before the first conversion) gives zhconv its tables.
The packages' own code then runs unchanged on identical data.

Where the cache lives: the path given to ``configure()`` by whoever builds the frontend from the settings (the
synthesizer and the frontend CLIs pass ``$TTS_FRONTEND_CACHE``; bake it into the image with
``sambert-lambda frontend-cache --out PATH``; ``off`` disables it), else a file in the temp directory written on
first use. The frontend reads no environment itself, and does not import the settings model (pydantic-settings
costs about 0.17 s CPU of a frontend-only cold start).
A missing, stale, older-format or unreadable cache never fails: the packages then load their own files as usual.

File layout: ``MAGIC``, header length (8 bytes, little endian), the marshalled header (key, totals, zhconv's two
character sets, and per table group an index ``piece -> (offset, length, entries per table)``), then the data: the
HMM tables, zhconv's other locales, the pieces. The file is memory-mapped read-only (``os.replace`` of a rebuilt
cache leaves a running process on the old file). Every piece and blob carries a CRC-32, checked when it is decoded: a
piece damaged after the load-time checks is replaced by the packages' own tables (``Pieces``), never used.
"""

from __future__ import annotations

import marshal
import mmap
import os
import sys
import tempfile
import threading
import types
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

FORMAT = 3  # 2: pieces without checksums (never released); 1: one marshal blob
MAGIC = b"sambert-frontend-cache\n"
_LOCK = threading.Lock()
_state: dict[str, object] = {}


def _package_dir(name: str) -> Path:
    import importlib.util

    spec = importlib.util.find_spec(name)  # locates a top-level package without importing it
    if spec is None or spec.origin is None:
        raise ImportError(f"{name} is not installed")
    return Path(spec.origin).parent


# The files the cached objects are made from: any reinstall or upgrade changes their size or mtime, and the key.
_SOURCES = (
    ("jieba", "dict.txt"),
    ("jieba", "posseg/char_state_tab.py"),
    ("jieba", "posseg/prob_emit.py"),
    ("jieba", "posseg/prob_trans.py"),
    ("jieba", "posseg/prob_start.py"),
    ("pypinyin", "pinyin_dict.json"),
    ("pypinyin", "phrases_dict.json"),
    ("pypinyin", "seg/mmseg.py"),
    ("jieba", "finalseg/prob_start.py"),
    ("jieba", "finalseg/prob_trans.py"),
    ("jieba", "finalseg/prob_emit.py"),
    ("zhconv", "zhcdict.json"),
    ("zhconv", "zhconv.py"),
)


def cache_key() -> str:
    """Changes whenever the cached objects could differ: the source files, the format, Python's marshal.
    (File stats rather than package metadata: importlib.metadata alone costs 0.1 s CPU at import.)"""
    parts = [f"f{FORMAT}", f"py{sys.version_info[0]}.{sys.version_info[1]}", f"m{marshal.version}"]
    for package, rel in _SOURCES:
        st = (_package_dir(package) / rel).stat()
        parts.append(f"{package}/{rel}:{st.st_size}:{st.st_mtime_ns}")
    return "|".join(parts)


def configure(frontend_cache: str | None) -> None:
    """Set where the cache lives: the ``frontend_cache`` setting (a path, ``off`` = no cache, None = the default).
    Takes effect for tables not loaded yet; the product's entry points call it before the frontend's first use."""
    with _LOCK:
        _state["configured"] = frontend_cache


def default_path() -> Path | None:
    """The configured ``frontend_cache`` (see ``configure``; ``off`` = no cache), else a file in the temp
    directory."""
    value = _state.get("configured")
    if value == "off":
        return None
    if value:
        return Path(value)
    return Path(tempfile.gettempdir()) / "sambert-frontend.cache"


# -- tables decoded piece by piece ----------------------------------------------------------------------------


class CorruptCache(ValueError):
    """A part of the cache file failed its checksum or did not decode."""


def _decode(buf, span: tuple) -> object:
    """The object marshalled at ``span = (offset, length, crc32, ...)`` of ``buf``, checked against its checksum."""
    offset, length, crc = span[0], span[1], span[2]
    blob = buf[offset : offset + length]
    if len(blob) != length or zlib.crc32(blob) != crc:
        raise CorruptCache(f"checksum mismatch at {offset}")
    try:
        return marshal.loads(blob)  # noqa: S302 - our own file, checksummed
    except (EOFError, ValueError, TypeError) as e:
        raise CorruptCache(f"undecodable data at {offset}") from e


class Pieces:
    """The marshalled pieces of one group of tables, decoded on demand and merged into every table of the group.

    ``index`` maps a piece (see ``_first``) to ``(offset, length, crc32, count_0, count_1, ...)``: where it lies in
    ``buf``, its checksum and how many entries it holds for each table slot. A piece decodes to one object per slot.
    If a piece is corrupt (the file was damaged after the checks at load time), ``rescue`` gives the whole tables
    from the packages' own files, and every entry of the pieces not decoded yet is taken from them.
    """

    def __init__(self, buf, index: dict, slots: int, counts: list[int] | None = None, rescue=None) -> None:
        self._buf = buf
        self._pending = dict(index)
        self._pending_counts = (
            list(counts) if counts else [sum(v[3 + s] for v in index.values()) for s in range(slots)]
        )
        self._tables: list[tuple[object, int]] = []
        self._lock = threading.RLock()
        self._rescue = rescue

    def attach(self, table: object, slot: int) -> None:
        self._tables.append((table, slot))

    def pending(self, slot: int) -> int:
        return self._pending_counts[slot]

    def load(self, ch: str | int) -> None:
        """Decode the piece ``ch`` (if not yet done). A piece leaves ``_pending`` only once it is merged
        everywhere, so a reader in another thread that sees it gone also sees its entries."""
        with self._lock:
            entry = self._pending.get(ch)
            if entry is None:
                return
            try:
                parts = _decode(self._buf, entry)
            except CorruptCache:
                self._take_the_rest_from_packages()
                return
            for table, slot in self._tables:
                table._merge(parts[slot])  # type: ignore[attr-defined]
            for s in range(len(self._pending_counts)):
                self._pending_counts[s] -= entry[3 + s]
            del self._pending[ch]

    def _take_the_rest_from_packages(self) -> None:
        if self._rescue is None:
            raise CorruptCache("a piece of the frontend dictionary cache is corrupt")
        full = self._rescue()
        pending = self._pending
        for table, slot in self._tables:
            source = full[slot]
            if isinstance(source, dict):
                part: object = {k: v for k, v in source.items() if _first(k) in pending}
            else:
                part = [k for k in source if _first(k) in pending]
            table._merge(part)  # type: ignore[attr-defined]
        pending.clear()
        self._pending_counts = [0] * len(self._pending_counts)
        _state["rescued"] = int(_state.get("rescued", 0)) + 1  # type: ignore[call-overload]

    def load_all(self) -> None:
        with self._lock:
            for ch in list(self._pending):
                self.load(ch)

    def has_pending(self) -> bool:
        return bool(self._pending)


def _first(key: object) -> str | int | None:
    """The piece a key belongs to: its first character (str keys), its value // 64 (int keys: code points)."""
    kind = type(key)
    if kind is str:
        return key[:1]
    if kind is int or kind is bool:
        return int(key) >> 6
    return None  # other keys were never split, so they are absent from the pieces


class _OnDemand:
    """What :class:`LazyDict` and :class:`LazySet` share: decode a key's piece, or all pieces, before use."""

    __slots__ = ()
    _pieces: Pieces
    _slot: int

    # ``super()`` below is the built-in container (``dict`` or ``set``) that follows in the subclass's MRO.
    def __init__(self, pieces: Pieces, slot: int, initial: Iterable = ()) -> None:
        super().__init__(initial)
        self._pieces = pieces
        self._slot = slot
        pieces.attach(self, slot)

    def _need(self, key: object) -> None:
        ch = _first(key)
        if ch is not None and ch in self._pieces._pending:
            self._pieces.load(ch)

    def _all(self) -> None:
        if self._pieces._pending:
            self._pieces.load_all()

    def _merge(self, part: Iterable) -> None:
        super().update(part)  # type: ignore[misc]

    def __iter__(self) -> Iterator:
        self._all()
        return super().__iter__()  # type: ignore[misc]

    def __eq__(self, other: object) -> bool:
        self._all()
        if isinstance(other, _OnDemand):
            other._all()
        return super().__eq__(other)

    def __ne__(self, other: object) -> bool:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        self._all()
        return super().__repr__()


class LazyDict(_OnDemand, dict):
    """A ``dict`` whose entries are decoded per first character of the key on first lookup (see module doc)."""

    __slots__ = ("_pieces", "_slot")

    # lookups and single-key changes: decode the key's piece first (``dict.`` named directly: the hot path)
    def __contains__(self, key: object) -> bool:
        self._need(key)
        return dict.__contains__(self, key)

    def __getitem__(self, key):
        self._need(key)
        return dict.__getitem__(self, key)

    def get(self, key, default=None):
        self._need(key)
        return dict.get(self, key, default)

    def __setitem__(self, key, value) -> None:
        self._need(key)
        dict.__setitem__(self, key, value)

    def __delitem__(self, key) -> None:
        self._need(key)
        dict.__delitem__(self, key)

    def pop(self, key, *default):
        self._need(key)
        return dict.pop(self, key, *default)

    def setdefault(self, key, default=None):
        self._need(key)
        return dict.setdefault(self, key, default)

    def __len__(self) -> int:
        return dict.__len__(self) + self._pieces.pending(self._slot)

    # whole-table operations: decode everything first
    def __reversed__(self) -> Iterator:
        self._all()
        return dict.__reversed__(self)

    def keys(self):
        self._all()
        return dict.keys(self)

    def values(self):
        self._all()
        return dict.values(self)

    def items(self):
        self._all()
        return dict.items(self)

    def update(self, *args, **kwargs) -> None:
        self._all()
        dict.update(self, *args, **kwargs)

    def popitem(self):
        self._all()
        return dict.popitem(self)

    def clear(self) -> None:
        self._all()
        dict.clear(self)

    def copy(self) -> LazyDict:
        """A lazy copy: the same undecoded pieces, merged into both tables when decoded."""
        with self._pieces._lock:
            return LazyDict(self._pieces, self._slot, dict(dict.items(self)))

    def __or__(self, other):
        self._all()
        return dict.__or__(dict(dict.items(self)), other)

    def __ror__(self, other):
        self._all()
        return dict.__ror__(dict(dict.items(self)), other)

    def __ior__(self, other):
        self._all()
        return dict.__ior__(self, other)

    def __reduce__(self):
        self._all()
        return (dict, (dict(dict.items(self)),))

    def __sizeof__(self) -> int:
        return dict.__sizeof__(self)


class LazySet(_OnDemand, set):
    """A ``set`` of strings decoded per first character on the first membership test (see module doc)."""

    __slots__ = ("_pieces", "_slot")

    def __contains__(self, key: object) -> bool:
        self._need(key)
        return set.__contains__(self, key)

    def discard(self, key) -> None:
        self._need(key)
        set.discard(self, key)

    def remove(self, key) -> None:
        self._need(key)
        set.remove(self, key)

    def __len__(self) -> int:
        # entries added before their piece was decoded may repeat one in it: count exactly then
        if self._pieces._pending and set.__len__(self):
            self._all()
        return set.__len__(self) + self._pieces.pending(self._slot)

    def copy(self) -> set:
        self._all()
        return set(set.__iter__(self))

    def pop(self):
        self._all()
        return set.pop(self)

    def __reduce__(self):
        self._all()
        return (set, (set(set.__iter__(self)),))

    def _whole(self) -> set:
        self._all()
        return set(set.__iter__(self))

    def __or__(self, other):
        return self._whole() | other

    def __and__(self, other):
        return self._whole() & other

    def __sub__(self, other):
        return self._whole() - other

    def __xor__(self, other):
        return self._whole() ^ other

    def __le__(self, other):
        return self._whole() <= other

    def __lt__(self, other):
        return self._whole() < other

    def __ge__(self, other):
        return self._whole() >= other

    def __gt__(self, other):
        return self._whole() > other

    def issubset(self, other) -> bool:
        return self._whole().issubset(other)

    def issuperset(self, other) -> bool:
        return self._whole().issuperset(other)

    def isdisjoint(self, other) -> bool:
        return self._whole().isdisjoint(other)

    def union(self, *others) -> set:
        return self._whole().union(*others)

    def intersection(self, *others) -> set:
        return self._whole().intersection(*others)

    def difference(self, *others) -> set:
        return self._whole().difference(*others)

    def symmetric_difference(self, other) -> set:
        return self._whole().symmetric_difference(other)

    def intersection_update(self, *others) -> None:
        self._all()
        set.intersection_update(self, *others)

    def difference_update(self, *others) -> None:
        self._all()
        set.difference_update(self, *others)

    def symmetric_difference_update(self, other) -> None:
        self._all()
        set.symmetric_difference_update(self, other)

    def clear(self) -> None:
        self._all()
        set.clear(self)


class _Deferred(dict):
    """A small table decoded as a whole on its first use of any kind (a stand-in until jieba's HMM first runs)."""

    __slots__ = ("_load",)

    def __init__(self, load) -> None:
        super().__init__()
        self._load = load

    def _fill(self) -> None:
        load = self._load
        if load is not None:
            dict.update(self, load())
            self._load = None


def _deferring(name: str):
    method = getattr(dict, name)

    def deferred(self, *args, **kwargs):
        self._fill()
        return method(self, *args, **kwargs)

    deferred.__name__ = name
    return deferred


for _name in (
    "__getitem__",
    "__contains__",
    "get",
    "__iter__",
    "__len__",
    "keys",
    "values",
    "items",
    "__eq__",
    "__ne__",
    "__repr__",
    "copy",
    "__setitem__",
    "__delitem__",
    "pop",
    "popitem",
    "setdefault",
    "update",
    "clear",
    "__or__",
    "__ror__",
    "__ior__",
    "__reversed__",
):
    setattr(_Deferred, _name, _deferring(_name))
_Deferred.__reduce__ = lambda self: (dict, (dict(self.items()),))  # type: ignore[method-assign]
_Deferred.__hash__ = None  # type: ignore[assignment]


# The HMM tables: (package module, name the tables are imported from, global name in the package module).
_HMM = {
    "jieba.posseg": (
        ("char_state_tab", "char_state_tab_P"),
        ("prob_start", "start_P"),
        ("prob_trans", "trans_P"),
        ("prob_emit", "emit_P"),
    ),
    "jieba.finalseg": (("prob_start", "start_P"), ("prob_trans", "trans_P"), ("prob_emit", "emit_P")),
}


class _HmmTables:
    """jieba's HMM tables (posseg's POS tagger, finalseg's word splitter), used only for runs of characters that
    are not dictionary words, decoded from the cache on the first such run.

    The packages import the tables from modules at import time; those modules are ``sys.modules`` entries whose
    ``P`` is a ``_Deferred`` stand-in, and the packages' ``viterbi`` is wrapped. The first call decodes the tables,
    points the package globals and the modules' ``P`` at plain dicts and puts the package's own ``viterbi`` back,
    so later runs cost exactly what they cost without the cache."""

    def __init__(self, buf, span: tuple[int, int, int]) -> None:
        self._buf, self._span = buf, span
        self._tables: dict | None = None
        self._lock = threading.Lock()
        self._viterbi: dict[str, object] = {}

    def tables(self) -> dict:
        with self._lock:
            if self._tables is None:
                try:
                    self._tables = _decode(self._buf, self._span)  # type: ignore[assignment]
                except CorruptCache:  # from the packages' own modules instead
                    self._tables = {
                        package: {
                            m: _run_module("jieba", f"{package.split('.')[1]}/{m}.py")["P"] for m, _ in names
                        }
                        for package, names in _HMM.items()
                    }
                    _state["rescued"] = int(_state.get("rescued", 0)) + 1  # type: ignore[call-overload]
            return self._tables  # type: ignore[return-value]

    def stand_in(self, package: str, name: str) -> _Deferred:
        return _Deferred(lambda: self.tables()[package][name])

    def install_modules(self) -> None:
        for package, names in _HMM.items():
            for module_name, _ in names:
                mod = types.ModuleType(
                    f"{package}.{module_name}", "baked by sambert_lambda.frontend.dict_cache"
                )
                mod.P = self.stand_in(package, module_name)
                sys.modules[mod.__name__] = mod

    def wrap(self, package_module: types.ModuleType) -> None:
        package = package_module.__name__
        own = package_module.viterbi
        self._viterbi[package] = own

        def first_viterbi(obs, states, *tables):
            self.settle(package_module)
            names = _HMM[package]
            real = [getattr(package_module, g) for _, g in names]
            if package == "jieba.posseg":  # viterbi(obs, char_state_tab_P, start_P, trans_P, emit_P)
                return own(obs, *real)
            return own(obs, states, *real)  # finalseg: viterbi(obs, 'BMES', start_P, trans_P, emit_P)

        package_module.viterbi = first_viterbi

    def settle(self, package_module: types.ModuleType) -> None:
        package = package_module.__name__
        decoded = self.tables()[package]
        for module_name, global_name in _HMM[package]:
            current = getattr(package_module, global_name)
            if isinstance(current, _Deferred) and current._load is not None:
                setattr(package_module, global_name, decoded[module_name])
                sys.modules[f"{package}.{module_name}"].P = decoded[module_name]
        package_module.viterbi = self._viterbi[package]


# -- building -------------------------------------------------------------------------------------------------


def _parse_dict(f) -> tuple[dict, int, dict] | None:
    """jieba's dictionary file in one pass: the prefix dictionary and total exactly as ``Tokenizer.gen_pfdict`` builds
    them, and the word tags as ``POSTokenizer.load_word_tag`` reads them (which parses the same file again: 0.35 s).
    Tags are interned and keyed by the prefix dictionary's own string objects, so marshal stores each word once.
    None if a line is not ``word freq tag`` (the packages then parse the file themselves)."""
    freq: dict[str, int] = {}
    tags: dict[str, str] = {}
    total = 0
    try:
        for raw in f:
            parts = raw.strip().decode("utf-8").split(" ")
            if len(parts) != 3:
                return None
            word, count, tag = parts
            n = int(count)
            freq[word] = n
            total += n
            tags[word] = sys.intern(tag)
            for end in range(1, len(word)):
                frag = word[:end]
                if frag not in freq:
                    freq[frag] = 0
    except (ValueError, UnicodeDecodeError):
        return None
    finally:
        f.close()
    return freq, total, tags


def _collect() -> dict:
    """The dictionaries as the installed packages build them (slow: this is the work the cache saves). The process
    keeps them: it needs them too."""
    with without_pkg_resources():
        import jieba
        import jieba.finalseg
        from pypinyin import phrases_dict, pinyin_dict
        from pypinyin.seg import mmseg

    jieba.setLogLevel(60)
    parsed = None
    with jieba.dt.lock:
        if not jieba.dt.initialized:
            parsed = _parse_dict(jieba.dt.get_dict_file())
            if parsed is not None:
                jieba.dt.FREQ, jieba.dt.total = parsed[0], parsed[1]
            else:
                jieba.dt.FREQ, jieba.dt.total = jieba.dt.gen_pfdict(jieba.dt.get_dict_file())
            jieba.dt.initialized = True
    if parsed is not None and "jieba.posseg" not in sys.modules:
        with _no_tag_parse(jieba.dt):
            import jieba.posseg
        jieba.posseg.dt.word_tag_tab = tags = parsed[2]
    else:
        import jieba.posseg

        tag_tab = jieba.posseg.dt.word_tag_tab
        # Word tags keyed by the very string objects of the prefix dictionary and with interned tags: marshal
        # then stores each word once (a back-reference) in a piece holding both tables.
        tags = {w: sys.intern(tag_tab[w]) for w in jieba.dt.FREQ if w in tag_tab}
        if len(tags) != len(tag_tab):
            tags = dict(tag_tab)
    freq = jieba.dt.FREQ
    with without_pkg_resources():
        import zhconv.zhconv as zc
    zc.loaddict()
    zh = {
        name: (frozenset(t) if isinstance(t, frozenset) else dict(t.items()))
        for name, t in zc.zhcdicts.items()
    }
    hmm = {}
    for package, names in _HMM.items():
        __import__(package)
        hmm[package] = {m: dict(sys.modules[f"{package}.{m}"].P) for m, _ in names}
    return {
        "key": cache_key(),
        "freq": freq if type(freq) is dict else dict(freq),
        "total": jieba.dt.total,
        "tags": tags,
        "hmm": hmm,
        "pinyin_dict": dict(pinyin_dict.pinyin_dict),
        "phrases_dict": dict(phrases_dict.phrases_dict),
        "phrase_prefixes": set(mmseg.p_set._set),  # what pypinyin's segmenter trains on its phrases at import
        "zhconv": zh,
        "zhconv_prefixes": set(
            zc.getpfset(zh["zh2Hans"])
        ),  # what zhconv builds on its first zh-hans conversion
    }


def _split(tables: list, data: bytearray) -> dict[str | int, tuple[int, ...]]:
    """Append one marshalled piece per first character / code point block (see ``_first``), holding that piece's
    part of every table, to ``data``; return the index. Tables are dicts (keys and values kept) or sets; every key
    must be a non-empty str or an int. (Runs over ~1M entries when a cache is built at run time: kept tight.)"""
    slots: list[dict] = []
    for table in tables:
        kinds = {type(key) for key in table}
        if not kinds <= {str, int} or (str in kinds and "" in table):
            bad = next((k for k in table if type(k) not in (str, int) or k == ""), None)
            raise ValueError(f"cannot split a table with key {bad!r}")
        is_dict = isinstance(table, dict)
        parts: defaultdict = defaultdict(dict) if is_dict else defaultdict(list)
        if kinds == {str} and is_dict:
            for key, value in table.items():
                parts[key[0]][key] = value
        elif kinds == {str}:
            for key in table:
                parts[key[0]].append(key)
        elif is_dict:
            for key, value in table.items():
                parts[_first(key)][key] = value
        else:
            for key in table:
                parts[_first(key)].append(key)
        slots.append(parts)
    empty = [{} if isinstance(t, dict) else [] for t in tables]
    index: dict[str | int, tuple[int, ...]] = {}
    for ch in dict.fromkeys(ch for parts in slots for ch in parts):
        group = tuple(parts.get(ch, e) for parts, e in zip(slots, empty, strict=True))
        blob = marshal.dumps(group)
        index[ch] = (len(data), len(blob), zlib.crc32(blob), *(len(part) for part in group))
        data += blob
    return index


def _counts(index: dict) -> list[int]:
    """Entries per table slot over all pieces (stored in the header: summing 12k index entries costs ~5 ms)."""
    slots = len(next(iter(index.values()))) - 3 if index else 0
    return [sum(v[3 + s] for v in index.values()) for s in range(slots)]


_GROUPS = ("jieba", "pypinyin", "pinyin_dict", "zhconv")
_SLOTS = {"jieba": 2, "pypinyin": 2, "pinyin_dict": 1, "zhconv": 2}


def _encode(collected: dict) -> bytes:
    hmm = marshal.dumps(collected["hmm"])
    zh = collected["zhconv"]
    zh_other = marshal.dumps({k: v for k, v in zh.items() if k != "zh2Hans" and not isinstance(v, frozenset)})
    data = bytearray(hmm + zh_other)
    header = {
        "key": collected["key"],
        "total": collected["total"],
        "hmm": (0, len(hmm), zlib.crc32(hmm)),
        "zhconv_other": (len(hmm), len(zh_other), zlib.crc32(zh_other)),
        "zhconv_sets": {k: v for k, v in zh.items() if isinstance(v, frozenset)},
        "jieba": _split([collected["freq"], collected["tags"]], data),
        "pypinyin": _split([collected["phrases_dict"], collected["phrase_prefixes"]], data),
        "pinyin_dict": _split([collected["pinyin_dict"]], data),
        "zhconv": _split([zh["zh2Hans"], collected["zhconv_prefixes"]], data),
    }
    header["counts"] = {group: _counts(header[group]) for group in _GROUPS}
    head = marshal.dumps(header)
    return MAGIC + len(head).to_bytes(8, "little") + head + bytes(data)


def build(path: Path) -> Path:
    """Write the cache to ``path`` atomically (run at image build time, or lazily into the temp directory)."""
    data = _encode(_collect())
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".frontend-cache-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; Lambda runs as another user than the image build
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


# -- reading --------------------------------------------------------------------------------------------------


def _map(path: Path):
    """The file's bytes: a read-only memory map (pages are read only when a piece is decoded), else a copy."""
    with open(path, "rb") as f:
        try:
            return memoryview(mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ))
        except (OSError, ValueError):  # e.g. an empty file, or a file system without mmap
            return memoryview(f.read())


def _read(path: Path) -> dict | None:
    """The header of a valid, current cache, plus ``buf`` (the file's bytes); None for anything else."""
    try:
        in_tmp = path.resolve().parent == Path(tempfile.gettempdir()).resolve()
        if in_tmp and path.stat().st_uid != os.getuid():  # a shared temp dir: only a file this user wrote
            return None
        buf = _map(path)
        n = len(MAGIC)
        if len(buf) < n + 8 or bytes(buf[:n]) != MAGIC:
            return None
        size = int.from_bytes(buf[n : n + 8], "little")
        start = n + 8 + size
        if start > len(buf):
            return None
        header = marshal.loads(buf[n + 8 : start])  # noqa: S302 - our own file, holds plain dicts/tuples only
        if not isinstance(header, dict) or header.get("key") != cache_key():
            return None
        spans = [e[:2] for group in _GROUPS for e in header[group].values()] + [
            header["hmm"][:2],
            header["zhconv_other"][:2],
        ]
        if any(len(header["counts"][group]) != _SLOTS[group] for group in _GROUPS):
            return None
        firsts = [(group, next(iter(header[group].values()), None)) for group in _GROUPS]
        if any(e is not None and len(e) != 3 + _SLOTS[g] for g, e in firsts):  # an older layout
            return None
        if len(header["hmm"]) != 3 or len(header["zhconv_other"]) != 3:
            return None
    except (OSError, EOFError, ValueError, TypeError, KeyError, AttributeError, IndexError):
        return None
    if start + max(offset + length for offset, length in spans) > len(buf):  # truncated
        return None
    header["buf"] = buf[start:]
    return header


def load_tables(path: Path) -> dict | None:
    """Every table in a cache file, fully decoded into plain dicts/sets (for tests and inspection)."""
    header = _read(path)
    if header is None:
        return None
    buf = header["buf"]
    out = {"key": header["key"], "total": header["total"], "hmm": _decode(buf, header["hmm"])}
    out["zhconv"] = _decode(buf, header["zhconv_other"])
    out["zhconv"].update(header["zhconv_sets"])
    groups = (
        ("jieba", ("freq", "tags")),
        ("pypinyin", ("phrases_dict", "phrase_prefixes")),
        ("pinyin_dict", ("pinyin_dict",)),
        ("zhconv", ("zh2Hans", "zhconv_prefixes")),
    )
    for group, names in groups:
        pieces = Pieces(buf, header[group], len(names))
        tables = [
            LazySet(pieces, i) if n.endswith("_prefixes") else LazyDict(pieces, i)
            for i, n in enumerate(names)
        ]
        pieces.load_all()
        for name, table in zip(names, tables, strict=True):
            out[name] = set(set.__iter__(table)) if isinstance(table, set) else dict(dict.items(table))
    out["zhconv"]["zh2Hans"] = out.pop("zh2Hans")
    return out


def _run_module(package: str, rel: str) -> dict:
    """The globals of one of a package's own modules, run from its file (bypassing the cache's stand-ins)."""
    import runpy

    return runpy.run_path(str(_package_dir(package) / rel))


def _jieba_tables() -> tuple[dict, dict]:
    """Prefix dictionary and word tags by jieba's own code (only if a cache piece turns out corrupt)."""
    import jieba
    import jieba.posseg

    freq, _ = jieba.dt.gen_pfdict(jieba.dt.get_dict_file())
    tagger = jieba.posseg.POSTokenizer.__new__(jieba.posseg.POSTokenizer)
    tagger.load_word_tag(jieba.dt.get_dict_file())
    return freq, tagger.word_tag_tab


def _phrase_tables() -> tuple[dict, set]:
    from pypinyin.seg import mmseg

    phrases = _run_module("pypinyin", "phrases_dict.py")["phrases_dict"]
    prefixes = mmseg.PrefixSet()
    prefixes.train(phrases.keys())
    return phrases, prefixes._set


def _zhconv_json() -> dict:
    import json

    return json.loads((_package_dir("zhconv") / "zhcdict.json").read_bytes().decode("utf-8"))


def _zh_hans_tables() -> tuple[dict, frozenset]:
    import zhconv.zhconv as zc

    table = _zhconv_json()["zh2Hans"]
    return table, zc.getpfset(table)


def _hand_over(data: dict) -> bool:
    """Give the cached objects to jieba and pypinyin. Only possible before they loaded their own copies."""
    taken = (
        "jieba",
        "jieba.posseg",
        "jieba.finalseg",
        "pypinyin",
        "pypinyin.constants",
        "pypinyin.seg.mmseg",
    )
    if any(name in sys.modules for name in taken):
        return False
    buf, counts = data["buf"], data["counts"]
    jieba_pieces = Pieces(buf, data["jieba"], 2, counts["jieba"], _jieba_tables)
    freq, tags = LazyDict(jieba_pieces, 0), LazyDict(jieba_pieces, 1)
    py_pieces = Pieces(buf, data["pypinyin"], 2, counts["pypinyin"], _phrase_tables)
    phrases, prefixes = LazyDict(py_pieces, 0), LazySet(py_pieces, 1)
    char_rescue = lambda: (_run_module("pypinyin", "pinyin_dict.py")["pinyin_dict"],)  # noqa: E731
    chars = LazyDict(Pieces(buf, data["pinyin_dict"], 1, counts["pinyin_dict"], char_rescue), 0)
    hmm = _HmmTables(buf, data["hmm"])
    hmm.install_modules()
    for name, table in (("pinyin_dict", chars), ("phrases_dict", phrases)):
        mod = types.ModuleType(f"pypinyin.{name}", "baked by sambert_lambda.frontend.dict_cache")
        setattr(mod, name, table)
        sys.modules[mod.__name__] = mod
    with without_pkg_resources(), _untrained_segmenter(py_pieces):
        from pypinyin.seg import mmseg
    if not getattr(mmseg.p_set, "_trained_by_pypinyin", False):
        mmseg.p_set._set = prefixes
    with without_pkg_resources():
        import jieba
        import jieba.finalseg

    with jieba.dt.lock:
        if not jieba.dt.initialized:
            jieba.dt.FREQ, jieba.dt.total = freq, data["total"]
            jieba.dt.initialized = True
    with _no_tag_parse(jieba.dt):
        import jieba.posseg
    jieba.posseg.dt.word_tag_tab = tags
    hmm.wrap(jieba.posseg)
    hmm.wrap(jieba.finalseg)
    return True


@contextmanager
def without_pkg_resources() -> Iterator[None]:
    """Import packages that would use ``pkg_resources`` when it is installed (jieba, zhconv: only to open their
    own data files, with a plain ``open`` as their fallback) without importing it: pkg_resources scans every
    installed distribution at import, 0.2 s CPU. Does nothing when it is already imported."""
    if "pkg_resources" in sys.modules:
        yield
        return
    sys.modules["pkg_resources"] = None  # type: ignore[assignment]  # makes `import pkg_resources` fail
    try:
        yield
    finally:
        if sys.modules.get("pkg_resources", 0) is None:
            del sys.modules["pkg_resources"]


@contextmanager
def _untrained_segmenter(pieces: Pieces) -> Iterator[None]:
    """pypinyin's segmenter builds a prefix set of all phrases when imported (0.15 s, and it would decode every
    phrase piece). While it is imported, iterating the phrase table yields nothing; the caller then gives the
    segmenter the cached prefix set. If iterating did not happen exactly once (the training) or left a trace, this
    pypinyin works differently: the phrase table is then decoded whole and the segmenter retrained as pypinyin
    would, and the caller's prefix set is not used."""
    calls: list[int] = []
    original = LazyDict.keys

    def untrained_keys(self):
        if self._pieces is pieces:
            calls.append(1)
            return ()
        return original(self)

    LazyDict.keys = untrained_keys  # type: ignore[method-assign]
    try:
        yield
    finally:
        LazyDict.keys = original  # type: ignore[method-assign]
    import pypinyin.seg.mmseg as mmseg

    if len(calls) != 1 or set.__len__(mmseg.p_set._set) or not isinstance(mmseg.p_set._set, set):
        pieces.load_all()
        mmseg.p_set._set = set()
        mmseg.p_set.train(mmseg.PHRASES_DICT.keys())
        mmseg.p_set._trained_by_pypinyin = True


@contextmanager
def _no_tag_parse(tokenizer) -> Iterator[None]:
    """Importing jieba.posseg builds its word -> POS table by parsing dict.txt (0.35 s); while it is imported, the
    default tokenizer hands it an empty file instead, and the caller then gives it the cached table."""
    import io

    tokenizer.get_dict_file = lambda: io.BytesIO(b"")
    try:
        yield
    finally:
        del tokenizer.get_dict_file


def _header(path: Path) -> dict | None:
    """The cache's header, read once per process and path (``install`` and ``install_zhconv`` share it)."""
    headers = _state.setdefault("headers", {})
    key = str(path)
    if key not in headers:  # type: ignore[operator]
        headers[key] = _read(path) if path.is_file() else None  # type: ignore[index]
    return headers[key]  # type: ignore[index]


def install(path: Path | None = None, *, write_missing: bool = True) -> str:
    """Load the frontend dictionaries through the cache. Returns ``"cache"`` (loaded from it), ``"built"`` (no
    usable cache: packages loaded their own files and the cache was written), ``"fallback"`` (packages loaded their
    own files, no cache written) ``"off"`` (``TTS_FRONTEND_CACHE=off``) or ``"already"`` (done earlier in this
    process). Never raises for a bad cache."""
    with _LOCK:
        if "mode" in _state:
            return "already"
        path = path or default_path()
        if path is None:
            _state.update(mode="off", path=None)
            return "off"
        data = _header(path)
        mode = "cache" if data is not None and _hand_over(data) else "fallback"
        if mode == "fallback" and write_missing and data is None:
            try:
                build(path)
                mode = "built"
            except (OSError, ValueError):
                pass
        _state["mode"] = mode
        _state["path"] = str(path)
        return mode


def install_zhconv(path: Path | None = None) -> str:
    """Give zhconv its tables from the cache before its first conversion (it would parse its 0.5 MB JSON and build
    a prefix set: ~25 ms CPU). The zh-hans table and its prefix set are decoded per first character like the others,
    the other locales' tables as a whole on first use. Returns ``"cache"``, ``"own"`` (no usable cache, or zhconv
    had loaded its tables already: it uses its own) or ``"already"``. Never writes a cache (``install`` does)."""
    with _LOCK:
        if "zhconv" in _state:
            return "already"
        with without_pkg_resources():
            import zhconv.zhconv as zc
        path = path or default_path()
        data = _header(path) if path is not None else None
        mode = "own"
        if data is not None and zc.zhcdicts is None and not zc.pfsdict:
            buf = data["buf"]
            pieces = Pieces(buf, data["zhconv"], 2, data["counts"]["zhconv"], _zh_hans_tables)
            other: dict = {}

            def load_other() -> dict:
                with pieces._lock:
                    if not other:
                        try:
                            other.update(_decode(buf, data["zhconv_other"]))  # type: ignore[call-overload]
                        except CorruptCache:
                            other.update(_zhconv_json())
                return other

            tables: dict = dict(data["zhconv_sets"])
            for name in ("zh2Hant", "zh2CN", "zh2HK", "zh2SG", "zh2TW"):
                tables[name] = _Deferred(lambda name=name: load_other()[name])
            tables["zh2Hans"] = LazyDict(pieces, 0)
            zc.pfsdict["zh-hans"] = LazySet(pieces, 1)
            zc.zhcdicts = tables
            mode = "cache"
        _state["zhconv"] = mode
        return mode


def status() -> dict[str, object]:
    return {k: v for k, v in _state.items() if k != "headers"}
