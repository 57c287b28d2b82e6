"""docs/http-api.md's Errors section names every error code the request path and the interfaces can answer (the
HTTP routes, direct invoke, the CLI): a code added to the code without a line in the docs fails here."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
PKG = REPO / "function" / "sambert_lambda"
INTERFACE_MODULES = [*sorted(PKG.glob("api/*.py")), *sorted(PKG.glob("frontend/*.py")),
                     *(PKG / n for n in ("errors.py", "request.py", "service.py", "synthesizer.py", "audio.py",
                                          "audiostream.py", "marks.py", "cli.py", "handler.py"))]
BATCH_MODULES = [*sorted(PKG.glob("batch/*.py")), *sorted(PKG.glob("storage/*.py"))]
CODE = re.compile(r'\bcode\s*=\s*"([a-z_]+)"|error \[([a-z_]+)\]')


def codes_in_source(modules=INTERFACE_MODULES) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in modules:
        for m in CODE.finditer(path.read_text(encoding="utf-8")):
            found.setdefault(m.group(1) or m.group(2), set()).add(path.name)
    return found


def test_every_interface_error_code_is_in_the_error_table():
    doc = (REPO / "docs" / "http-api.md").read_text(encoding="utf-8")
    errors = doc.split("## Errors", 1)[1].split("\n## ", 1)[0]
    codes = codes_in_source()
    assert {"nothing_speakable", "unknown_voice", "invalid_output", "io_error"} <= set(codes)  # the scan works
    missing = {code: sorted(where) for code, where in codes.items() if f"`{code}`" not in errors}
    assert missing == {}


def test_every_batch_and_storage_error_code_is_documented():
    """The batch path's codes (manifests, logs, retries) are in docs/batch.md or the HTTP error table."""
    docs = "".join((REPO / "docs" / name).read_text(encoding="utf-8") for name in ("batch.md", "http-api.md"))
    codes = codes_in_source(BATCH_MODULES)
    assert {"deferred", "invalid_message", "empty_file", "invalid_key"} <= set(codes)  # the scan works
    missing = {code: sorted(where) for code, where in codes.items() if f"`{code}`" not in docs}
    assert missing == {}
