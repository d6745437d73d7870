"""The on-demand runbook (ssm-documents/credential_report_export.yaml): valid against the
Automation schema of npm's aws-ssm-document-language-service, plus what that schema does not
know: template placeholders, references between parameters and steps, the step graph, the
actions' documented time limits against the function's 900 s, and the embedded scripts."""

import json
import re
import types

import pytest

from conftest import SSM_DOCUMENT, need, variable_default
from ssm_runbook import (
    ACCEPTED,
    ACTION_MAX_SECONDS,
    iso_seconds,
    load_script,
    reference_problems,
    render,
    step_map,
    template_problems,
    templatefile_arguments,
    unexpected_diagnostics,
    validate,
)

SAMPLE = {
    "automation_role_arn": "arn:aws:iam::123456789012:role/idc-credential-report-automation",
    "function_name": "idc-credential-report",
    "report_bucket": "security-reports-123456789012",
    "report_bucket_owner": "123456789012",
    "latest_manifest_key": "identity-center/latest/credential-report.manifest.json",
}
MARGIN_SECONDS = 120


def template_text() -> str:
    return SSM_DOCUMENT.read_text()


@pytest.fixture(scope="module")
def doc():
    yaml = need("yaml")
    return yaml.safe_load(render(template_text(), SAMPLE))


def test_placeholders_match_templatefile_in_ssm_tf():
    text = template_text()
    placeholders = set(re.findall(r"\$\{([a-z_]+)\}", text))
    assert placeholders == set(SAMPLE), placeholders
    # templatefile() would read any other dollar-brace or percent-brace as template syntax.
    assert not template_problems(text)
    passed = templatefile_arguments("ssm.tf", SSM_DOCUMENT.name)
    assert passed == placeholders, f"ssm.tf passes {sorted(passed)}, the document uses {sorted(placeholders)}"


def test_valid_against_the_automation_schema(tmp_path):
    rendered = render(template_text(), SAMPLE)
    path = tmp_path / "credential_report_export.yaml"
    path.write_text(rendered)
    unexpected, accepted_seen = unexpected_diagnostics(path, rendered)
    assert not unexpected, "\n".join(unexpected)
    assert accepted_seen == {a[0] for a in ACCEPTED}, "an accepted diagnostic no longer appears: remove it from ACCEPTED"


def test_validator_reports_errors(tmp_path):
    # Proves the validation above can fail: an unknown action and a missing input.
    broken = render(template_text(), SAMPLE).replace("action: aws:sleep", "action: aws:nap", 1).replace("      FunctionName: \"{{ FunctionName }}\"\n", "", 1)
    path = tmp_path / "broken.yaml"
    path.write_text(broken)
    messages = " ".join(d["message"] for d in validate(path))
    assert "aws:nap" in messages or "Value is not accepted" in messages, messages
    assert "FunctionName" in messages, messages


def test_references_name_declared_parameters_and_step_outputs(doc):
    assert doc["assumeRole"] == "{{ AutomationAssumeRole }}"
    problems = reference_problems(doc)
    assert not problems, "\n".join(problems)


def test_parameters(doc):
    lookback = doc["parameters"]["LookbackDays"]
    assert lookback["type"] == "Integer" and lookback["default"] == variable_default("lookback_days") == 90
    role = doc["parameters"]["AutomationAssumeRole"]
    assert role["type"] == "String" and re.fullmatch(role["allowedPattern"], SAMPLE["automation_role_arn"])
    for name, p in doc["parameters"].items():
        if "allowedPattern" in p and isinstance(p.get("default"), str):
            assert re.fullmatch(p["allowedPattern"], p["default"]), f"{name}: default {p['default']!r} fails its own pattern"


def test_step_graph(doc):
    steps = step_map(doc)
    for s in doc["mainSteps"]:
        for key in ("nextStep", "onFailure"):
            target = s.get(key, "")
            target = target[len("step:"):] if target.startswith("step:") else target
            if target and target not in ("Abort", "Continue"):
                assert target in steps, f"{s['name']}.{key} -> {target}"
    invoke = steps["InvokeReport"]
    assert invoke["action"] == "aws:invokeLambdaFunction"
    assert invoke["inputs"]["InvocationType"] == "RequestResponse"
    assert invoke["inputs"]["FunctionName"] == "{{ FunctionName }}"
    assert invoke["nextStep"] == "Summarize" and invoke["onFailure"] == "step:WaitWhileReportRuns"
    assert steps["Summarize"]["isEnd"] and steps["AwaitReport"]["isEnd"]


