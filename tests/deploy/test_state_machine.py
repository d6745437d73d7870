"""The weekly run's state machine (terraform/state_machine.tf, terraform/state-machine/
weekly-run.asl.json) and the orchestration switch.

The definition is rendered as templatefile() would and checked three ways: against the Amazon
States Language schema that cfn-lint ships (rule E3601); as a graph (every target exists,
every state is reachable and can end, the only loop passes the cap); and by running it in
asl_model against a stand-in for the function (payloads, the cap, where each failure ends).
The roles' policies and the switch between "step-functions" and "lambda" are read from the
.tf files."""

from __future__ import annotations

import json
import re

import pytest

import asl_model
from conftest import TERRAFORM_DIR, need, variable_default
from ssm_runbook import render, template_problems, templatefile_arguments
from test_iam import literal_list, statements

DEFINITION = TERRAFORM_DIR / "state-machine" / "weekly-run.asl.json"
FUNCTION_ARN = "arn:aws:lambda:eu-west-1:123456789012:function:idc-credential-report"
LAMBDA_ERRORS = {"Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException"}
TASKS = {"ReadDirectory": "ReadDirectoryFailed", "Report": "ReportFailed"}
SWITCH_COUNT = "${local.step_functions ? 1 : 0}"
SWITCH_DYNAMIC = "${local.step_functions ? [1] : []}"
LAMBDA_DYNAMIC = "${local.step_functions ? [] : [1]}"
ANSWER = {
    "report_s3_uri": "s3://b/p/reports/year=2026/month=11/day=22/credential-report-2026-11-22T20:00:00Z.csv",
    "users_s3_uri": "s3://b/p/reports/year=2026/month=11/day=22/credential-report-2026-11-22T20:00:00Z.users.csv",
    "html_s3_uri": "s3://b/p/reports/year=2026/month=11/day=22/credential-report-2026-11-22T20:00:00Z.html",
    "manifest_s3_uri": "s3://b/p/reports/year=2026/month=11/day=22/credential-report-2026-11-22T20:00:00Z.manifest.json",
    "latest_s3_uri": "s3://b/p/latest/credential-report.csv",
    "latest_users_s3_uri": "s3://b/p/latest/credential-report.users.csv",
    "latest_html_s3_uri": "s3://b/p/latest/credential-report.html",
    "latest_manifest_s3_uri": "s3://b/p/latest/credential-report.manifest.json",
    "rows": 12, "used": 9, "unused": 3, "warnings": 1,
}


def sample(max_read_iterations: int | None = None) -> dict:
    cap = variable_default("max_read_iterations") if max_read_iterations is None else max_read_iterations
    return {
        "partition": "aws",
        "function_arn": FUNCTION_ARN,
        "max_read_iterations": cap,
        "task_timeout_seconds": 960,
        "execution_timeout_seconds": (cap + 1) * 960 + 3600,
    }


def definition(max_read_iterations: int | None = None) -> dict:
    return json.loads(render(DEFINITION.read_text(), sample(max_read_iterations)))


@pytest.fixture(scope="module")
def asl():
    return definition()


def tree(file: str) -> dict:
    return need("hcl2").loads((TERRAFORM_DIR / file).read_text())


def blocks(file: str, section: str):
    for entry in tree(file).get(section, []):
        for rtype, named in entry.items():
            for name, body in named.items():
                if not name.startswith("__"):
                    yield rtype.strip('"'), name.strip('"'), body


def resource(file: str, rtype: str, name: str) -> dict:
    return next(body for t, n, body in blocks(file, "resource") if (t, n) == (rtype, name))


def text(value):
    """A value as python-hcl2 reads it, without the quotes it keeps around strings."""
    if isinstance(value, list):
        return [text(v) for v in value]
    return value[1:-1] if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"' else value


def by_sid(file: str, name: str) -> dict:
    return {text(st["sid"]): st for st in statements(file, name)}


def locals_of(file: str) -> dict:
    merged = {}
    for entry in tree(file).get("locals", []):
        merged.update(entry)
    return merged


# --- The template -------------------------------------------------------------------------


