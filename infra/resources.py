"""Read ``infra/resources.json`` and render its rules in the S3 API's shapes.

The JSON holds neutral descriptions (prefix, days, suffixes). This module turns them into the structures that
``put_bucket_lifecycle_configuration`` and ``put_bucket_notification_configuration`` take, so the local stack and
the template's checks read one source.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

RESOURCES_PATH = Path(__file__).with_name("resources.json")


@functools.lru_cache(maxsize=1)
def load() -> dict[str, Any]:
    """The parsed ``resources.json`` (cached; treat it as read-only)."""
    with RESOURCES_PATH.open(encoding="utf-8") as f:
        return json.load(f)


def local_queue_name(bucket: str, queue: str) -> str:
    """Local queue name for ``queue`` (fanout, dlq, s3_events_local) of ``bucket``."""
    return f"{bucket}-{load()['queues'][queue]['local_suffix']}"


def visibility_timeout(function_timeout: int) -> int:
    """Fan-out queue visibility timeout for a function timeout (AWS advises at least 6x)."""
    return int(load()["queues"]["fanout"]["visibility_timeout_factor"]) * int(function_timeout)


def s3_lifecycle_rules() -> list[dict[str, Any]]:
    """Lifecycle rules in the S3 API shape (``put_bucket_lifecycle_configuration``)."""
    rules: list[dict[str, Any]] = []
    for r in load()["bucket"]["lifecycle_rules"]:
        rule: dict[str, Any] = {"ID": r["id"], "Status": "Enabled", "Filter": {"Prefix": r.get("prefix", "")}}
        if "expiration_days" in r:
            rule["Expiration"] = {"Days": int(r["expiration_days"])}
        if "abort_incomplete_multipart_days" in r:
            rule["AbortIncompleteMultipartUpload"] = {
                "DaysAfterInitiation": int(r["abort_incomplete_multipart_days"])
            }
        rules.append(rule)
    return rules


def normalize_s3_lifecycle(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """S3 API lifecycle rules (as returned by ``get_bucket_lifecycle_configuration``) -> the JSON's neutral shape."""
    out: list[dict[str, Any]] = []
    for r in rules:
        prefix = r.get("Filter", {}).get("Prefix", r.get("Prefix", "")) or ""
        item: dict[str, Any] = {"id": r["ID"], "prefix": prefix}
        if "Expiration" in r and "Days" in r["Expiration"]:
            item["expiration_days"] = int(r["Expiration"]["Days"])
        if "AbortIncompleteMultipartUpload" in r:
            item["abort_incomplete_multipart_days"] = int(
                r["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"]
            )
        out.append(item)
    return sorted(out, key=lambda x: x["id"])


def s3_notification_filters() -> list[dict[str, Any]]:
    """One S3 key filter per suffix: S3 allows a single prefix and a single suffix rule per configuration."""
    n = load()["bucket"]["notification"]
    return [
        {"Key": {"FilterRules": [{"Name": "prefix", "Value": n["prefix"]}, {"Name": "suffix", "Value": s}]}}
        for s in n["suffixes"]
    ]


def normalize_filters(configs: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Notification configurations (S3 API shape) -> sorted (prefix, suffix) pairs."""
    pairs = []
    for c in configs:
        rules = {
            fr["Name"].lower(): fr["Value"]
            for fr in c.get("Filter", {}).get("Key", {}).get("FilterRules", [])
        }
        pairs.append((rules.get("prefix", ""), rules.get("suffix", "")))
    return sorted(pairs)


def expected_filter_pairs() -> list[tuple[str, str]]:
    n = load()["bucket"]["notification"]
    return sorted((n["prefix"], s) for s in n["suffixes"])
