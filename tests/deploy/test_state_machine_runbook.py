"""The on-demand runbook of the step-functions orchestration
(ssm-documents/credential_report_export_state_machine.yaml): valid against the Automation
schema of npm's aws-ssm-document-language-service, its references, its steps (start an
execution, wait for any end, branch on SUCCEEDED, show the report's location), its wait
against the state machine's own timeout, its scripts, and the role it runs as."""

from __future__ import annotations

import json
import re
import types

import pytest

from conftest import ROOT, TERRAFORM_DIR, need, variable_default
from ssm_runbook import (
    ACCEPTED,
    load_script,
    reachable,
    reference_problems,
    render,
    step_map,
    successors,
    template_problems,
    templatefile_arguments,
    unexpected_diagnostics,
)
from test_state_machine import ANSWER, by_sid, locals_of, text
from test_iam import literal_list

DOCUMENT = ROOT / "ssm-documents" / "credential_report_export_state_machine.yaml"
SAMPLE = {
    "automation_role_arn": "arn:aws:iam::123456789012:role/idc-credential-report-automation",
    "state_machine_arn": "arn:aws:states:eu-west-1:123456789012:stateMachine:idc-credential-report",
    "runbook_wait_seconds": 43560,
}
TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}
EXECUTION_ARN = "arn:aws:states:eu-west-1:123456789012:execution:idc-credential-report:0f5e2b6a-1c1d-4e57-9c0a-3d3b2f1e0a11"


@pytest.fixture(scope="module")
def doc():
    return need("yaml").safe_load(render(DOCUMENT.read_text(), SAMPLE))


def test_placeholders_match_templatefile_in_ssm_tf():
    source = DOCUMENT.read_text()
    placeholders = set(re.findall(r"\$\{([a-z_]+)\}", source))
    assert placeholders == set(SAMPLE), placeholders
    assert not template_problems(source)
    passed = templatefile_arguments("ssm.tf", DOCUMENT.name)
    assert passed == placeholders, f"ssm.tf passes {sorted(passed)}, the document uses {sorted(placeholders)}"


def test_valid_against_the_automation_schema(tmp_path):
    rendered = render(DOCUMENT.read_text(), SAMPLE)
    path = tmp_path / DOCUMENT.name
    path.write_text(rendered)
    unexpected, accepted_seen = unexpected_diagnostics(path, rendered)
    assert not unexpected, "\n".join(unexpected)
    assert accepted_seen <= {a[0] for a in ACCEPTED}


def test_validator_knows_the_state_machine_actions(tmp_path):
    # Proves the validation above can fail on these actions: a missing stateMachineArn.
    broken = render(DOCUMENT.read_text(), SAMPLE).replace('      stateMachineArn: "{{ StateMachineArn }}"\n', "", 1)
    path = tmp_path / "broken.yaml"
    path.write_text(broken)
    unexpected, _ = unexpected_diagnostics(path, broken)
    assert any('Missing property "stateMachineArn"' in u for u in unexpected), unexpected


def test_references_name_declared_parameters_and_step_outputs(doc):
    assert doc["assumeRole"] == "{{ AutomationAssumeRole }}"
    problems = reference_problems(doc)
    assert not problems, "\n".join(problems)


def test_parameters(doc):
    params = doc["parameters"]
    assert params["LookbackDays"]["type"] == "Integer" and params["LookbackDays"]["default"] == variable_default("lookback_days")
    as_of = params["AsOf"]["allowedPattern"]
    for good in ("", "2026-11-22T00:00:00Z", "2026-11-22T00:00:00.123Z", "2026-11-22T01:00:00+01:00"):
        assert re.fullmatch(as_of, good), good
    for bad in ("2026-11-22", "yesterday", "2026-11-22T00:00:00", "2026-11-22 00:00:00Z"):
        assert not re.fullmatch(as_of, bad), bad
    assert re.fullmatch(params["StateMachineArn"]["allowedPattern"], SAMPLE["state_machine_arn"])
    for name, p in params.items():
        if "allowedPattern" in p and isinstance(p.get("default"), str):
            assert re.fullmatch(p["allowedPattern"], p["default"]), f"{name}: default {p['default']!r} fails its own pattern"


