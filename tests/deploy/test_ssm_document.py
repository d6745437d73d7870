"""The on-demand runbook (ssm-documents/credential_report_export.yaml): valid against the
Automation schema of npm's aws-ssm-document-language-service, plus what that schema does not
know: template placeholders, references between parameters and steps, the step graph, the
actions' documented time limits against the function's 900 s, and the embedded scripts."""

import json
import re
import subprocess
import sys
import types

import pytest

from conftest import ROOT, SSM_DOCUMENT, TERRAFORM_DIR, need, need_file, need_node, variable_default

SAMPLE = {
    "automation_role_arn": "arn:aws:iam::123456789012:role/idc-credential-report-automation",
    "function_name": "idc-credential-report",
    "report_bucket": "security-reports-123456789012",
    "report_bucket_owner": "123456789012",
    "latest_manifest_key": "identity-center/latest/credential-report.manifest.json",
}
# Documented maximum run time of each action used (AWS Systems Manager user guide).
ACTION_MAX_SECONDS = {"aws:invokeLambdaFunction": 300, "aws:executeScript": 600}
IMPLICIT_OUTPUTS = {"aws:invokeLambdaFunction": {"StatusCode", "FunctionError", "LogResult", "Payload"}}
MARGIN_SECONDS = 120
# Diagnostics of the language service that are reviewed and accepted: (message start, the
# text the flagged line must hold, why).
ACCEPTED = [
    (
        "Value is not accepted. Valid values: \"python3.6\", \"python3.7\"",
        "Runtime: python3.11",
        "the package's schema (2020) predates the current aws:executeScript runtimes; 3.6 and 3.7 are retired",
    ),
]


def template_text() -> str:
    return SSM_DOCUMENT.read_text()


def render(text: str, values=SAMPLE) -> str:
    return re.sub(r"\$\{([a-z_]+)\}", lambda m: values[m.group(1)], text)


@pytest.fixture(scope="module")
def doc():
    yaml = need("yaml")
    return yaml.safe_load(render(template_text()))


def test_placeholders_match_templatefile_in_ssm_tf():
    text = template_text()
    placeholders = set(re.findall(r"\$\{([a-z_]+)\}", text))
    assert placeholders == set(SAMPLE), placeholders
    # templatefile() would read any other dollar-brace or percent-brace as template syntax.
    assert len(re.findall(r"\$\{", text)) == len(re.findall(r"\$\{[a-z_]+\}", text))
    assert "%{" not in text
    ssm_tf = (TERRAFORM_DIR / "ssm.tf").read_text()
    call = ssm_tf[ssm_tf.index("templatefile("):]
    call = call[: call.index("})") + 2]
    passed = set(re.findall(r"^\s*([a-z_]+)\s*=", call, re.M))
    assert passed == placeholders, f"ssm.tf passes {sorted(passed)}, the document uses {sorted(placeholders)}"


def validate(path) -> list[dict]:
    node = need_node()
    need_file(ROOT / "node_modules" / "aws-ssm-document-language-service", "run `make test-deploy` (or `npm ci --legacy-peer-deps`)")
    run = subprocess.run([node, str(ROOT / "tests/deploy/ssm_validate.mjs"), str(path)], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_valid_against_the_automation_schema(tmp_path):
    rendered = render(template_text())
    path = tmp_path / "credential_report_export.yaml"
    path.write_text(rendered)
    lines = rendered.splitlines()
    unexpected, accepted_seen = [], set()
    for d in validate(path):
        line = lines[d["range"]["start"]["line"]]
        match = [a for a in ACCEPTED if d["message"].startswith(a[0]) and a[1] in line]
        if match:
            accepted_seen.add(match[0][0])
        else:
            unexpected.append(f"line {d['range']['start']['line'] + 1}: {d['message']} [{line.strip()}]")
    assert not unexpected, "\n".join(unexpected)
    assert accepted_seen == {a[0] for a in ACCEPTED}, "an accepted diagnostic no longer appears: remove it from ACCEPTED"


def test_validator_reports_errors(tmp_path):
    # Proves the validation above can fail: an unknown action and a missing input.
    broken = render(template_text()).replace("action: aws:sleep", "action: aws:nap", 1).replace("      FunctionName: \"{{ FunctionName }}\"\n", "", 1)
    path = tmp_path / "broken.yaml"
    path.write_text(broken)
    messages = " ".join(d["message"] for d in validate(path))
    assert "aws:nap" in messages or "Value is not accepted" in messages, messages
    assert "FunctionName" in messages, messages


def step_map(doc) -> dict:
    steps = {s["name"]: s for s in doc["mainSteps"]}
    assert len(steps) == len(doc["mainSteps"]), "step names must be unique"
    return steps


def step_outputs(step) -> set[str]:
    return {o["Name"] for o in step.get("outputs", [])} | IMPLICIT_OUTPUTS.get(step["action"], set())


def test_references_name_declared_parameters_and_step_outputs(doc):
    steps = step_map(doc)
    order = [s["name"] for s in doc["mainSteps"]]
    params = set(doc["parameters"])
    problems = []
    for index, name in enumerate(order):
        text = json.dumps(steps[name].get("inputs", {}))
        for ref in re.findall(r"\{\{\s*([^}\s]+)\s*\}\}", text):
            if ":" in ref:  # system variables such as global:DATE_TIME
                continue
            if "." in ref:
                source, output = ref.split(".", 1)
                if source not in steps:
                    problems.append(f"{name}: {{{{ {ref} }}}} names no step")
                elif order.index(source) >= index:
                    problems.append(f"{name}: {{{{ {ref} }}}} names a step that runs later")
                elif output not in step_outputs(steps[source]):
                    problems.append(f"{name}: {{{{ {ref} }}}}: {source} has no output {output}")
            elif ref not in params:
                problems.append(f"{name}: {{{{ {ref} }}}} is not a parameter")
    assert doc["assumeRole"] == "{{ AutomationAssumeRole }}"
    for ref in doc["outputs"]:
        source, output = ref.split(".", 1)
        if source not in steps or output not in step_outputs(steps[source]):
            problems.append(f"document output {ref} names no step output")
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


def iso_seconds(duration: str) -> int:
    m = re.fullmatch(r"PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?", duration)
    assert m, duration
    h, mnt, s = (int(g or 0) for g in m.groups())
    return h * 3600 + mnt * 60 + s


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


def load_script(step, extra_modules=None):
    namespace = {}
    saved = {k: sys.modules.get(k) for k in (extra_modules or {})}
    sys.modules.update(extra_modules or {})
    try:
        exec(compile(step["inputs"]["Script"], step["name"], "exec"), namespace)
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v
    return namespace[step["inputs"]["Handler"]], namespace


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
