"""Static checks of template.yaml and the Dockerfile: linters, security defaults, least privilege, and no drift from
``infra/resources.json`` (the file the local stack is built from).

Linters run as the real tools: ``sam validate --lint``, ``cfn-lint`` with the serverless rules, ``checkov``
(offline) and ``hadolint``. checkov and hadolint live in ``.tools/checkov`` (their pins conflict with the app's);
``scripts/bootstrap`` creates it. A missing tool fails the test: a check that did not run is not a pass.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import REPO

TEMPLATE = REPO / "template.yaml"
DOCKERFILE = REPO / "Dockerfile"
VENV_BIN = Path(sys.executable).parent
TOOLS_BIN = REPO / ".tools" / "checkov" / "bin"


def _tool(name: str, *dirs: Path) -> str:
    for d in dirs:
        if (d / name).exists():
            return str(d / name)
    found = shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed; run ./scripts/bootstrap (it installs the static-check tools)")
    return found


@pytest.fixture(scope="module")
def raw() -> dict:
    from cfnlint.decode import cfn_yaml

    return json.loads(json.dumps(cfn_yaml.load(str(TEMPLATE))))


@pytest.fixture(scope="module")
def transformed(raw) -> dict:
    """The template after the SAM transform, as CloudFormation would receive it."""
    from samtranslator.translator.transform import transform

    class _NoManagedPolicies:
        def load(self) -> dict:
            return {}

    tpl = json.loads(json.dumps(raw))
    # sam build fills ImageUri from the Metadata (Dockerfile); the transform needs a value.
    tpl["Resources"]["TtsFunction"]["Properties"]["ImageUri"] = (
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/tts:v1"
    )
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    return transform(tpl, {}, _NoManagedPolicies())


@pytest.fixture(scope="module")
def res() -> dict:
    from infra import resources

    return resources.load()


def _props(tpl: dict, name: str) -> dict:
    return tpl["Resources"][name]["Properties"]


def _by_type(tpl: dict, typ: str) -> dict[str, dict]:
    return {k: v for k, v in tpl["Resources"].items() if v["Type"] == typ}


# ------------------------------------------------------------------------------------------------ linters


def test_sam_validate_lint():
    sam = _tool("sam", VENV_BIN)
    r = subprocess.run(
        [sam, "validate", "--lint", "--template", str(TEMPLATE)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "SAM_CLI_TELEMETRY": "0", "AWS_DEFAULT_REGION": "us-east-1"},
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "is a valid SAM Template" in r.stdout + r.stderr


def test_cfn_lint_with_serverless_rules_is_clean():
    cfn_lint = _tool("cfn-lint", VENV_BIN)
    # the file goes first: --append-rules swallows the words after it
    r = subprocess.run(
        [cfn_lint, str(TEMPLATE), "-a", "cfn_lint_serverless.rules"], capture_output=True, text=True
    )
    assert r.returncode == 0, r.stdout + r.stderr


def test_cfn_lint_serverless_rules_are_really_loaded(tmp_path):
    """Guard against a silent no-op: the same rules must flag a function that lacks what ours has."""
    cfn_lint = _tool("cfn-lint", VENV_BIN)
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  F:\n    Type: AWS::Serverless::Function\n"
        "    Properties:\n      Runtime: python3.12\n      Handler: a.b\n      InlineCode: x\n"
    )
    r = subprocess.run(
        [cfn_lint, str(bad), "-a", "cfn_lint_serverless.rules"], capture_output=True, text=True
    )
    assert re.search(r"\bW?S\d{4}\b", r.stdout), r.stdout


def _checkov(*files: Path) -> dict:
    checkov = _tool("checkov", TOOLS_BIN)
    args = [checkov, "--framework", "cloudformation", "dockerfile", "--skip-download", "-o", "json"]
    for f in files:
        args += ["-f", str(f)]
    r = subprocess.run(
        args,
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true", "BC_SKIP_MAPPING": "TRUE"},
    )
    out = json.loads(r.stdout)
    return {d["check_type"]: d for d in (out if isinstance(out, list) else [out])}


def test_checkov_template_and_dockerfile_clean_with_argued_suppressions():
    reports = _checkov(TEMPLATE, DOCKERFILE)
    assert set(reports) == {"cloudformation", "dockerfile"}
    for kind, rep in reports.items():
        failed = rep["results"]["failed_checks"]
        assert not failed, f"{kind}: " + ", ".join(f"{c['check_id']} {c['resource']}" for c in failed)
        assert rep["summary"]["passed"] > 10, kind
        for c in rep["results"]["skipped_checks"]:
            reason = (c.get("check_result") or {}).get("suppress_comment") or ""
            assert len(reason) > 30, (
                f"{kind}: suppression of {c['check_id']} has no argued reason: {reason!r}"
            )


def test_checkov_catches_an_unsafe_template(tmp_path):
    """The same checkov run flags a public, unencrypted bucket: the clean result above is not a no-op."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      AccessControl: PublicRead\n"
    )
    rep = _checkov(bad)["cloudformation"]
    assert rep["results"]["failed_checks"]