def test_placeholders_match_templatefile_in_state_machine_tf():
    text = DEFINITION.read_text()
    placeholders = set(re.findall(r"\$\{([a-z_]+)\}", text))
    assert placeholders == set(sample()), placeholders
    assert not template_problems(text)
    passed = templatefile_arguments("state_machine.tf", DEFINITION.name, folder="state-machine")
    assert passed == placeholders, f"state_machine.tf passes {sorted(passed)}, the definition uses {sorted(placeholders)}"


# --- Valid ASL ----------------------------------------------------------------------------


def lint(asl_definition: dict) -> list[str]:
    need("cfnlint")
    from cfnlint.api import ManualArgs, lint as cfn_lint

    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            "WeeklyRun": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {"RoleArn": "arn:aws:iam::123456789012:role/idc-credential-report-state-machine", "StateMachineType": "STANDARD", "Definition": asl_definition},
            }
        },
    }
    return [f"{m.rule.id}: {m.message}" for m in cfn_lint(json.dumps(template), config=ManualArgs(regions=["eu-west-1"]))]


def test_valid_against_the_states_language_schema(asl):
    problems = lint(asl)
    assert not problems, "\n".join(problems)


def test_schema_check_reports_errors(asl):
    # Proves the check above can fail: a misspelled field and a Task without its Resource.
    broken = json.loads(json.dumps(asl))
    broken["States"]["Published"]["Nxt"] = "Report"
    del broken["States"]["Report"]["Resource"]
    problems = " ".join(lint(broken))
    assert "E3601" in problems and "Nxt" in problems and "Resource" in problems, problems


def test_every_target_exists_and_every_state_is_reachable(asl):
    states = asl["States"]
    assert asl["StartAt"] in states
    for name, state in states.items():
        for target in asl_model.targets(state):
            assert target in states, f"{name} -> {target}, which does not exist"
        if not asl_model.is_terminal(state):
            assert asl_model.targets(state), f"{name} neither ends nor leads anywhere"
    unreachable = set(states) - asl_model.reachable(states, asl["StartAt"])
    assert not unreachable, f"unreachable states: {sorted(unreachable)}"


def test_every_path_can_end(asl):
    states = asl["States"]
    for name in states:
        ends = {s for s in asl_model.reachable(states, name) if asl_model.is_terminal(states[s])}
        assert ends, f"no Succeed, Fail or End is reachable from {name}"
    successes = [n for n, s in states.items() if s["Type"] == "Succeed" or s.get("End") is True]
    assert successes == ["Published"], successes


def test_the_only_loop_passes_the_cap(asl):
    states = asl["States"]
    status = states["ReadDirectoryStatus"]
    cap = variable_default("max_read_iterations")
    capped = [r for r in status["Choices"] if any(c.get("NumericLessThan") == cap for c in r.get("And", []))]
    assert len(capped) == 1, f"one Choice rule must compare the counter to max_read_iterations ({cap})"
    assert asl_model.has_cycle(states, asl["StartAt"])
    without_cap = lambda name, target: name == "ReadDirectoryStatus" and target == capped[0]["Next"]  # noqa: E731
    assert not asl_model.has_cycle(states, asl["StartAt"], skip_edge=without_cap), "a loop that does not pass the cap"
    counter = next(c["Variable"] for c in capped[0]["And"] if "NumericLessThan" in c)
    increment = states[capped[0]["Next"]]
    assert increment["Type"] == "Pass" and increment["Next"] == "ReadDirectory"
    assert counter.startswith(increment["ResultPath"] + "."), f"the counter {counter} is not what {capped[0]['Next']} writes"
    assert "States.MathAdd(" + counter + ", 1)" in json.dumps(increment["Parameters"])
    over = [r for r in status["Choices"] if r.get("StringEquals") == "CONTINUE"]
    assert len(over) == 1 and states[over[0]["Next"]]["Type"] == "Fail"
    assert states[over[0]["Next"]]["Error"] == "ReadDirectoryIterationCapReached"


def test_max_read_iterations_is_the_cap_in_terraform():
    machine = resource("state_machine.tf", "aws_sfn_state_machine", "weekly")
    assert "max_read_iterations       = var.max_read_iterations" in (TERRAFORM_DIR / "state_machine.tf").read_text()
    assert text(machine["type"]) == "STANDARD"
    assert machine["count"] == SWITCH_COUNT
    assert variable_default("max_read_iterations") == 40


