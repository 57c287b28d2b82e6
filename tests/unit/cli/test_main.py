"""The CLI's dispatcher: whatever a command raises, the user gets one ``error [code]`` line and exit 1."""

from __future__ import annotations

import types

import pytest

from sambert_lambda import cli
from sambert_lambda.errors import TTSError


@pytest.mark.parametrize("exc,code", [
    (TTSError("bad", code="some_code"), "some_code"),
    (PermissionError(13, "Permission denied", "/x/y"), "io_error"),
    (RuntimeError("a bug"), "internal_error"),
])
def test_every_failure_is_one_error_line(monkeypatch, capsys, exc, code):
    def run(args):
        raise exc

    fake = types.SimpleNamespace(add_arguments=lambda parser: None, run=run)
    monkeypatch.setattr(cli, "_import_command", lambda name: fake)
    assert cli.main(["synth"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"sambert-lambda synth: error [{code}]: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