def test_time_limits_cover_the_function_timeout(doc):
    steps = step_map(doc)
    for s in doc["mainSteps"]:
        limit = ACTION_MAX_SECONDS.get(s["action"])
        if limit:
            assert "timeoutSeconds" in s, f"{s['name']}: set timeoutSeconds (the default may be shorter than needed)"
            assert int(s["timeoutSeconds"]) <= limit, f"{s['name']}: {s['timeoutSeconds']} s is beyond {s['action']}'s documented {limit} s"
    function_timeout = variable_default("timeout")
    assert function_timeout == 900
    # The longest path: the invoke step times out, the runbook sleeps, then waits for the manifest.
    covered = (
        int(steps["InvokeReport"]["timeoutSeconds"])
        + iso_seconds(steps["WaitWhileReportRuns"]["inputs"]["Duration"])
        + int(steps["AwaitReport"]["timeoutSeconds"])
    )
    assert covered >= function_timeout + MARGIN_SECONDS, f"the runbook waits {covered} s, the function may run {function_timeout} s"
    # The script gives up before the step's own timeout, so that its message is the one shown.
    budget = int(re.search(r"BUDGET_SECONDS = (\d+)", steps["AwaitReport"]["inputs"]["Script"]).group(1))
    assert budget + 15 < int(steps["AwaitReport"]["timeoutSeconds"])
    assert int(steps["InvokeReport"]["timeoutSeconds"]) + iso_seconds(steps["WaitWhileReportRuns"]["inputs"]["Duration"]) + budget >= function_timeout + MARGIN_SECONDS


def test_prepare_builds_the_payload(doc):
    prepare, _ = load_script(step_map(doc)["PrepareRun"])
    out = prepare({"lookback_days": "30"}, None)
    payload = json.loads(out["payload"])
    assert payload == {"lookback_days": 30, "as_of": out["as_of"]}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", out["as_of"])
    for bad in ("0", "3654"):
        with pytest.raises(ValueError):
            prepare({"lookback_days": bad}, None)


def test_summarize_reads_the_answer_and_reports_failures(doc):
    summarize, _ = load_script(step_map(doc)["Summarize"])
    answer = {
        "report_s3_uri": "s3://b/p/reports/year=2026/month=11/day=22/credential-report-2026-11-22T00:00:00Z.csv",
        "latest_s3_uri": "s3://b/p/latest/credential-report.csv",
        "manifest_s3_uri": "s3://b/p/reports/year=2026/month=11/day=22/credential-report-2026-11-22T00:00:00Z.manifest.json",
        "rows": 12, "used": 9, "unused": 3, "warnings": 1,
    }
    assert summarize({"response": json.dumps(answer)}, None) == answer
    assert summarize({"response": answer}, None) == answer
    with pytest.raises(RuntimeError, match="The report failed: Unhandled: boom"):
        summarize({"response": json.dumps({"errorType": "Unhandled", "errorMessage": "boom"})}, None)
    with pytest.raises(RuntimeError, match="lacks"):
        summarize({"response": json.dumps({"rows": 1})}, None)


def test_await_report_waits_for_this_runs_manifest(doc):
    class ClientError(Exception):
        def __init__(self, code):
            self.response = {"Error": {"Code": code}}

    manifests = [ClientError("NoSuchKey"), {"as_of": "2026-11-20T00:00:00Z"}, {"as_of": "2026-11-22T00:00:00Z", "report": {"rows": 5, "used": 4, "unused": 1}, "warnings": [{"code": "no_cli_events"}]}]
    calls = []

    class S3:
        def get_object(self, **kwargs):
            calls.append(kwargs)
            item = manifests.pop(0)
            if isinstance(item, Exception):
                raise item
            return {"Body": types.SimpleNamespace(read=lambda: json.dumps(item).encode())}

    boto3 = types.ModuleType("boto3")
    boto3.client = lambda service: S3()
    botocore = types.ModuleType("botocore")
    exceptions = types.ModuleType("botocore.exceptions")
    exceptions.ClientError = ClientError
    botocore.exceptions = exceptions
    await_report, namespace = load_script(step_map(doc)["AwaitReport"], {"boto3": boto3, "botocore": botocore, "botocore.exceptions": exceptions})
    # No real waiting in the test (a stand-in, so that the real time module stays untouched).
    namespace["time"] = types.SimpleNamespace(monotonic=lambda: 0.0, sleep=lambda seconds: None)
    out = await_report({"bucket": "b", "bucket_owner": "123456789012", "manifest_key": "p/latest/credential-report.manifest.json", "as_of": "2026-11-22T00:00:00Z"}, None)
    assert out == {
        "latest_s3_uri": "s3://b/p/latest/credential-report.csv",
        "manifest_s3_uri": "s3://b/p/latest/credential-report.manifest.json",
        "rows": 5, "used": 4, "unused": 1, "warnings": 1,
    }
    assert len(calls) == 3 and all(c["ExpectedBucketOwner"] == "123456789012" for c in calls)
