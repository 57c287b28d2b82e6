"""Parsing uploads into items and units; whole-file checks."""

from __future__ import annotations

import json

import pytest

from sambert_lambda.batch.chunking import chunk_text, sentences
from sambert_lambda.batch.jobs import (
    FileError,
    Options,
    decode_text,
    defaults_from_metadata,
    kind_of,
    parse_file,
)
from tests.support.batch import jsonl_50_with_3_bad

KW = {"max_bytes": 1000, "chunk_chars": 20, "max_txt_chars": 500, "default_fmt": "mp3"}


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty_file"),
        (b" \n\t\n", "empty_file"),
        ("\ufeff  ".encode(), "empty_file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary_file"),
        (bytes(range(256)) * 4, "binary_file"),
        ("你好，世界。".encode("gbk"), "invalid_encoding"),
        ("你好".encode("utf-16"), "invalid_encoding"),
    ],
)
def test_unusable_files_are_named(data, code):
    with pytest.raises(FileError) as err:
        decode_text(data)
    assert err.value.code == code


def test_bom_is_stripped_and_text_kept():
    assert decode_text("\ufeff你好。".encode()) == "你好。"


def test_kind_from_extension():
    assert kind_of("input/a/b.TXT") == "txt"
    assert kind_of("input/x.jsonl") == "jsonl"
    assert kind_of("input/x.ssml") == "ssml"
    with pytest.raises(FileError) as err:
        kind_of("input/x.pdf")
    assert err.value.code == "unsupported_file_type"


def test_over_size_limit():
    with pytest.raises(FileError) as err:
        parse_file("input/a.txt", b"a" * 1001, {}, **KW)
    assert err.value.code == "too_large"
    assert err.value.status == 413


def test_jsonl_50_lines_with_3_bad():
    data, bad = jsonl_50_with_3_bad()
    parsed = parse_file("input/a.jsonl", data, {}, **{**KW, "max_bytes": 10**6})
    assert [i.line for i in parsed.items] == list(range(1, 51))
    failed = {i.line: i.error.code for i in parsed.items if i.error}
    assert failed == {7: "invalid_json"}  # unknown voice and bad SSML are found by the synthesizer
    assert 7 in bad
    assert set(parsed.units) == set(range(1, 51)) - {7}
    assert parsed.units[41].ssml is True
    by_line = {i.line: i for i in parsed.items}
    assert by_line[10].options.fmt == "wav" and by_line[3].options.fmt == "mp3"
    assert by_line[14].options.emotion == "happy"
    assert by_line[22].options.voice == "zhiyan_emo"
    assert by_line[5].id == "l5"


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("[1, 2]", "invalid_json"),
        ('{"id": 3}', "empty_text"),
        ('{"text": "   "}', "empty_text"),
        ('{"text": "好", "format": "aiff"}', "invalid_format"),
        ('{"text": "好", "speed": "fast"}', "invalid_speed"),
        ('{"text": "好", "speed": true}', "invalid_speed"),
        ('{"text": "好", "ssml": "yes"}', "invalid_input"),
        ('{"text": "好", "voice": 5}', "invalid_voice"),
        ('{"text": "好", "speed": 3}', "invalid_speed"),  # the request's own range, refused at parse time
        ('{"text": "好", "speed": "1.5"}', "invalid_speed"),  # JSON lines take JSON numbers, as the API does
        ("[" * 100_000, "invalid_json"),
    ],
)
def test_bad_jsonl_line_fails_alone(line, code):
    data = (line + "\n\n" + json.dumps({"text": "好的"}) + "\n").encode()
    parsed = parse_file("input/a.jsonl", data, {}, **{**KW, "max_bytes": 10**6})
    assert [(i.line, i.error.code if i.error else None) for i in parsed.items] == [(1, code), (3, None)]
    assert list(parsed.units) == [3]


def test_metadata_gives_defaults_and_lines_override():
    opts, err = defaults_from_metadata({"Voice": "zhizhe_emo", "format": "WAV", "speed": "1.25"}, "mp3")
    assert err is None
    assert opts == Options(voice="zhizhe_emo", emotion="neutral", fmt="wav", speed=1.25)
    data = b'{"text": "a"}\n{"text": "b", "format": "ogg", "voice": "zhitian_emo"}\n'
    parsed = parse_file("input/a.jsonl", data, {"voice": "zhizhe_emo", "format": "wav"}, **KW)
    assert [(i.options.voice, i.options.fmt) for i in parsed.items] == [("zhizhe_emo", "wav"), ("zhitian_emo", "ogg")]


