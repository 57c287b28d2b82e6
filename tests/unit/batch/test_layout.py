"""Output keys derive from the input key and source ETag only; prefixes must not overlap."""

from __future__ import annotations

import pytest

from sambert_lambda.batch.layout import Layout, OutputKeys
from sambert_lambda.errors import ConfigInvalid, InvalidInput

ETAG = "0123456789abcdef0123456789abcdef"


def test_keys_follow_the_input_key():
    keys = Layout("input/", "output/").outputs("input/course/第一课.jsonl", ETAG)
    assert keys.manifest == "output/course/第一课.jsonl/manifest.json"
    assert keys.audio("mp3") == "output/course/第一课.jsonl/audio.mp3"
    assert keys.line_audio(7, "wav") == "output/course/第一课.jsonl/00007.wav"
    assert keys.unit_marker(7) == f"output/course/第一课.jsonl/.done/{ETAG}/00007.json"
    assert keys.part(3) == f"output/course/第一课.jsonl/.parts/{ETAG}/00003.wav"
    assert OutputKeys.unit_of(keys.unit_marker(42)) == 42
    assert OutputKeys.unit_of(keys.audio_marker) is None


@pytest.mark.parametrize(("inp", "out"), [("input/", "input/"), ("data/", "data/out/"), ("a/b/", "a/"), ("", "x/")])
def test_overlapping_prefixes_are_config_invalid(inp, out):
    with pytest.raises(ConfigInvalid):
        Layout(inp, out)


def test_keys_outside_the_prefix_and_odd_etags_are_refused():
    layout = Layout("input/", "output/")
    assert not layout.accepts("output/x.txt") and not layout.accepts("input/") and not layout.accepts("input/d/")
    with pytest.raises(InvalidInput):
        layout.outputs("elsewhere/x.txt", ETAG)
    with pytest.raises(InvalidInput):
        layout.outputs("input/x.txt", "../../etc")


def test_owned_keys_exclude_outputs_of_nested_inputs():
    keys = Layout("input/", "output/").outputs("input/a.jsonl", ETAG)
    own = ["manifest.json", "audio.mp3", "00001.wav", f".done/{ETAG}/00001.json", ".done/abc-2/audio.json",
           f".parts/{ETAG}/00002.wav", "audio.marks.jsonl", "00003.marks.jsonl", f".parts/{ETAG}/00002.marks.jsonl"]
    foreign = ["b.txt/manifest.json", "b.txt/audio.mp3", "sub/00001.wav", ".done/x.txt/00001.json",
               "00001.wav.bak", "notes.md", "b.txt/audio.marks.jsonl", "x.marks.jsonl"]
    assert all(keys.owns(keys.root + k) for k in own)
    assert not any(keys.owns(keys.root + k) for k in foreign)