def test_hadolint_clean():
    hadolint = _tool("hadolint", TOOLS_BIN)
    r = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


# ------------------------------------------------------------------------------------------------ Function URL


def test_function_url_defaults_to_aws_iam(raw):
    assert raw["Parameters"]["FunctionUrlAuthType"]["Default"] == "AWS_IAM"
    assert set(raw["Parameters"]["FunctionUrlAuthType"]["AllowedValues"]) == {"AWS_IAM", "NONE"}
    urls = _by_type(raw, "AWS::Lambda::Url")
    assert len(urls) == 1
    (url,) = urls.values()
    assert url["Properties"]["AuthType"] == {"Ref": "FunctionUrlAuthType"}
    assert "FunctionUrlConfig" not in _props(raw, "TtsFunction")  # no second, SAM-made URL


def test_public_url_grants_both_invoke_permissions_only_when_none(raw):
    assert raw["Conditions"]["IsPublicUrl"] == {"Fn::Equals": [{"Ref": "FunctionUrlAuthType"}, "NONE"]}
    perms = _by_type(raw, "AWS::Lambda::Permission")
    public = {p["Properties"]["Action"]: p for p in perms.values() if p["Properties"].get("Principal") == "*"}
    assert set(public) == {"lambda:InvokeFunctionUrl", "lambda:InvokeFunction"}
    assert all(p.get("Condition") == "IsPublicUrl" for p in public.values())
    assert public["lambda:InvokeFunctionUrl"]["Properties"]["FunctionUrlAuthType"] == "NONE"
    assert public["lambda:InvokeFunction"]["Properties"]["InvokedViaFunctionUrl"] is True


# ------------------------------------------------------------------------------------------------ IAM


def _role_statements(tpl: dict) -> list[dict]:
    role = _props(tpl, "TtsFunctionRole")
    assert not role.get("ManagedPolicyArns"), "managed policies grant actions on '*'"
    stmts = []
    for pol in role.get("Policies", []):
        stmts += pol["PolicyDocument"]["Statement"]
    return stmts


def _actions(stmt: dict) -> set[str]:
    a = stmt["Action"]
    return {a} if isinstance(a, str) else set(a)


def _resource_text(stmt: dict) -> str:
    return json.dumps(stmt["Resource"])


def test_function_uses_the_least_privilege_role(transformed):
    fn = _props(transformed, "TtsFunction")
    assert fn["Role"] == {"Fn::GetAtt": ["TtsFunctionRole", "Arn"]}
    assert list(_by_type(transformed, "AWS::IAM::Role")) == ["TtsFunctionRole"]


def test_s3_permissions_are_exactly_the_listed_ones(transformed, res):
    inp, out = res["bucket"]["input_prefix"], res["bucket"]["output_prefix"]
    s3 = {}
    for st in _role_statements(transformed):
        assert st["Effect"] == "Allow"
        assert "*" not in _actions(st) and not any(a.endswith(":*") for a in _actions(st))
        assert st["Resource"] != "*"
        acts = {a for a in _actions(st) if a.startswith("s3:")}
        if acts:
            assert acts == _actions(st), "S3 and other actions mixed in one statement"
            text = _resource_text(st)
            scope = "input" if f"/{inp}*" in text else "output" if f"/{out}*" in text else "bucket"
            if scope == "bucket":
                assert re.search(r"s3:::sambert-\$\{AWS::AccountId\}-\$\{StackSuffix\}\"", text), text
            s3.setdefault(scope, set()).update(acts)
    assert s3 == {
        "input": {"s3:GetObject"},
        "output": {"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"},
        "bucket": {"s3:ListBucket"},
    }


