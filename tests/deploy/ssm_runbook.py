"""Helpers shared by the runbook checks (test_ssm_document.py, test_remediation_runbook.py):
rendering a Terraform-templated document, validating it with npm's
aws-ssm-document-language-service, the step graph, references between steps, and running the
embedded scripts."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from conftest import ROOT, TERRAFORM_DIR, need_file, need_node

# Documented maximum run time of each action used (AWS Systems Manager user guide).
ACTION_MAX_SECONDS = {"aws:invokeLambdaFunction": 300, "aws:executeScript": 600, "aws:approve": 2592000}
# Outputs an action has without an `outputs` section (AWS Systems Manager user guide).
IMPLICIT_OUTPUTS = {
    "aws:invokeLambdaFunction": {"StatusCode", "FunctionError", "LogResult", "Payload"},
    "aws:approve": {"ApprovalStatus", "ApproverDecisions"},
    "aws:executeStateMachine": {"executionArn", "input", "name", "output", "startDate", "stateMachineArn", "status", "stopDate"},
}
# Diagnostics of the language service that are reviewed and accepted: (message start, the
# text the flagged line must hold, why).
ACCEPTED = [
    (
        "Value is not accepted. Valid values: \"python3.6\", \"python3.7\"",
        "Runtime: python3.11",
        "the package's schema (2020) predates the current aws:executeScript runtimes; 3.6 and 3.7 are retired",
    ),
]
PLACEHOLDER = re.compile(r"\$\{([a-z_]+)\}")


def render(text: str, values: dict) -> str:
    return PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), text)


def template_problems(text: str) -> list[str]:
    """Sequences templatefile() would read as template syntax, beyond the placeholders."""
    problems = []
    if len(re.findall(r"\$\{", text)) != len(PLACEHOLDER.findall(text)):
        problems.append("a dollar-brace that is not a plain placeholder")
    if "%{" in text:
        problems.append("a percent-brace")
    return problems


def templatefile_arguments(tf_file: str, template: str, folder: str = "../ssm-documents") -> set[str]:
    """The names passed to the templatefile() call of `template` (in `folder`, relative to the
    module) in a .tf file of the module."""
    text = (TERRAFORM_DIR / tf_file).read_text()
    start = text.index(f"templatefile(\"${{path.module}}/{folder}/{template}\"")
    call = text[start:]
    call = call[: call.index("})") + 2]
    return set(re.findall(r"^\s*([a-z_]+)\s*=", call, re.M))


def validate(path) -> list[dict]:
    node = need_node()
    need_file(ROOT / "node_modules" / "aws-ssm-document-language-service", "run `make test-deploy` (or `npm ci --legacy-peer-deps`)")
    run = subprocess.run([node, str(ROOT / "tests/deploy/ssm_validate.mjs"), str(path)], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def unexpected_diagnostics(path, rendered: str) -> tuple[list[str], set[str]]:
    """Diagnostics not in ACCEPTED, and the accepted ones that were seen."""
    lines = rendered.splitlines()
    unexpected, accepted_seen = [], set()
    for d in validate(path):
        line = lines[d["range"]["start"]["line"]]
        match = [a for a in ACCEPTED if d["message"].startswith(a[0]) and a[1] in line]
        if match:
            accepted_seen.add(match[0][0])
        else:
            unexpected.append(f"line {d['range']['start']['line'] + 1}: {d['message']} [{line.strip()}]")
    return unexpected, accepted_seen


def step_map(doc) -> dict:
    steps = {s["name"]: s for s in doc["mainSteps"]}
    assert len(steps) == len(doc["mainSteps"]), "step names must be unique"
    return steps


def step_outputs(step) -> set[str]:
    return {o["Name"] for o in step.get("outputs", [])} | IMPLICIT_OUTPUTS.get(step["action"], set())


def reference_problems(doc) -> list[str]:
    """{{ references }} that name no parameter, no earlier step or no output of that step."""
    steps = step_map(doc)
    order = [s["name"] for s in doc["mainSteps"]]
    params = set(doc.get("parameters", {}))
    problems = []
    for index, name in enumerate(order):
        text = json.dumps(steps[name].get("inputs", {}))
        for ref in re.findall(r"\{\{\s*([^}\s]+)\s*\}\}", text):
            if ":" in ref:  # system variables such as automation:EXECUTION_ID
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
    for ref in doc.get("outputs", []):
        source, output = ref.split(".", 1)
        if source not in steps or output not in step_outputs(steps[source]):
            problems.append(f"document output {ref} names no step output")
    return problems


def successors(doc) -> dict[str, set[str]]:
    """Where each step may lead, on success and on failure (Abort and isEnd lead nowhere)."""
    order = [s["name"] for s in doc["mainSteps"]]
    graph = {}
    for i, s in enumerate(doc["mainSteps"]):
        following = order[i + 1] if i + 1 < len(order) else None
        nxt = set()
        if not s.get("isEnd"):
            target = s.get("nextStep") or following
            if target:
                nxt.add(target)
        for key in ("onFailure", "onCancel"):
            value = s.get(key, "Abort")
            if value.startswith("step:"):
                nxt.add(value[len("step:"):])
            elif value == "Continue" and following and not s.get("isEnd"):
                nxt.add(s.get("nextStep") or following)
        graph[s["name"]] = nxt
    return graph


def reachable(graph: dict[str, set[str]], start: str, removed: str | None = None) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name in seen or name == removed:
            continue
        seen.add(name)
        todo.extend(graph.get(name, ()))
    return seen


def iso_seconds(duration: str) -> int:
    m = re.fullmatch(r"PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?", duration)
    assert m, duration
    h, mnt, s = (int(g or 0) for g in m.groups())
    return h * 3600 + mnt * 60 + s


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