def test_steps_start_wait_branch_and_show_the_report(doc):
    steps = step_map(doc)
    assert [s["name"] for s in doc["mainSteps"]] == ["PrepareRun", "StartReport", "WaitForReport", "CheckSucceeded", "ReadResult", "Summarize", "ExplainFailure"]
    start = steps["StartReport"]
    assert start["action"] == "aws:executeStateMachine"
    assert start["inputs"] == {"stateMachineArn": "{{ StateMachineArn }}", "name": "{{ automation:EXECUTION_ID }}", "input": "{{ PrepareRun.Input }}"}
    describe = {"Service": "stepfunctions", "Api": "DescribeExecution", "executionArn": "{{ StartReport.executionArn }}"}
    wait = steps["WaitForReport"]
    assert wait["action"] == "aws:waitForAwsResourceProperty"
    assert {k: wait["inputs"][k] for k in describe} == describe
    assert wait["inputs"]["PropertySelector"] == "$.status" and set(wait["inputs"]["DesiredValues"]) == TERMINAL
    check = steps["CheckSucceeded"]
    assert check["action"] == "aws:assertAwsResourceProperty"
    assert {k: check["inputs"][k] for k in describe} == describe
    assert check["inputs"]["PropertySelector"] == "$.status" and check["inputs"]["DesiredValues"] == ["SUCCEEDED"]
    assert check["onFailure"] == "step:ExplainFailure" and check["nextStep"] == "ReadResult"
    read = steps["ReadResult"]
    assert read["action"] == "aws:executeAwsApi" and read["inputs"] == describe
    assert read["outputs"] == [{"Name": "Output", "Selector": "$.output", "Type": "String"}]
    assert steps["Summarize"]["isEnd"] and steps["ExplainFailure"]["isEnd"]
    for name in ("ReportS3Uri", "LatestS3Uri", "ManifestS3Uri", "Rows", "Used", "Unused", "Warnings"):
        assert f"Summarize.{name}" in doc["outputs"], name
    assert "StartReport.executionArn" in doc["outputs"]


def test_no_path_reaches_the_report_without_success(doc):
    graph = successors(doc)
    assert "Summarize" in reachable(graph, "PrepareRun")
    assert "Summarize" not in reachable(graph, "PrepareRun", removed="CheckSucceeded")
    assert "ExplainFailure" not in reachable(graph, "PrepareRun", removed="WaitForReport")


def test_the_wait_outlasts_the_state_machine():
    values = locals_of("ssm.tf")
    assert values["runbook_wait_seconds"] == "${local.execution_timeout_seconds + 600}"
    wait = next(s for s in need("yaml").safe_load(render(DOCUMENT.read_text(), SAMPLE))["mainSteps"] if s["name"] == "WaitForReport")
    assert wait["timeoutSeconds"] == SAMPLE["runbook_wait_seconds"]
    # The defaults: 41 task timeouts of 960 s and an hour, then ten minutes.
    assert (variable_default("max_read_iterations") + 1) * (variable_default("timeout") + 60) + 3600 + 600 == SAMPLE["runbook_wait_seconds"]


def test_prepare_builds_the_input(doc):
    prepare, _ = load_script(step_map(doc)["PrepareRun"])
    assert json.loads(prepare({"lookback_days": "30", "as_of": ""}, None)["input"]) == {"lookback_days": 30}
    out = json.loads(prepare({"lookback_days": 90, "as_of": "2026-11-22T00:00:00Z"}, None)["input"])
    assert out == {"lookback_days": 90, "as_of": "2026-11-22T00:00:00Z"}
    for bad in ({"lookback_days": "0", "as_of": ""}, {"lookback_days": "3654", "as_of": ""}, {"lookback_days": "1", "as_of": "yesterday"}, {"lookback_days": "1", "as_of": "2026-11-22T00:00:00"}):
        with pytest.raises(ValueError):
            prepare(bad, None)


