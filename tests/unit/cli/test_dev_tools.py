"""``sambert-lambda bench`` imports ``tools.bench`` from a checkout; without one it prints a clear error line."""

from __future__ import annotations

import sys

from sambert_lambda import cli


def test_bench_help_runs_from_the_checkout(capsys):
    try:
        cli.main(["bench", "--help"])
    except SystemExit as e:
        assert e.code == 0
    assert "--backend" in capsys.readouterr().out


def test_bench_outside_a_checkout_is_a_clear_error(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "tools", None)  # not importable, as in an installed package
    monkeypatch.setitem(sys.modules, "tools.bench", None)
    monkeypatch.setattr(cli, "CHECKOUT_ROOT", tmp_path)  # no tools/ next to the package
    assert cli.main(["bench", "--quick"]) == 1
    err = capsys.readouterr().err
    assert "sambert-lambda bench: error [dev_tool_unavailable]" in err
    assert "Traceback" not in err