def test_sqs_and_logs_permissions_name_their_resources(transformed):
    seen: dict[str, set[str]] = {}
    for st in _role_statements(transformed):
        for a in _actions(st):
            if a.startswith(("sqs:", "logs:")):
                seen.setdefault(a, set()).add(_resource_text(st))
    assert seen["sqs:SendMessage"] == {
        json.dumps({"Fn::GetAtt": ["FanoutQueue", "Arn"]}),
        json.dumps({"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}),
    }
    for a in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"):
        assert seen[a] == {json.dumps({"Fn::GetAtt": ["FanoutQueue", "Arn"]})}
    assert seen["logs:PutLogEvents"] == {json.dumps({"Fn::GetAtt": ["FunctionLogGroup", "Arn"]})}
    assert "logs:CreateLogGroup" not in seen


def test_bucket_name_is_one_expression_everywhere(raw):
    name = _props(raw, "AudioBucket")["BucketName"]
    env = _props(raw, "TtsFunction")["Environment"]["Variables"]
    assert env["TTS_BUCKET"] == name
    suffix = name["Fn::Sub"][1]
    for st in _role_statements(raw):
        if any(a.startswith("s3:") for a in _actions(st)):
            assert st["Resource"]["Fn::Sub"][1] == suffix


# ------------------------------------------------------------------------------------------------ bucket


def test_bucket_private_encrypted_tls_only(raw):
    b = _props(raw, "AudioBucket")
    assert b["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    sse = b["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert sse == {"SSEAlgorithm": "AES256"}
    (policy,) = _by_type(raw, "AWS::S3::BucketPolicy").values()
    (deny,) = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Action"] == "s3:*" and deny["Principal"] == "*"


def test_lifecycle_equals_resources_json(raw, res):
    got = []
    for r in _props(raw, "AudioBucket")["LifecycleConfiguration"]["Rules"]:
        assert r["Status"] == "Enabled"
        item = {"id": r["Id"], "prefix": r.get("Prefix", "")}
        if "ExpirationInDays" in r:
            item["expiration_days"] = r["ExpirationInDays"]
        if "AbortIncompleteMultipartUpload" in r:
            item["abort_incomplete_multipart_days"] = r["AbortIncompleteMultipartUpload"][
                "DaysAfterInitiation"
            ]
        got.append(item)
    assert sorted(got, key=lambda x: x["id"]) == sorted(
        res["bucket"]["lifecycle_rules"], key=lambda x: x["id"]
    )
    assert {"id": "expire-output", "prefix": "output/", "expiration_days": 1} in got


def test_notifications_equal_resources_json(transformed, res):
    from infra import resources

    conf = _props(transformed, "AudioBucket")["NotificationConfiguration"]["LambdaConfigurations"]
    pairs = sorted(
        (
            {r["Name"]: r["Value"] for r in c["Filter"]["S3Key"]["Rules"]}["prefix"],
            {r["Name"]: r["Value"] for r in c["Filter"]["S3Key"]["Rules"]}["suffix"],
        )
        for c in conf
    )
    assert pairs == resources.expected_filter_pairs()
    assert {c["Event"] for c in conf} == set(res["bucket"]["notification"]["events"])
    assert all(c["Function"] == {"Fn::GetAtt": ["TtsFunction", "Arn"]} for c in conf)
    # each S3 permission is limited to this account (SAM's S3 event adds SourceAccount)
    s3_perms = [
        p
        for p in _by_type(transformed, "AWS::Lambda::Permission").values()
        if p["Properties"]["Principal"] == "s3.amazonaws.com"
    ]
    assert len(s3_perms) == len(conf)
    assert all(p["Properties"].get("SourceAccount") == {"Ref": "AWS::AccountId"} for p in s3_perms)


# ------------------------------------------------------------------------------------------------ queues


def test_queues_equal_resources_json(raw, transformed, res):
    fq, dq = _props(raw, "FanoutQueue"), _props(raw, "DeadLetterQueue")
    cfg_f, cfg_d = res["queues"]["fanout"], res["queues"]["dlq"]
    assert fq["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]},
        "maxReceiveCount": cfg_f["max_receive_count"],
    }
    assert fq["MessageRetentionPeriod"] == cfg_f["message_retention_seconds"]
    assert dq["MessageRetentionPeriod"] == cfg_d["message_retention_seconds"]
    assert fq["SqsManagedSseEnabled"] is True and dq["SqsManagedSseEnabled"] is True
    # visibility timeout = factor x function timeout, for every allowed timeout
    allowed = raw["Parameters"]["FunctionTimeout"]["AllowedValues"]
    assert allowed == res["function"]["timeout_allowed"]
    assert raw["Parameters"]["FunctionTimeout"]["Default"] == res["function"]["timeout_default"]
    assert fq["VisibilityTimeout"] == {
        "Fn::FindInMap": ["QueueVisibility", {"Ref": "FunctionTimeout"}, "Seconds"]
    }
    mapping = raw["Mappings"]["QueueVisibility"]
    assert {int(k): v["Seconds"] for k, v in mapping.items()} == {
        t: cfg_f["visibility_timeout_factor"] * t for t in allowed
    }
    assert cfg_f["visibility_timeout_factor"] >= 6
    (esm,) = _by_type(transformed, "AWS::Lambda::EventSourceMapping").values()
    assert esm["Properties"]["BatchSize"] == cfg_f["batch_size"]
    assert esm["Properties"]["FunctionResponseTypes"] == cfg_f["function_response_types"]
    assert esm["Properties"]["EventSourceArn"] == {"Fn::GetAtt": ["FanoutQueue", "Arn"]}


def test_async_failures_go_to_the_dlq(transformed, res):
    (eic,) = _by_type(transformed, "AWS::Lambda::EventInvokeConfig").values()
    p = eic["Properties"]
    assert p["MaximumRetryAttempts"] == res["function"]["async_max_retry_attempts"]
    assert p["MaximumEventAgeInSeconds"] == res["function"]["async_max_event_age_seconds"]
    assert p["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}


# ------------------------------------------------------------------------------------------------ function


def test_function_settings(raw, res):
    fn = _props(raw, "TtsFunction")
    assert fn["PackageType"] == "Image"
    assert fn["RecursiveLoop"] == "Terminate"
    assert fn["ReservedConcurrentExecutions"] == {"Ref": "ReservedConcurrency"}
    assert fn["Architectures"] == [{"Ref": "Architecture"}]
    assert set(raw["Parameters"]["Architecture"]["AllowedValues"]) == {"x86_64", "arm64"}
    assert raw["Parameters"]["MemorySize"]["Default"] == res["function"]["memory_default"]
    assert raw["Parameters"]["ApiKey"]["NoEcho"] is True
    meta = raw["Resources"]["TtsFunction"]["Metadata"]
    assert meta["Dockerfile"] == "Dockerfile" and meta["DockerContext"] == "." and meta["DockerTag"]
    assert fn["LoggingConfig"]["LogGroup"] == {"Ref": "FunctionLogGroup"}
    assert _props(raw, "FunctionLogGroup")["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    assert raw["Parameters"]["LogRetentionDays"]["Default"] == res["function"]["log_retention_days"]


def test_environment_names_and_prefixes_match_resources_and_settings(raw, res):
    from sambert_lambda.settings import Settings

    env = _props(raw, "TtsFunction")["Environment"]["Variables"]
    names = res["env"]
    for key in (
        "bucket",
        "input_prefix",
        "output_prefix",
        "url_expires",
        "max_chars",
        "queue_url",
        "api_key",
    ):
        assert names[key] in env, names[key]
    assert env[names["input_prefix"]] == res["bucket"]["input_prefix"]
    assert env[names["output_prefix"]] == res["bucket"]["output_prefix"]
    assert env[names["lifecycle_days"]] == str(res["bucket"]["lifecycle_rules"][0]["expiration_days"])
    assert env[names["queue_url"]] == {"Ref": "FanoutQueue"}
    assert env[names["batch_max_receive"]] == str(res["queues"]["fanout"]["max_receive_count"])
    # the application's defaults agree with the infrastructure's names
    defaults = Settings(_env_file=None, bucket="b")
    assert defaults.input_prefix == res["bucket"]["input_prefix"]
    assert defaults.output_prefix == res["bucket"]["output_prefix"]
    assert defaults.lifecycle_days == res["bucket"]["lifecycle_rules"][0]["expiration_days"]
    assert raw["Parameters"]["UrlExpiresSeconds"]["MaxValue"] <= 12 * 3600


def test_alarms_and_outputs(raw):
    alarms = {
        (a["Properties"]["Namespace"], a["Properties"]["MetricName"])
        for a in _by_type(raw, "AWS::CloudWatch::Alarm").values()
    }
    assert alarms == {
        ("AWS/Lambda", "Errors"),
        ("AWS/Lambda", "Throttles"),
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
    }
    assert {"FunctionUrl", "Bucket", "Queue"} <= set(raw["Outputs"])


def test_function_url_buffers_by_default_and_streams_behind_a_parameter(raw, transformed):
    param = raw["Parameters"]["FunctionUrlInvokeMode"]
    assert param["Default"] == "BUFFERED" and set(param["AllowedValues"]) == {"BUFFERED", "RESPONSE_STREAM"}
    assert _props(raw, "TtsFunctionUrl")["InvokeMode"] == {"Ref": "FunctionUrlInvokeMode"}
    assert raw["Conditions"]["IsStreaming"] == {"Fn::Equals": [{"Ref": "FunctionUrlInvokeMode"}, "RESPONSE_STREAM"]}
    env = _props(transformed, "TtsFunction")["Environment"]["Variables"]
    assert env["AWS_LWA_INVOKE_MODE"] == {"Fn::If": ["IsStreaming", "response_stream", {"Ref": "AWS::NoValue"}]}


def test_jobs_topic_is_optional_encrypted_and_the_only_sns_permission(raw, transformed):
    from sambert_lambda.settings import Settings

    param = raw["Parameters"]["JobNotifications"]
    assert param["Default"] == "false" and set(param["AllowedValues"]) == {"false", "true"}
    topic = raw["Resources"]["JobsTopic"]
    assert topic["Condition"] == "HasJobsTopic" and topic["Properties"]["KmsMasterKeyId"] == "alias/aws/sns"
    policy = raw["Resources"]["JobsTopicPublishPolicy"]
    assert policy["Condition"] == "HasJobsTopic" and policy["Properties"]["Roles"] == [{"Ref": "TtsFunctionRole"}]
    (stmt,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert stmt["Action"] == "sns:Publish" and stmt["Resource"] == {"Ref": "JobsTopic"}
    sns = [st for st in _role_statements(transformed) if any(a.startswith("sns:") for a in _actions(st))]
    assert sns == []  # no SNS action on the role itself
    env = _props(transformed, "TtsFunction")["Environment"]["Variables"]
    assert env["TTS_JOBS_TOPIC_ARN"] == {"Fn::If": ["HasJobsTopic", {"Ref": "JobsTopic"}, {"Ref": "AWS::NoValue"}]}
    assert "jobs_topic_arn" in Settings.model_fields
    assert raw["Outputs"]["JobsTopicArn"]["Condition"] == "HasJobsTopic"


# ------------------------------------------------------------------------------------------------ Dockerfile


def _instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        s = line.strip()
        if s and not s.startswith("#"):
            word, _, rest = s.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_dockerfile_shape():
    ins = _instructions()
    froms = [r for w, r in ins if w == "FROM"]
    assert len(froms) >= 3 and all(":latest" not in f for f in froms)
    assert ("ENTRYPOINT", '["python", "-m", "awslambdaric"]') in ins
    assert ("CMD", '["sambert_lambda.handler.handler"]') in ins
    args = {r.split("=", 1)[0]: r.split("=", 1)[1] if "=" in r else None for w, r in ins if w == "ARG"}
    assert args["MODEL"] == "iic/speech_sambert-hifigan_tts_zh-cn_16k" and "MODEL_REVISION" in args
    runs = " ".join(r for w, r in ins if w == "RUN")
    assert args["TORCH_INDEX_URL"] == "https://download.pytorch.org/whl/cpu" and args["PACKAGES"] == "index"
    assert '--index-url "$TORCH_INDEX_URL"' in runs and "no-index = true" in runs and "find-links = /wheelhouse" in runs
    assert "-r requirements/lambda.txt" in runs and "--no-cache-dir" in runs
    assert "bake-model" in runs and "--test-voice" in runs and '"$MODEL" = "test-voice"' in runs
    # no architecture-specific downloads: the same file builds linux/amd64 and linux/arm64
    assert not re.search(r"x86_64|amd64|aarch64|arm64", runs)
    from tools.image_size import TRIM

    assert all(f'"$site"/{t}' in runs for t in TRIM)  # the size report trims what the image trims
    env = " ".join(r for w, r in ins if w == "ENV")
    assert "HOME=/tmp" in env and "XDG_CACHE_HOME=/tmp" in env and "TTS_MODEL_DIR=/opt/model" in env


def _stages() -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(base, name, instructions) per FROM, in file order."""
    out: list[tuple[str, str, list[tuple[str, str]]]] = []
    for word, rest in _instructions():
        if word == "FROM":
            parts = rest.split()
            out.append((parts[0], parts[2] if len(parts) > 2 and parts[1].upper() == "AS" else "", []))
        elif out:
            out[-1][2].append((word, rest))
    return out


def test_the_streaming_stage_is_optional_last_and_never_built_by_default(raw):
    stages = _stages()
    names = [name for _, name, _ in stages]
    assert names[-2:] == ["web-adapter", "runtime-onnx-streaming"]  # last: no other target builds it
    pulled = {base for base, _, _ in stages} - set(names)
    assert pulled == {"${BASE_IMAGE}", "${EXPORT_BASE_IMAGE}", "${WEB_ADAPTER_IMAGE}"}
    assert stages[-2][0] == "${WEB_ADAPTER_IMAGE}" and stages[-1][0] == "runtime-onnx"
    uses = [r for _, name, ins in stages for w, r in ins if w == "COPY" and "--from=web-adapter" in r]
    assert uses == ["--from=web-adapter /lambda-adapter /opt/extensions/lambda-adapter"]
    assert all("--from=web-adapter" not in r for _, name, ins in stages[:-1] for _, r in ins)
    ins = dict(stages[-1][2])
    env = dict(kv.split("=", 1) for kv in ins["ENV"].split())
    assert env["AWS_LWA_INVOKE_MODE"] == "response_stream" and env["AWS_LWA_READINESS_CHECK_PATH"] == "/healthz"
    assert env["AWS_LWA_HOST"] == "127.0.0.1"
    assert json.loads(ins["ENTRYPOINT"]) == ["python", "-m", "sambert_lambda", "serve", "--port", env["AWS_LWA_PORT"]]
    # sam build makes the buffered image: the Metadata names it, since the last stage is the streaming one
    assert raw["Resources"]["TtsFunction"]["Metadata"]["DockerBuildTarget"] == "runtime-onnx"


def test_dockerignore_is_an_allow_list():
    lines = [
        ln.strip()
        for ln in (REPO / ".dockerignore").read_text().splitlines()
        if ln.strip() and not ln.startswith("#")
    ]
    assert lines[0] == "*"
    allowed = {ln[1:].rstrip("/") for ln in lines if ln.startswith("!")}
    assert allowed == {
        "requirements/lambda.txt",
        "requirements/lambda-onnx.txt",
        "pyproject.toml",
        "README.md",
        "NOTICE",
        "function",
        "wheelhouse",
    }
    assert (REPO / "wheelhouse" / "README.md").is_file()  # COPY wheelhouse/ needs the directory in every checkout
    copied = " ".join(r for w, r in _instructions() if w == "COPY" and "--from" not in r)
    for path in ("requirements/lambda.txt", "requirements/lambda-onnx.txt", "pyproject.toml", "function"):
        assert path in copied
