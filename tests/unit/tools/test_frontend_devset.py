"""The frontend dev-set scorer (tools.frontend_bench.prosody) and the shape of the shipped dev set."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.frontend_bench.prosody import DEVSET, HELDBACK, load, parse_marked, score


def test_marks_give_break_levels_after_characters():
    text, brk = parse_marked("北京#1今天#3，天气#1好#4。")
    assert text == "北京今天，天气好。"
    assert brk == {1: 1, 3: 3, 6: 1, 7: 4}


@pytest.mark.parametrize("path", [DEVSET, HELDBACK], ids=["devset", "heldback"])
def test_every_labelled_sentence_has_one_syllable_per_character_and_valid_breaks(path: Path):
    items = load(path)
    assert len(items) >= 100
    assert {it["category"] for it in items} == {"news", "dialogue", "numbers", "mixed"}
    for it in items:
        assert len(it["pinyin"]) == len(it["han"]), it["line"]
        assert it["breaks"].get(it["han"][-1]) == 4, it["line"]
        assert all(p[-1] in "12345" for p in it["pinyin"]), it["line"]


def test_scores_are_perfect_on_what_the_frontend_itself_says_and_drop_on_wrong_labels(tmp_path: Path):
    from sambert_lambda.frontend.pipeline import OpenFrontend

    fe = OpenFrontend()
    text = "卡尔普陪外孙玩滑梯。"
    words = fe.analyze(text)["words"]
    marked = "".join(w["text"] + (f"#{w['break']}" if w["break"] else "") for w in words)
    pinyin = " ".join(p for w in words for p in w["pinyin"])
    good = tmp_path / "good.tsv"
    good.write_text(f"news\t\t{marked}\t{pinyin}\n", encoding="utf-8")
    r = score(fe, good)
    assert r["syllable_accuracy"] == 1.0 and r["breaks"][">=#1"]["f1"] == 1.0
    bad = tmp_path / "bad.tsv"
    bad.write_text(f"news\t\t{marked.replace('#1', '')}\t{pinyin.replace('5', '4').replace('3', '1')}\n",
                   encoding="utf-8")
    r = score(fe, bad)
    assert r["breaks"][">=#1"]["precision"] < 1.0 and r["syllable_accuracy"] < 1.0


def test_shipped_dev_set_scores(tmp_path: Path):
    r = score(path=DEVSET)
    assert r["tn_mismatch"] == 0
    assert set(r["breaks"]) == {">=#1", ">=#2", ">=#3"}


def test_dev_and_held_back_parts_are_large_enough_and_share_no_sentence():
    dev, held = load(DEVSET), load(HELDBACK)
    assert len(dev) + len(held) >= 300
    assert not {it["text"] for it in dev} & {it["text"] for it in held}


def test_bench_reports_the_held_back_part_separately_and_never_lists_its_errors(capsys):
    import argparse
    import json

    from tools.frontend_bench import cli

    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    assert cli.run(parser.parse_args(["--skip-speed", "--errors"])) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["devset"]["sentences"] == len(load(DEVSET))
    assert report["heldback"]["sentences"] == len(load(HELDBACK))
    assert "errors" in report["devset"] and "errors" not in report["heldback"]
