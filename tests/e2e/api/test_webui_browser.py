"""The web page in headless Chromium (Debian's chromium driven by Playwright): type, click, get a playable URL.

The app runs as ``sambert-lambda serve`` (uvicorn on 127.0.0.1) on the tiny test voice, with S3 on a moto server.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest

from tests.support.servers import local_serve_env, serve

pytest.importorskip("playwright")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which("chromium"), reason="needs Debian's chromium (apt-get install chromium)"),
]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="module")
def browser():
    """Playwright's sync API runs an event loop on this thread while it is open. pytest-playwright keeps it open for
    the whole session, which breaks every later test that drives asyncio on the main thread (Mangum). So the
    browser lives for this module only."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context()
    try:
        yield context.new_page()
    finally:
        context.close()



@pytest.fixture(scope="module")
def server(moto_endpoint, test_voice_dir, tmp_path_factory):
    import boto3

    bucket = f"fn-web-{uuid.uuid4().hex[:8]}"
    boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1").create_bucket(Bucket=bucket)
    env = {**os.environ, "AWS_ENDPOINT_URL": moto_endpoint, "TTS_BUCKET": bucket,
           "TTS_MODEL_DIR": str(test_voice_dir), "TTS_MAX_CHARS": "200"}
    with serve(env, tmp_path_factory.mktemp("web") / "serve.log") as base:
        yield base


@pytest.fixture(scope="session")
def shots(tmp_path_factory) -> Path:
    return Path(os.environ.get("WEBUI_SCREENSHOT_DIR") or tmp_path_factory.mktemp("screenshots"))


def test_type_click_and_play(page, server, shots):
    page.goto(server + "/")
    page.wait_for_function("document.querySelectorAll('#voice option').length === 4")
    assert page.input_value("#voice") == "zhitian_emo"
    assert page.is_visible("#test-voice-banner")  # the test voice is labelled: its audio is not speech
    emotions = page.eval_on_selector_all("#emotion option", "els => els.map(e => e.value)")
    assert "happy" in emotions and "arousal" not in emotions
    labels = page.eval_on_selector_all("#emotion option", "els => els.map(e => e.textContent)")
    assert "开心 (happy)" in labels and "中性 (neutral)" in labels
    page.select_option("#voice", "zhiyan_emo")
    assert "arousal" in page.eval_on_selector_all("#emotion option", "els => els.map(e => e.value)")
    page.select_option("#emotion", "happy")
    page.fill("#text", "你好，欢迎使用语音合成服务。")
    page.click("#synthesize")
    page.wait_for_selector("#result:not([hidden])", timeout=120_000)
    src = page.get_attribute("#player", "src")
    assert src.startswith("http://127.0.0.1:") and "X-Amz-Signature=" in src
    href = page.get_attribute("#download", "href")
    assert href == src or href.startswith("blob:")  # a blob when the bucket allows CORS
    # the browser itself loads and decodes the audio from the presigned URL
    page.wait_for_function("document.getElementById('player').readyState >= 1", timeout=30_000)
    duration = page.evaluate("document.getElementById('player').duration")
    assert duration > 0.2
    assert page.evaluate("document.getElementById('player').play().then(() => true)") is True
    assert page.is_hidden("#error")
    page.screenshot(path=str(shots / "webui-synthesized.png"), full_page=True)
    assert (shots / "webui-synthesized.png").stat().st_size > 10_000


def test_errors_are_shown_clearly(page, server, shots):
    page.goto(server + "/")
    page.wait_for_function("document.querySelectorAll('#voice option').length === 4")
    page.click("#synthesize")  # empty text: caught in the page
    assert "type some text" in page.inner_text("#error")
    page.fill("#text", "你好")
    page.fill("#speed", "5")
    page.click("#synthesize")
    page.wait_for_selector("#error:not([hidden])")
    page.wait_for_function("document.getElementById('error').textContent.includes('invalid_speed')")
    page.fill("#speed", "1")
    page.fill("#text", "字" * 201)
    page.click("#synthesize")
    page.wait_for_function("document.getElementById('error').textContent.includes('text_too_long')")
    assert "413" in page.inner_text("#error")
    page.screenshot(path=str(shots / "webui-error.png"), full_page=True)


@pytest.fixture(scope="module")
def local_server(test_voice_dir, tmp_path_factory):
    """``serve`` without S3: the audio is local files on the same origin."""
    with serve(local_serve_env(test_voice_dir), tmp_path_factory.mktemp("web-local") / "serve.log") as base:
        yield base


def test_controls_download_and_stale_result(page, local_server, tmp_path):
    page.goto(local_server + "/")
    page.wait_for_function("document.querySelectorAll('#voice option').length === 4")
    requests = []
    page.on("request", lambda r: requests.append(r.post_data_json) if r.url.endswith("/v1/tts") else None)
    page.fill("#text", '<speak>你好<break time="300ms"/>世界</speak>')
    page.fill("#pitch", "1.5")
    page.fill("#volume", "-6")
    page.select_option("#sample-rate", "8000")
    page.click("#synthesize")
    page.wait_for_selector("#result:not([hidden])", timeout=120_000)
    sent = requests[-1]
    assert (sent["pitch"], sent["volume"], sent["sample_rate"]) == (1.5, -6, 8000) and "ssml" not in sent
    page.wait_for_function("document.getElementById('download').href.startsWith('blob:')", timeout=30_000)
    with page.expect_download() as info:
        page.click("#download")
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    import soundfile as sf

    audio, rate = sf.read(saved)
    assert rate == 8000 and len(audio) > 0.3 * rate
    page.fill("#pitch", "9")  # refused by the API: the previous result must not stay on screen
    page.click("#synthesize")
    page.wait_for_function("document.getElementById('error').textContent.includes('invalid_pitch')")
    assert page.is_hidden("#result") and page.get_attribute("#player", "src") is None


def test_403_explains_aws_iam(page, local_server):
    page.route("**/v1/tts", lambda route: route.fulfill(status=403, content_type="application/json",
                                                          body='{"message": "Forbidden"}'))
    page.goto(local_server + "/")
    page.wait_for_function("document.querySelectorAll('#voice option').length === 4")
    page.fill("#text", "你好")
    page.click("#synthesize")
    page.wait_for_selector("#error:not([hidden])")
    assert "AWS_IAM" in page.inner_text("#error") and "API_KEY" in page.inner_text("#error")


def test_docs_renders_operations_offline(page, local_server, shots):
    """/docs is Swagger UI 5 from the package: it renders the OpenAPI 3.1 schema's operations, and the browser asks
    no host but the server for anything (every other request is aborted and recorded)."""
    foreign: list[str] = []

    def only_local(route):
        if route.request.url.startswith(local_server + "/"):
            route.continue_()
        else:
            foreign.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(local_server + "/docs")
    page.wait_for_selector(".opblock", timeout=30_000)
    paths = page.eval_on_selector_all(".opblock-summary-path", "els => els.map(e => e.textContent.trim())")
    assert {"/v1/tts", "/v1/audio/speech", "/v1/voices", "/v1/models", "/healthz"} <= set(paths)
    assert "OAS 3.1" in page.inner_text(".info")  # the schema version badge Swagger UI 5 shows
    assert not page.is_visible(".errors-wrapper")  # Swagger UI 4 showed "Unable to render this definition" here
    version = page.evaluate("window.versions && window.versions.swaggerUI && window.versions.swaggerUI.version")
    assert version and version.startswith("5."), version
    assert foreign == [] and errors == []
    page.screenshot(path=str(shots / "docs.png"), full_page=False)