@pytest.mark.parametrize("task,fail", TASKS.items())
def test_tasks_retry_lambda_errors_and_catch_to_a_fail_naming_the_step(asl, task, fail):
    state = asl["States"][task]
    assert state["Type"] == "Task" and state["Resource"] == "arn:aws:states:::lambda:invoke"
    assert state["Parameters"]["FunctionName"] == FUNCTION_ARN
    retries = [r for r in state["Retry"] if LAMBDA_ERRORS <= set(r["ErrorEquals"])]
    assert retries, f"{task} does not retry {sorted(LAMBDA_ERRORS)}"
    retry = retries[0]
    assert retry["IntervalSeconds"] >= 1 and retry["BackoffRate"] > 1 and retry["MaxAttempts"] >= 2, retry
    assert "States.ALL" not in retry["ErrorEquals"], "the function's own errors must not be retried blindly"
    catch = [c for c in state["Catch"] if c["ErrorEquals"] == ["States.ALL"]]
    assert len(catch) == 1 and catch[0]["Next"] == fail
    target = asl["States"][fail]
    assert target["Type"] == "Fail" and target["Error"] == fail and target["Error"].startswith(task)
    assert target["CausePath"].startswith(f"States.Format('{task} failed: ")
    assert state["TimeoutSeconds"] == sample()["task_timeout_seconds"]


def test_every_fail_names_its_step(asl):
    fails = {n: s for n, s in asl["States"].items() if s["Type"] == "Fail"}
    for name, state in fails.items():
        assert state["Error"] == name and any(name.startswith(step) for step in TASKS), f"{name}: {state}"


# --- What the definition does (asl_model) --------------------------------------------------


class Function:
    """Stands in for the report function: answers CONTINUE `reads - 1` times, then DONE; then
    the report."""

    def __init__(self, reads: int = 1, read_answer=None, report_answer=None, fail_step=None):
        self.reads, self.read_answer, self.report_answer, self.fail_step = reads, read_answer, report_answer, fail_step
        self.payloads = []

    def __call__(self, function_name, payload):
        assert function_name == FUNCTION_ARN
        self.payloads.append(payload)
        if payload.get("step") == self.fail_step:
            raise asl_model.TaskError("Unhandled", "boom")
        if payload["step"] == "read-directory":
            if self.read_answer is not None:
                return self.read_answer
            done = sum(1 for p in self.payloads if p["step"] == "read-directory") >= self.reads
            return {"status": "DONE", "snapshot": "s3://b/p/state/run-1/snapshot.json"} if done else {"status": "CONTINUE", "read": 10, "total": 100}
        return self.report_answer if self.report_answer is not None else ANSWER


def test_a_read_over_several_invocations_then_the_report(asl):
    function = Function(reads=5)
    output = asl_model.run(asl, {}, function, name="7b1c2d")
    assert output == ANSWER
    assert function.payloads[:5] == [{"step": "read-directory", "run_id": "7b1c2d"}] * 5
    # as_of defaults to the execution's start; lookback_days stays absent (the function's default).
    assert function.payloads[5] == {"step": "report", "run_id": "7b1c2d", "as_of": "2026-11-22T20:00:00.000Z"}
    assert len(function.payloads) == 6


def test_the_input_sets_lookback_days_and_as_of_but_not_step_or_run_id(asl):
    function = Function()
    asl_model.run(asl, {"lookback_days": 30, "as_of": "2026-11-01T00:00:00Z", "step": "read-directory", "run_id": "other"}, function, name="r2")
    assert function.payloads == [
        {"step": "read-directory", "run_id": "r2"},
        {"step": "report", "run_id": "r2", "lookback_days": 30, "as_of": "2026-11-01T00:00:00Z"},
    ]


@pytest.mark.parametrize("cap", [1, 3, 40])
def test_the_cap_stops_a_read_that_never_ends(cap):
    function = Function(reads=10**6)
    with pytest.raises(asl_model.ExecutionFailed) as failed:
        asl_model.run(definition(cap), {}, function)
    assert failed.value.error == "ReadDirectoryIterationCapReached"
    assert len(function.payloads) == cap, "max_read_iterations counts the invocations of ReadDirectory"
    # A read that needs exactly the cap succeeds.
    assert asl_model.run(definition(cap), {}, Function(reads=cap)) == ANSWER


