"""Reading S3 notifications (Powertools' S3Event): which records become uploads, with keys decoded."""

from __future__ import annotations

import copy

from sambert_lambda.batch.handlers import s3_records
from tests.support.batch import s3_event


def test_object_created_record_gives_bucket_decoded_key_and_version():
    event = s3_event("in-bucket", "input/报告 第1版+final.txt")
    event["Records"][0]["s3"]["object"]["versionId"] = "v42"
    assert s3_records(event) == [("in-bucket", "input/报告 第1版+final.txt", "v42")]


def test_other_events_and_incomplete_records_are_skipped():
    event = s3_event("b", "input/a.txt")
    good = event["Records"][0]
    removed = copy.deepcopy(good)
    removed["eventName"] = "ObjectRemoved:Delete"
    no_bucket = copy.deepcopy(good)
    del no_bucket["s3"]["bucket"]
    no_key = copy.deepcopy(good)
    no_key["s3"]["object"]["key"] = ""
    other_source = copy.deepcopy(good)
    other_source["eventSource"] = "aws:sqs"
    event["Records"] = [removed, no_bucket, good, no_key, other_source]
    assert s3_records(event) == [("b", "input/a.txt", None)]


def test_an_event_without_records_gives_nothing():
    assert s3_records({}) == [] and s3_records({"Records": []}) == []