def test_summarize_reads_the_executions_output(doc):
    summarize, _ = load_script(step_map(doc)["Summarize"])
    fields = {k: ANSWER[k] for k in ("report_s3_uri", "latest_s3_uri", "manifest_s3_uri", "rows", "used", "unused", "warnings")}
    assert summarize({"output": json.dumps(ANSWER)}, None) == fields
    with pytest.raises(RuntimeError, match="lacks"):
        summarize({"output": json.dumps({"rows": 1})}, None)
    with pytest.raises(RuntimeError, match="no report"):
        summarize({"output": "null"}, None)


@pytest.mark.parametrize("status,error,cause", [("FAILED", "ReadDirectoryIterationCapReached", "ReadDirectory was still incomplete"), ("TIMED_OUT", None, None), ("ABORTED", None, None)])
def test_explain_failure_names_the_status_and_the_step(doc, status, error, cause):
    calls = []

    class StepFunctions:
        def describe_execution(self, **kwargs):
            calls.append(kwargs)
            return {"status": status, **({"error": error, "cause": cause} if error else {})}

    boto3 = types.ModuleType("boto3")
    boto3.client = lambda service: StepFunctions() if service == "stepfunctions" else None
    explain, _ = load_script(step_map(doc)["ExplainFailure"], {"boto3": boto3})
    with pytest.raises(RuntimeError) as failed:
        explain({"execution_arn": EXECUTION_ARN}, None)
    assert calls == [{"executionArn": EXECUTION_ARN}]
    message = str(failed.value)
    assert f"ended {status}" in message and EXECUTION_ARN in message
    if error:
        assert error in message and cause in message


# --- Terraform: which runbook, and its role ----------------------------------------------


def test_ssm_tf_renders_the_runbook_of_the_orchestration():
    source = (TERRAFORM_DIR / "ssm.tf").read_text()
    content = source[source.index("  content = "):]
    assert content.startswith('  content = local.step_functions ? templatefile("${path.module}/../ssm-documents/credential_report_export_state_machine.yaml"')
    assert ': templatefile("${path.module}/../ssm-documents/credential_report_export.yaml"' in content
    values = locals_of("ssm.tf")
    assert values["lambda_runbook"] == "${var.create_ssm_document && !local.step_functions}"
    assert values["state_machine_runbook"] == "${var.create_ssm_document && local.step_functions}"


def test_runbook_role_may_only_start_and_follow_the_state_machine():
    found = by_sid("ssm.tf", "automation")
    start, follow = found["StartReportExecution"], found["FollowReportExecutions"]
    assert literal_list(start["actions"]) == ["states:StartExecution"]
    assert text(start["resources"]) == ["${aws_sfn_state_machine.weekly[0].arn}"]
    assert literal_list(follow["actions"]) == ["states:DescribeExecution"]
    assert text(follow["resources"]) == ["${local.state_machine_executions_arn}"]
    assert text(locals_of("state_machine.tf")["state_machine_executions_arn"]).endswith(":execution:${var.name}:*")
    switches = {}
    body = next(b for e in need("hcl2").loads((TERRAFORM_DIR / "ssm.tf").read_text())["data"] for t, named in e.items() for n, b in named.items() if n.strip('"') == "automation")
    for entry in body["dynamic"]:
        for block in entry.values():
            switches[text(block["content"][0]["sid"])] = block["for_each"]
    assert switches["StartReportExecution"] == switches["FollowReportExecutions"] == "${local.state_machine_runbook ? [1] : []}"
    # The lambda runbook's statements are off with step-functions.
    for sid in ("InvokeReportFunction", "ReadLatestManifest", "SeeMissingManifest"):
        assert switches[sid] == "${local.lambda_runbook ? [1] : []}", sid
    assert switches["DecryptLatestManifest"] == "${local.lambda_runbook && var.kms_key_arn != null ? [1] : []}"
    assert "statement" not in body, "every statement follows the orchestration"