@pytest.mark.parametrize("answer", [{"status": "PAUSED"}, {"status": 1}, {"read": 3}, {}, "DONE"])
def test_an_unexpected_read_answer_fails_naming_the_step(asl, answer):
    with pytest.raises(asl_model.ExecutionFailed) as failed:
        asl_model.run(asl, {}, Function(read_answer=answer))
    assert failed.value.error == "ReadDirectoryUnexpectedAnswer"
    assert failed.value.cause.startswith("ReadDirectory answered neither CONTINUE nor DONE")


@pytest.mark.parametrize("step,error", [("read-directory", "ReadDirectoryFailed"), ("report", "ReportFailed")])
def test_a_failing_invocation_ends_in_its_steps_fail_state(asl, step, error):
    with pytest.raises(asl_model.ExecutionFailed) as failed:
        asl_model.run(asl, {}, Function(fail_step=step))
    assert failed.value.error == error
    assert "Unhandled" in failed.value.cause and "boom" in failed.value.cause


def test_a_report_answer_without_its_location_fails(asl):
    with pytest.raises(asl_model.ExecutionFailed) as failed:
        asl_model.run(asl, {}, Function(report_answer={"errorMessage": "x"}))
    assert failed.value.error == "ReportUnexpectedAnswer"


def test_the_model_refuses_what_it_does_not_know(asl):
    changed = json.loads(json.dumps(asl))
    changed["States"]["PrepareRun"]["InputPath"] = "$.x"
    with pytest.raises(asl_model.Unmodelled):
        asl_model.run(changed, {}, Function())


# --- The state machine's settings ---------------------------------------------------------


def test_logging_and_tracing():
    machine = resource("state_machine.tf", "aws_sfn_state_machine", "weekly")
    logging = machine["logging_configuration"][0]
    assert text(logging["log_destination"]) == "${aws_cloudwatch_log_group.state_machine[0].arn}:*"
    assert text(logging["level"]) == "ALL" and logging["include_execution_data"] is True
    assert machine["tracing_configuration"][0]["enabled"] == "${var.state_machine_tracing}"
    group = resource("state_machine.tf", "aws_cloudwatch_log_group", "state_machine")
    assert group["kms_key_id"] == "${var.logs_kms_key_arn}" and group["retention_in_days"] == "${var.log_retention_days}"
    assert text(group["name"]).startswith("/aws/vendedlogs/states/")


def test_execution_timeout_covers_every_read_and_the_report():
    values = locals_of("state_machine.tf")
    assert values["read_task_timeout_seconds"] == "${var.timeout + 60}"
    assert values["execution_timeout_seconds"] == "${(var.max_read_iterations + 1) * local.read_task_timeout_seconds + 3600}"


# --- Least privilege ----------------------------------------------------------------------


def test_state_machine_role_may_only_invoke_the_function():
    found = by_sid("state_machine.tf", "state_machine")
    invoke = found.pop("InvokeReportFunction")
    assert literal_list(invoke["actions"]) == ["lambda:InvokeFunction"]
    assert text(invoke["resources"]) == ["${aws_lambda_function.this.arn}", "${aws_lambda_function.this.arn}:*"]
    # Everything else: the log delivery Step Functions sets up, and X-Ray when asked for.
    others = {a for st in found.values() for a in literal_list(st["actions"])}
    assert all(a.startswith(("logs:", "xray:")) for a in others), sorted(others)
    assert not any(a.startswith(("logs:PutLogEvents", "logs:CreateLog")) and a != "logs:CreateLogDelivery" for a in others)
    assume = next(body for t, n, body in blocks("state_machine.tf", "data") if n == "state_machine_assume")
    conditions = {text(c["variable"]): text(c["values"]) for c in assume["statement"][0]["condition"]}
    assert conditions == {"aws:SourceAccount": ["${local.account_id}"], "aws:SourceArn": ["${local.state_machine_arn}"]}


