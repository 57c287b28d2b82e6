"""The manifest is a pure function of the markers, and its writer re-lists until no marker was missed."""

from __future__ import annotations

import json
from types import SimpleNamespace

from sambert_lambda.batch.budget import Budget
from sambert_lambda.batch.layout import Layout
from sambert_lambda.batch.runner import Env
from sambert_lambda.batch.upload import open_file
from sambert_lambda.settings import load_settings
from sambert_lambda.storage.files import FileStorage
from tests.support.batch import FakeSynth

KEY = "input/race.jsonl"


class InterleavingStorage:
    """Runs ``hook`` right after the first manifest write: another consumer finishing a unit at that moment."""

    def __init__(self, inner, hook):
        self.inner, self.hook, self.bucket, self.fired = inner, hook, inner.bucket, False

    def put(self, key, body, content_type, metadata=None):
        etag = self.inner.put(key, body, content_type, metadata)
        if key.endswith("manifest.json") and not self.fired:
            self.fired = True
            self.hook()
        return etag

    def __getattr__(self, name):
        return getattr(self.inner, name)


def setup(tmp_path):
    storage = FileStorage(tmp_path, "b")
    storage.put(KEY, b'{"text": "one"}\n{"text": "two"}\n{"text": "three"}\n', "application/x-ndjson")
    settings = load_settings(bucket="b")
    return storage, settings, Layout("input/", "output/")


def test_a_marker_written_during_the_manifest_write_is_not_lost(tmp_path):
    storage, settings, layout = setup(tmp_path)
    other = open_file(Env(storage, FakeSynth(), settings), layout, KEY)
    racing = InterleavingStorage(storage, lambda: other.run_units([3], Budget()))
    mine = open_file(Env(racing, FakeSynth(), settings), layout, KEY)
    mine.run_units([1, 2], Budget())
    document = mine.write_manifest()
    assert racing.fired
    stored = json.loads(storage.get(mine.keys.manifest)[0])
    assert stored == document
    assert stored["summary"] == {"total": 3, "done": 3, "failed": 0, "pending": 0}


def test_consumer_writes_only_when_every_unit_is_finished(tmp_path):
    storage, settings, layout = setup(tmp_path)
    run = open_file(Env(storage, FakeSynth(), settings), layout, KEY)
    run.run_units([1, 2], Budget())
    assert run.write_manifest(only_if_finished=True) is None
    assert storage.head(run.keys.manifest) is None
    run.run_units([3], Budget())
    assert run.write_manifest(only_if_finished=True)["status"] == "complete"


def test_same_markers_give_the_same_bytes(tmp_path):
    storage, settings, layout = setup(tmp_path)
    env = Env(storage, FakeSynth(), settings)
    first = open_file(env, layout, KEY)
    first.run_units([1, 2, 3], Budget())
    first.write_manifest()
    a = storage.get(first.keys.manifest)[0]
    fresh = open_file(env, layout, KEY)  # a different process: knows nothing but what is stored
    fresh.write_manifest()
    assert storage.get(first.keys.manifest)[0] == a
    assert SimpleNamespace(**json.loads(a)).status == "complete"
