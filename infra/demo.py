"""The README's first command (``./scripts/demo``): synthesize one sentence through the real Lambda runtime loop.

1. the model: ``TTS_MODEL_DIR`` or ``MODELSCOPE_CACHE`` if they hold a baked model, else the tiny random-weight test
   voice in ``var/model`` with its ONNX export for the default engine (made once; its audio is noise-like and
   labelled as test-voice audio); a model directory without an ONNX export runs on the torch engine;
2. LocalStack in host mode on 127.0.0.1:4566, with the template's bucket and queues (``infra/resources.json``);
3. the function under the Lambda Runtime Interface Emulator with awslambdaric (``infra/rie.py``);
4. a Function URL event (payload 2.0, as a real Function URL sends) for POST /v1/tts with emotion happy;
5. the presigned URL is printed, fetched over HTTP, and the WAV's duration printed; a direct invoke of the same
   request then shows the content-addressed cache (``cached: true``);
6. everything it started is stopped, also on error or Ctrl-C. On a terminal it first waits for Enter, since the
   printed URL works only while LocalStack runs (``--no-wait``: stop at once).
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import sys
import time
import urllib.request
import wave
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
TEXT = "今天天气真好，我们去公园散步吧。"
DEMO_BUCKET = "sambert-lambda-demo"
TEST_VOICE_DIR = REPO / "var" / "model"


def find_model() -> tuple[dict[str, str], bool]:
    """(model env for the function, is_test_voice). A real baked model wins over the test voice."""
    from sambert_lambda.engine.modeldir import cache_candidates
    from sambert_lambda.settings import DEFAULT_MODEL_ID

    if (
        os.environ.get("TTS_MODEL_DIR")
        and (Path(os.environ["TTS_MODEL_DIR"]) / "voices" / "voices.json").is_file()
    ):
        d = Path(os.environ["TTS_MODEL_DIR"])
        return {"TTS_MODEL_DIR": str(d), **_backend_for(d)}, _is_test_voice(d)
    if os.environ.get("MODELSCOPE_CACHE"):
        model_id = os.environ.get("TTS_MODEL_ID", DEFAULT_MODEL_ID)
        for d in cache_candidates(Path(os.environ["MODELSCOPE_CACHE"]), model_id):
            if (d / "voices" / "voices.json").is_file():
                return {
                    "MODELSCOPE_CACHE": os.environ["MODELSCOPE_CACHE"],
                    "TTS_MODEL_ID": model_id,
                    **_backend_for(d),
                }, _is_test_voice(d)
    if not (TEST_VOICE_DIR / "voices" / "voices.json").is_file():
        from sambert_lambda.engine.testvoice import make_test_voice

        print(
            f"demo: no baked model found (TTS_MODEL_DIR / MODELSCOPE_CACHE); making the tiny test voice in {TEST_VOICE_DIR}"
        )
        make_test_voice(TEST_VOICE_DIR, size="tiny", voices=4)
    ensure_onnx_export(TEST_VOICE_DIR)
    return {"TTS_MODEL_DIR": str(TEST_VOICE_DIR), "TTS_MODEL_ID": "test-voice"}, True


def _backend_for(model_dir: Path) -> dict[str, str]:
    """A model directory without an ONNX export runs on the torch engine, unless the caller chose an engine."""
    from sambert_lambda.engine.voice import ONNX_SUBDIR

    if os.environ.get("TTS_BACKEND") or os.environ.get("TTS_ONNX_DIR") or (model_dir / ONNX_SUBDIR).is_dir():
        return {}
    print(f"demo: {model_dir} has no ONNX export ({ONNX_SUBDIR}/); using the torch engine (TTS_BACKEND=torch)")
    return {"TTS_BACKEND": "torch"}


def ensure_onnx_export(model_dir: Path) -> None:
    """The default engine (onnx) runs the voices' ONNX export in ``model_dir/onnx/``: write it once, as an image
    build does (``sambert-lambda export-onnx``)."""
    from sambert_lambda.engine.torch.onnx_export import export_voice_onnx
    from sambert_lambda.engine.voice import ONNX_SUBDIR

    names = json.loads((model_dir / "voices" / "voices.json").read_text())["voices"]
    missing = [n for n in names if not (model_dir / ONNX_SUBDIR / n).is_dir()]
    if missing:
        print(f"demo: exporting {len(missing)} test voice(s) for the ONNX engine to {model_dir / ONNX_SUBDIR}")
        for name in missing:
            export_voice_onnx(model_dir / "voices" / name, model_dir / ONNX_SUBDIR / name)


def _is_test_voice(model_dir: Path) -> bool:
    try:
        return bool(json.loads((model_dir / "configuration.json").read_text()).get("test_voice", False))
    except (OSError, ValueError):
        return False


def function_url_event(path: str, body: dict[str, Any]) -> dict[str, Any]:
    """A Function URL (payload 2.0) request, from the generated fixture in tests/events/."""
    event = json.loads((REPO / "tests" / "events" / "http-api-proxy.json").read_text())
    raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
    event.update(
        rawPath=path,
        rawQueryString="",
        cookies=[],
        queryStringParameters={},
        pathParameters={},
        headers={"content-type": "application/json", "host": "demo.lambda-url.us-east-1.on.aws"},
        body=base64.b64encode(raw).decode(),
        isBase64Encoded=True,
    )
    event["requestContext"]["http"].update(method="POST", path=path, sourceIp="127.0.0.1")
    event["requestContext"].pop("authentication", None)
    event["requestContext"].pop("authorizer", None)
    return event


def fetch_wav(url: str) -> tuple[float, int, int]:
    """GET the presigned URL; (duration seconds, sample rate, bytes)."""
    with urllib.request.urlopen(url, timeout=30) as r:  # noqa: S310 - the presigned URL of our local endpoint
        data = r.read()
    with wave.open(io.BytesIO(data)) as w:
        return w.getnframes() / w.getframerate(), w.getframerate(), len(data)


def run_demo(text: str, emotion: str, voice: str | None, wait: bool = True) -> int:
    from infra import localstack
    from infra.rie import RIE

    t0 = time.monotonic()
    model_env, test_voice = find_model()
    label = " [TEST-VOICE AUDIO: random weights, not speech]" if test_voice else ""
    with localstack.running() as endpoint:
        stack = localstack.ensure_resources(endpoint, DEMO_BUCKET)
        print(f"demo: LocalStack at {endpoint}, bucket {stack['bucket']}")
        env = {**stack["env"], **model_env, "TTS_THREADS": os.environ.get("TTS_THREADS", "2")}
        log = REPO / "var" / "demo-rie.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with RIE(env=env, log_path=log) as rie:
            print(f"demo: function running under the Lambda RIE on 127.0.0.1:{rie.port} (log: {log})")
            request = {
                "text": text,
                "emotion": emotion,
                "format": "wav",
                **({"voice": voice} if voice else {}),
            }
            t1 = time.monotonic()
            resp = rie.invoke(function_url_event("/v1/tts", request))
            took = time.monotonic() - t1
            status = resp.get("statusCode") if isinstance(resp, dict) else None
            body = json.loads(resp.get("body") or "{}") if isinstance(resp, dict) else {}
            if status != 200:
                print(
                    f"demo: the function answered {status}: {json.dumps(body, ensure_ascii=False)}",
                    file=sys.stderr,
                )
                print(rie.logs()[-3000:], file=sys.stderr)
                return 1
            print(
                f"demo: POST /v1/tts via a Function URL event -> 200 in {took:.2f} s "
                f"(voice {body.get('voice')}, emotion {body.get('emotion')}, cached {body.get('cached')})"
            )
            print(f"demo: presigned URL{label}:\n{body['url']}")
            duration, rate, size = fetch_wav(body["url"])
            print(f"demo: fetched {size} bytes over HTTP: WAV {rate} Hz, {duration:.2f} s{label}")
            again = rie.invoke(request)  # direct invoke: same JSON as /v1/tts
            print(
                f"demo: same request by direct invoke -> cached {again.get('cached')}, new URL expires {again.get('expires_at')}"
            )
        if wait and sys.stdin.isatty():
            # the presigned URL points at this LocalStack: it works for as long as LocalStack runs
            try:
                input("demo: the URL above works while LocalStack runs; press Enter to stop it ")
            except EOFError:
                pass
    print(f"demo: done in {time.monotonic() - t0:.1f} s; LocalStack and the RIE were stopped")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="./scripts/demo", description=__doc__.split("\n\n")[0])
    p.add_argument("--text", default=TEXT)
    p.add_argument("--emotion", default="happy")
    p.add_argument("--voice", default=None)
    p.add_argument("--no-wait", action="store_true",
                   help="stop LocalStack at once (without it, on a terminal, the demo waits for Enter so the URL can"
                   " be opened)")
    a = p.parse_args(argv)
    try:
        return run_demo(a.text, a.emotion, a.voice, wait=not a.no_wait)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