def test_function_role_reaches_only_the_state_prefix_beyond_reports():
    deleting = [st for st in statements("iam.tf", "lambda") if "DeleteObject" in json.dumps(st["actions"])]
    # The checkpoint's prefix, and latest/ (a first publish whose copies failed removes them).
    undo = [st for st in deleting if text(st["resources"]) == ["${local.bucket_arn}/${local.latest_key_prefix}*"]]
    assert len(undo) == 1 and literal_list(undo[0]["actions"]) == ["s3:DeleteObject"]
    checkpoint = [st for st in deleting if st not in undo]
    assert len(checkpoint) == 1
    assert sorted(literal_list(checkpoint[0]["actions"])) == ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]
    assert text(checkpoint[0]["resources"]) == ["${local.bucket_arn}/${local.state_key_prefix}*"]
    assert text(locals_of("main.tf")["state_key_prefix"]) == "${local.key_prefix}state/"
    # No other statement of the function's role writes, reads or deletes under the bucket's root.
    for st in statements("iam.tf", "lambda"):
        for r in text(st["resources"]):
            assert r != "${local.bucket_arn}/*", st


def test_scheduler_role_starts_only_the_state_machine_or_invokes_only_the_function():
    found = by_sid("schedule.tf", "scheduler")
    start, invoke = found["StartWeeklyRun"], found["InvokeReportFunction"]
    assert literal_list(start["actions"]) == ["states:StartExecution"]
    assert text(start["resources"]) == ["${aws_sfn_state_machine.weekly[0].arn}"]
    assert literal_list(invoke["actions"]) == ["lambda:InvokeFunction"]
    dynamics = {}
    for entry in next(body for t, n, body in blocks("schedule.tf", "data") if n == "scheduler")["dynamic"]:
        for block in entry.values():
            dynamics[text(block["content"][0]["sid"])] = block["for_each"]
    assert dynamics == {"StartWeeklyRun": SWITCH_DYNAMIC, "InvokeReportFunction": LAMBDA_DYNAMIC}
    # The rest: only the dead-letter queue for deliveries given up.
    rest = {a for sid, st in found.items() if sid not in ("StartWeeklyRun", "InvokeReportFunction") for a in literal_list(st["actions"])}
    assert rest == {"sqs:SendMessage"}


def test_checkpoints_expire():
    lifecycle = resource("bucket.tf", "aws_s3_bucket_lifecycle_configuration", "reports")
    rule = next(r for r in lifecycle["rule"] if text(r["id"]) == "expire-abandoned-checkpoints")
    assert rule["filter"][0]["prefix"] == "${local.state_key_prefix}"
    assert rule["expiration"][0]["days"] == "${var.checkpoint_retention_days}"
    assert rule["noncurrent_version_expiration"][0]["noncurrent_days"] == "${var.checkpoint_retention_days}"
    assert 1 <= variable_default("checkpoint_retention_days") <= 7


# --- The switch ---------------------------------------------------------------------------


def test_orchestration_defaults_to_step_functions():
    assert variable_default("orchestration") == "step-functions"
    assert locals_of("state_machine.tf")["step_functions"] == '${var.orchestration == "step-functions"}'


def test_with_lambda_no_state_machine_part_exists():
    found = 0
    for section in ("resource", "data"):
        for rtype, name, body in blocks("state_machine.tf", section):
            found += 1
            switched = body.get("count") == SWITCH_COUNT or body.get("for_each", "").startswith("${local.step_functions ? ")
            assert switched, f"{section} {rtype}.{name} is created without orchestration = step-functions"
            if "for_each" in body:
                assert body["for_each"].endswith(": toset([])}"), body["for_each"]
    assert found == 7, f"{found} blocks: update this count when adding one (and switch it)"


def test_the_schedule_targets_the_state_machine_or_the_function():
    target = resource("schedule.tf", "aws_scheduler_schedule", "this")["target"][0]
    assert target["arn"] == "${local.step_functions ? aws_sfn_state_machine.weekly[0].arn : aws_lambda_function.this.arn}"
    assert target["input"] == '${local.step_functions ? jsonencode({}) : jsonencode({source = "schedule"})}'
    assert text(target["role_arn"]) == "${aws_iam_role.scheduler.arn}"
    # One schedule, whatever the orchestration: the lambda deployment keeps its address.
    assert "count" not in resource("schedule.tf", "aws_scheduler_schedule", "this")
