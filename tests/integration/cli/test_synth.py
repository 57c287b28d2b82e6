"""``sambert-lambda synth`` as a subprocess: the output path and the request are checked before any synthesis,
with the same validation as the API, and errors are ``error [code]`` lines, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from sambert_lambda.audio import decode


def synth(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sambert_lambda", "synth", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd)


def assert_error(proc: subprocess.CompletedProcess, code: str) -> None:
    assert proc.returncode == 1, proc.stderr
    assert f"error [{code}]" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


# A model directory that does not exist: if the check came after loading, the error would be about the model.
NO_MODEL = ("--model-dir", "/nonexistent/model")


def test_missing_directory_is_refused_before_synthesis(tmp_path):
    assert_error(synth("你好", "-o", str(tmp_path / "no" / "x.wav"), *NO_MODEL), "invalid_output")


def test_directory_as_output_is_refused(tmp_path):
    assert_error(synth("你好", "-o", str(tmp_path), *NO_MODEL), "invalid_output")


@pytest.mark.parametrize("args,code", [
    (("--sample-rate", "44100"), "invalid_sample_rate"),
    (("--sample-rate", "16001"), "invalid_sample_rate"),
    (("--speed", "3"), "invalid_speed"),
    (("--format", "MP3"), "format_mismatch"),
])
def test_same_validation_as_the_api(tmp_path, args, code):
    assert_error(synth("你好", "-o", str(tmp_path / "x.wav"), *args, *NO_MODEL), code)
    assert not (tmp_path / "x.wav").exists()


def test_unknown_extension_without_format(tmp_path):
    assert_error(synth("你好", "-o", str(tmp_path / "x.audio"), *NO_MODEL), "invalid_format")


def test_format_from_extension_and_ssml_detected(tmp_path, test_voice_dir):
    out = tmp_path / "x.mp3"
    proc = synth('<speak>你好<break time="200ms"/>世界</speak>', "-o", str(out), "--model-dir", str(test_voice_dir),
                 "--sample-rate", "8000")
    assert proc.returncode == 0, proc.stderr
    assert "TEST VOICE" in proc.stderr and "(mp3," in proc.stderr
    data = out.read_bytes()
    audio, rate = decode(data, "mp3")
    assert rate == 8000 and audio.size > 0.2 * 8000  # the break alone is 200 ms


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sambert_lambda", *args], capture_output=True, text=True, timeout=300)


def test_unwritable_paths_and_bad_ports_are_error_lines_not_tracebacks(tmp_path):
    """Every command, not only synth: an OSError is an ``error [io_error]`` line; a port out of range is a usage
    error (exit 2) before uvicorn is started."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    proc = cli("make-test-voice", str(blocker / "model"), "--size", "tiny")
    assert_error(proc, "io_error")
    assert str(blocker) in proc.stderr
    proc = cli("serve", "--port", "99999")
    assert proc.returncode == 2 and "--port" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def test_serve_on_a_taken_port_is_an_error_line_before_the_model_loads(tmp_path):
    """uvicorn's own 'ERROR: [Errno 98] ...' (exit 3) came after the model load; a bad log level was a KeyError."""
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = cli("serve", "--port", str(port))
    assert_error(proc, "io_error")
    assert f"127.0.0.1:{port}" in proc.stderr and "service ready" not in proc.stderr, proc.stderr
    proc = cli("serve", "--log-level", "bogus")
    assert proc.returncode == 2 and "--log-level" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


@pytest.mark.parametrize("content,code", [(None, "invalid_lexicon"), ("银行 yin2\n", "invalid_lexicon"),
                                          (b"\xff\xfe", "invalid_lexicon")])