def test_speech_marks_come_from_metadata_or_the_line():
    opts, err = defaults_from_metadata({"speech-marks": "word, sentence"}, "mp3")
    assert err is None and opts.marks == ("word", "sentence")
    data = b'{"text": "a"}\n{"text": "b", "speech_marks": ["ssml"]}\n{"text": "c", "speech_marks": ["viseme"]}\n'
    parsed = parse_file("input/a.jsonl", data, {"speech-marks": "word"}, **KW)
    assert [i.options.marks for i in parsed.items[:2]] == [("word",), ("ssml",)]
    assert parsed.items[2].error is not None and parsed.items[2].error.code == "invalid_speech_marks"
    _, err = defaults_from_metadata({"speech-marks": "words"}, "mp3")
    assert err is not None and err.code == "invalid_speech_marks"


def test_txt_chunks_know_their_byte_offset_in_the_file():
    text = "  今天天气很好。我们去公园散步吧！\nHello there. 你觉得怎么样？"
    parsed = parse_file("input/a.txt", text.encode(), {}, **KW)
    raw = text.encode()
    for u in parsed.units.values():
        assert raw[u.byte_offset:].decode().startswith(u.text)


def test_bad_metadata_fails_every_item_with_reason():
    parsed = parse_file("input/a.txt", "你好。".encode(), {"format": "aiff"}, **KW)
    assert parsed.items[0].error is not None and parsed.items[0].error.code == "invalid_format"
    assert parsed.units == {}


def test_txt_is_one_item_of_sentence_chunks():
    text = "今天天气很好。我们去公园散步吧！你觉得怎么样？好的，那就这么定了。"
    parsed = parse_file("input/a.txt", text.encode(), {}, **KW)
    assert len(parsed.items) == 1 and parsed.items[0].assembled
    chunks = [parsed.units[u].text for u in parsed.items[0].units]
    assert len(chunks) > 1 and all(len(c) <= 20 for c in chunks)
    assert "".join(chunks) == text
    assert all(c[-1] in "。！？" for c in chunks)


def test_txt_over_its_limit_is_a_file_error():
    with pytest.raises(FileError) as err:
        parse_file("input/a.txt", ("好" * 501).encode(), {}, **{**KW, "max_bytes": 10**6})
    assert err.value.code == "too_large"


def test_ssml_is_one_unit():
    parsed = parse_file("input/a.ssml", b"<speak>hi</speak>\n", {}, **KW)
    assert parsed.units[1].ssml and parsed.units[1].text == "<speak>hi</speak>"


def test_a_long_ssml_is_one_item_of_standalone_ssml_parts_that_know_their_bytes():
    text = '\n <speak><emotion category="sad">' + "今天天气很好。" * 12 + "</emotion></speak>\n"
    parsed = parse_file("input/a.ssml", text.encode(), {}, **{**KW, "chunk_chars": 60})
    assert len(parsed.items) == 1 and parsed.items[0].assembled and len(parsed.units) >= 3
    raw = text.encode()
    for u in parsed.units.values():
        assert u.ssml and u.text.startswith('<speak><emotion category="sad">') and u.text.endswith("</emotion></speak>")
        body = u.text.encode()
        at = body.index("今".encode())  # the part's first character of the document's own text
        assert raw[u.byte_offset + at :].startswith(body[at : body.index(b"</emotion>")])


@pytest.mark.parametrize("doc", ["<speak>" + "好" * 80 + "</speak>", "<speak>今天。" * 30])
def test_an_ssml_that_cannot_be_cut_stays_one_unit(doc):
    """No place to cut (one 80-character run) or malformed: one unit, whose synthesis names the error."""
    parsed = parse_file("input/a.ssml", doc.encode(), {}, **{**KW, "chunk_chars": 20})
    assert list(parsed.units) == [1] and parsed.units[1].text == doc and not parsed.items[0].assembled


@pytest.mark.parametrize("size", [1, 5, 17, 60])
def test_chunks_respect_size_and_keep_every_character(size):
    text = "第一句。第二句很长很长很长很长很长很长，有逗号，还有、顿号！Hello world. 第三句？\n\n第四段"
    chunks = chunk_text(text, size)
    assert all(0 < len(c) <= size for c in chunks)
    assert "".join(chunks).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")


def test_sentences_end_at_terminal_punctuation_and_quotes():
    assert sentences("他说：“走吧！”然后走了。") == ["他说：“走吧！”", "然后走了。"]
