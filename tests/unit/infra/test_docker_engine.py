"""The base image's architecture fix: a ``docker save`` stream rewritten so that ``docker load`` gets an image whose
config says the architecture its rootfs was made for (dockerd 20.10's import writes the host's)."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile

from infra.docker_engine import rewrite_saved_architecture

LAYER = b"layer bytes " * 1000
CONFIG = {"architecture": "amd64", "os": "linux", "config": {"Cmd": ["python3"], "Labels": {"k": "v"}},
          "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(LAYER).hexdigest()]}}


def _saved() -> bytes:
    buf = io.BytesIO()
    config = json.dumps(CONFIG).encode()
    name = hashlib.sha256(config).hexdigest() + ".json"
    files = {"manifest.json": json.dumps([{"Config": name, "RepoTags": ["local/x:1"],
                                           "Layers": ["abc/layer.tar"]}]).encode(),
             "abc/VERSION": b"1.0", "abc/json": b'{"id": "abc"}', "abc/layer.tar": LAYER, name: config,
             "repositories": b'{"local/x": {"1": "abc"}}'}
    with tarfile.open(fileobj=buf, mode="w") as tar:
        dirinfo = tarfile.TarInfo("abc")
        dirinfo.type = tarfile.DIRTYPE
        tar.addfile(dirinfo)
        for n, data in files.items():
            info = tarfile.TarInfo(n)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_rewrite_sets_the_architecture_renames_the_config_and_keeps_the_layers():
    out = io.BytesIO()
    rewrite_saved_architecture(io.BytesIO(_saved()), out, "arm64")
    with tarfile.open(fileobj=io.BytesIO(out.getvalue())) as tar:
        files = {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}
        assert "abc" in tar.getnames()
    (manifest,) = json.loads(files["manifest.json"])
    config_bytes = files[manifest["Config"]]
    assert manifest["Config"] == hashlib.sha256(config_bytes).hexdigest() + ".json"
    config = json.loads(config_bytes)
    assert config["architecture"] == "arm64"
    assert {k: v for k, v in config.items() if k != "architecture"} == {
        k: v for k, v in CONFIG.items() if k != "architecture"}
    assert manifest["RepoTags"] == ["local/x:1"] and manifest["Layers"] == ["abc/layer.tar"]
    assert files["abc/layer.tar"] == LAYER and files["repositories"] == b'{"local/x": {"1": "abc"}}'
    # the old config is gone: docker load would otherwise see two
    assert [n for n in files if n.endswith(".json") and "/" not in n and n != "manifest.json"] == [manifest["Config"]]