def test_analyze_and_synth_report_a_bad_lexicon_file_alike(tmp_path, content, code):
    """--lexicon names the user's file: the same code and line shape as synth, not config_invalid for a setting."""
    path = tmp_path / "lex.txt"
    if content is not None:
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    proc = subprocess.run([sys.executable, "-m", "sambert_lambda", "analyze", "--lexicon", str(path)], input="银行\n",
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.startswith(f"sambert-lambda analyze: error [{code}]: ") and "Traceback" not in proc.stderr
    assert_error(synth("银行", "-o", str(tmp_path / "x.wav"), "--lexicon", str(path), *NO_MODEL), code)


@pytest.mark.parametrize("args,code", [
    (("--mark-types", "word"), "invalid_input"),  # without --marks it did nothing
    (("--symbols", "--emotion", "happy"), "invalid_input"),  # symbol lines carry their own emotion
    (("--symbols", "--marks", "m.jsonl"), "invalid_input"),
    (("--marks", "x.wav"), "invalid_output"),  # the marks overwrote the audio
    (("--captions", "./x.wav"), "invalid_captions"),  # neither .vtt nor .srt
    (("--captions", "c.txt"), "invalid_captions"),  # was written as WebVTT
    (("--captions", "x.vtt", "--marks", "./x.vtt"), "invalid_output"),
])
def test_options_that_would_be_ignored_or_clash_are_refused(tmp_path, args, code):
    proc = synth("你好", "-o", "x.wav", *args, *NO_MODEL, cwd=tmp_path)
    assert_error(proc, code)
    assert not (tmp_path / "x.wav").exists()


def test_symbols_honour_speed(tmp_path, test_voice_dir):
    lines = subprocess.run([sys.executable, "-m", "sambert_lambda", "symbols"], input="今天天气很好。\n",
                           capture_output=True, text=True, timeout=300, check=True).stdout
    durations = []
    for speed in ("1", "2"):
        out = tmp_path / f"s{speed}.wav"
        proc = synth(lines, "-o", str(out), "--symbols", "--speed", speed, "--model-dir", str(test_voice_dir))
        assert proc.returncode == 0, proc.stderr
        audio, rate = decode(out.read_bytes(), "wav")
        durations.append(len(audio) / rate)
    assert durations[1] < 0.7 * durations[0], durations


def test_symbols_reads_a_line_starting_with_speak_as_ssml():
    """As on every interface: the tags of an SSML line were turned into letters (s p e a k ...)."""
    def symbols(text):
        return subprocess.run([sys.executable, "-m", "sambert_lambda", "symbols", "--line-numbers"], input=text,
                              capture_output=True, text=True, timeout=300)

    plain = symbols("你好\n世界\n").stdout.splitlines()
    proc = symbols('<speak>你好<break time="1s"/>世界</speak>\n<speak>😀</speak>\n')
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [plain[0], "1\t1\t" + plain[1].split("\t", 2)[2], "2\t-\t"], proc.stdout
    bad = symbols('你好\n你好<break time="1s"/>\n')
    assert bad.returncode == 1 and "error [ssml_without_speak]: line 2:" in bad.stderr, bad.stderr


def test_analyze_says_why_it_does_not_analyze_an_ssml_line():
    """Its tags were analyzed as words ("speak", "break time等于...")."""
    proc = subprocess.run([sys.executable, "-m", "sambert_lambda", "analyze"], capture_output=True, text=True,
                          input='<speak>你好<break time="1s"/>世界</speak>\n你好<break/>\n你好\n', timeout=300)
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(x) for x in proc.stdout.splitlines()]
    assert [r["reason"].split(":")[0] for r in rows[:2]] == ["unsupported", "ssml_without_speak"], rows
    assert rows[0]["words"] == [] and rows[2]["normalized"] == "你好", rows


def test_dash_out_writes_the_audio_to_stdout(tmp_path, test_voice_dir):
    """`-o -` wrote a file named '-' in the working directory."""
    proc = subprocess.run([sys.executable, "-m", "sambert_lambda", "synth", "你好", "-o", "-", "--format", "flac",
                           "--model-dir", str(test_voice_dir)], capture_output=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    audio, rate = decode(proc.stdout, "flac")
    assert rate == 16000 and audio.size > 0 and b"wrote stdout (flac" in proc.stderr
    assert not (tmp_path / "-").exists()
