"""The directory storage behaves like the S3 adapter where the batch relies on it."""

from __future__ import annotations

import hashlib

import pytest

from sambert_lambda.errors import InvalidInput, TooLarge, TTSError
from sambert_lambda.storage.files import FileStorage


def test_put_head_get_list_delete(tmp_path):
    st = FileStorage(tmp_path / "root", "b")
    assert st.put("output/a b/课.json", b"{}", "application/json", {"Source-ETag": "x"}) is None
    etag = hashlib.md5(b"{}").hexdigest()  # as S3 gives for a single-part upload
    info = st.head("output/a b/课.json")
    assert (info.size, info.etag, info.content_type, info.metadata) == (2, etag, "application/json",
                                                                        {"source-etag": "x"})
    assert st.get("output/a b/课.json") == (b"{}", {"source-etag": "x"})
    st.put("output/.done/e/00001.json", b"1", "application/json")
    assert st.list("output/") == ["output/.done/e/00001.json", "output/a b/课.json"]  # no sidecars
    st.delete("output/a b/课.json")
    st.delete("output/a b/课.json")  # deleting a missing key is fine, as on S3
    assert st.head("output/a b/课.json") is None
    with pytest.raises(TTSError) as err:
        st.get("output/a b/课.json")
    assert err.value.code == "not_found"


def test_size_limit_and_key_checks(tmp_path):
    st = FileStorage(tmp_path, "b")
    st.put("input/big.txt", b"x" * 10, "text/plain")
    with pytest.raises(TooLarge):
        st.get("input/big.txt", max_bytes=9)
    for bad in ("../escape", "/abs", "a/../b", "a//b", ".meta/x", "a/", ""):
        with pytest.raises(InvalidInput):
            st.put(bad, b"", "text/plain")
    assert not (tmp_path.parent / "escape").exists()
