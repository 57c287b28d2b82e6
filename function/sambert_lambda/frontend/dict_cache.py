"""One baked file holding every frontend dictionary, so a cold start reads bytes instead of parsing text.

What a cold start costs without it (CPU, measured here): jieba's prefix dictionary 1.1 s even from jieba's own
marshal cache (``marshal.load`` on a file object reads in tiny pieces; ``marshal.loads`` on the bytes is much
faster), more when /tmp is empty as on every new Lambda container; posseg's word-tag parse of dict.txt 0.35 s and
its HMM tables 0.45 s (Python modules of dict literals); pypinyin's JSON dictionaries 0.2 s.

The cache holds exactly the objects those packages build (prefix dictionary, posseg's word tags and HMM
tables, pypinyin's character and phrase dictionaries), made by the installed packages themselves and keyed by their
source files and the Python version. ``install()`` hands them over before the packages are imported: the prefix
dictionary goes to ``jieba.dt``, the word tags to ``jieba.posseg.dt``, and the table modules are placed in
``sys.modules`` under the names the packages import them by, so their own code runs unchanged on identical data.

Where the cache lives: ``$SAMBERT_FRONTEND_CACHE`` (bake it into the image with
``sambert-lambda frontend-cache --out PATH``; ``off`` disables it), else a file in the temp directory written on
first use.
A missing, stale or unreadable cache never fails: the packages then load their own files as usual.
"""

from __future__ import annotations

import marshal
import os
import sys
import tempfile
import threading
import types
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CACHE_ENV = "SAMBERT_FRONTEND_CACHE"
FORMAT = 1
_HMM_MODULES = ("char_state_tab", "prob_start", "prob_trans", "prob_emit")
_LOCK = threading.Lock()
_state: dict[str, object] = {}


def _package_dir(name: str) -> Path:
    import importlib.util

    spec = importlib.util.find_spec(name)  # locates a top-level package without importing it
    if spec is None or spec.origin is None:
        raise ImportError(f"{name} is not installed")
    return Path(spec.origin).parent


# The files the cached objects are made from: any reinstall or upgrade changes their size or mtime, and the key.
_SOURCES = (("jieba", "dict.txt"), ("jieba", "posseg/char_state_tab.py"), ("jieba", "posseg/prob_emit.py"),
            ("jieba", "posseg/prob_trans.py"), ("jieba", "posseg/prob_start.py"), ("pypinyin", "pinyin_dict.json"),
            ("pypinyin", "phrases_dict.json"))


def cache_key() -> str:
    """Changes whenever the cached objects could differ: the source files, the format, Python's marshal.
    (File stats rather than package metadata: importlib.metadata alone costs 0.1 s CPU at import.)"""
    parts = [f"f{FORMAT}", f"py{sys.version_info[0]}.{sys.version_info[1]}", f"m{marshal.version}"]
    for package, rel in _SOURCES:
        st = (_package_dir(package) / rel).stat()
        parts.append(f"{package}/{rel}:{st.st_size}:{st.st_mtime_ns}")
    return "|".join(parts)


def default_path() -> Path | None:
    """``$SAMBERT_FRONTEND_CACHE`` (``off`` = no cache), else a file in the temp directory."""
    env = os.environ.get(CACHE_ENV)
    if env == "off":
        return None
    if env:
        return Path(env)
    return Path(tempfile.gettempdir()) / "sambert-frontend.cache"


def _collect() -> dict:
    """The dictionaries as the installed packages build them (slow: this is the work the cache saves)."""
    import jieba
    import jieba.posseg
    from jieba.posseg import char_state_tab, prob_emit, prob_start, prob_trans
    from pypinyin import phrases_dict, pinyin_dict

    jieba.setLogLevel(60)
    with jieba.dt.lock:
        if not jieba.dt.initialized:  # build from dict.txt (and keep it: this process needs it too)
            jieba.dt.FREQ, jieba.dt.total = jieba.dt.gen_pfdict(jieba.dt.get_dict_file())
            jieba.dt.initialized = True
    freq = jieba.dt.FREQ
    tag_tab = jieba.posseg.dt.word_tag_tab
    # Word tags keyed by the very string objects of the prefix dictionary and with interned tags: marshal then
    # stores each word once (a back-reference), which makes loading both tables cheaper than the text parse.
    tags = {w: sys.intern(tag_tab[w]) for w in freq if w in tag_tab}
    if len(tags) != len(tag_tab):
        tags = dict(tag_tab)
    return {
        "key": cache_key(),
        "freq": freq,
        "total": jieba.dt.total,
        "tags": tags,
        "hmm": {m.__name__.rsplit(".", 1)[1]: m.P for m in (char_state_tab, prob_start, prob_trans, prob_emit)},
        "pinyin_dict": pinyin_dict.pinyin_dict,
        "phrases_dict": phrases_dict.phrases_dict,
    }


def build(path: Path) -> Path:
    """Write the cache to ``path`` atomically (run at image build time, or lazily into the temp directory)."""
    data = marshal.dumps(_collect())
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


def _read(path: Path) -> dict | None:
    try:
        in_tmp = path.resolve().parent == Path(tempfile.gettempdir()).resolve()
        if in_tmp and path.stat().st_uid != os.getuid():  # a shared temp dir: only a file this user wrote
            return None
        data = marshal.loads(path.read_bytes())  # noqa: S302 - our own file, holds plain dicts/tuples only
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if not isinstance(data, dict) or data.get("key") != cache_key():
        return None
    return data


def _hand_over(data: dict) -> bool:
    """Give the cached objects to jieba and pypinyin. Only possible before they loaded their own copies."""
    if any(name in sys.modules for name in ("jieba.posseg", "pypinyin.constants")):
        return False
    for name in _HMM_MODULES:
        mod = types.ModuleType(f"jieba.posseg.{name}", "baked by sambert_lambda.frontend.dict_cache")
        mod.P = data["hmm"][name]
        sys.modules[mod.__name__] = mod
    for name in ("pinyin_dict", "phrases_dict"):
        mod = types.ModuleType(f"pypinyin.{name}", "baked by sambert_lambda.frontend.dict_cache")
        setattr(mod, name, data[name])
        sys.modules[mod.__name__] = mod
    import jieba

    with jieba.dt.lock:
        if not jieba.dt.initialized:
            jieba.dt.FREQ, jieba.dt.total = data["freq"], data["total"]
            jieba.dt.initialized = True
    with _no_tag_parse(jieba.dt):
        import jieba.posseg
    jieba.posseg.dt.word_tag_tab = data["tags"]
    return True


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


def install(path: Path | None = None, *, write_missing: bool = True) -> str:
    """Load the frontend dictionaries through the cache. Returns ``"cache"`` (loaded from it), ``"built"`` (no
    usable cache: packages loaded their own files and the cache was written), ``"fallback"`` (packages loaded their
    own files, no cache written) ``"off"`` (``SAMBERT_FRONTEND_CACHE=off``) or ``"already"`` (done earlier in this process). Never raises for a bad cache."""
    with _LOCK:
        if "mode" in _state:
            return "already"
        path = path or default_path()
        if path is None:
            _state.update(mode="off", path=None)
            return "off"
        data = _read(path) if path.is_file() else None
        mode = "cache" if data is not None and _hand_over(data) else "fallback"
        if mode == "fallback" and write_missing and data is None:
            try:
                build(path)
                mode = "built"
            except OSError:
                pass
        _state["mode"] = mode
        _state["path"] = str(path)
        return mode


def status() -> dict[str, object]:
    return dict(_state)
