"""A small model of the Amazon States Language (JSONPath query language) for the weekly run's
state machine: the graph of a definition, and executions of it against a stand-in for the
Lambda function, so that tests can check what the definition does (the payloads it sends, the
loop's cap, where each failure ends) and not only how it is written.

Only what the definition uses is modelled: Pass, Task, Choice, Succeed and Fail states; the
fields Parameters, ResultSelector, ResultPath, OutputPath, Retry (as data only), Catch;
reference paths ($, $.a.b, $$.Execution.X); the rules IsPresent, StringEquals and
NumericLessThan with And; the intrinsics States.JsonMerge (shallow), States.MathAdd,
States.Format and States.JsonToString. Anything else raises Unmodelled, so that a definition
that outgrows the model fails its tests instead of being checked wrongly.
"""

from __future__ import annotations

import copy
import json
import re

STATE_FIELDS = {
    "Pass": {"Type", "Comment", "Parameters", "ResultPath", "OutputPath", "Next", "End"},
    "Task": {"Type", "Comment", "Resource", "Parameters", "TimeoutSeconds", "ResultSelector", "ResultPath", "Retry", "Catch", "Next", "End"},
    "Choice": {"Type", "Comment", "Choices", "Default"},
    "Succeed": {"Type", "Comment"},
    "Fail": {"Type", "Comment", "Error", "Cause", "CausePath"},
}
MISSING = object()


class Unmodelled(Exception):
    """The definition uses something this model does not know."""


class ExecutionFailed(Exception):
    def __init__(self, state: str, error: str, cause: str):
        super().__init__(f"{state}: {error}: {cause}")
        self.state, self.error, self.cause = state, error, cause


class TaskError(Exception):
    """What the stand-in function raises: an error name and its cause, as Lambda reports them."""

    def __init__(self, error: str, cause: str):
        super().__init__(error)
        self.error, self.cause = error, cause


# --- The graph ----------------------------------------------------------------------------


def targets(state: dict) -> list[str]:
    """Every state this one may lead to."""
    found = [state["Next"]] if "Next" in state else []
    found += [rule["Next"] for rule in state.get("Choices", [])]
    found += [state["Default"]] if "Default" in state else []
    found += [catcher["Next"] for catcher in state.get("Catch", [])]
    return found


def is_terminal(state: dict) -> bool:
    return state["Type"] in ("Succeed", "Fail") or state.get("End") is True


def reachable(states: dict, start: str, skip_edge=None) -> set[str]:
    """States reachable from `start`; skip_edge(name, target) drops edges from the walk."""
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo += [t for t in targets(states[name]) if not (skip_edge and skip_edge(name, t))]
    return seen


def has_cycle(states: dict, start: str, skip_edge=None) -> bool:
    visiting, done = set(), set()

    def visit(name: str) -> bool:
        if name in visiting:
            return True
        if name in done:
            return False
        visiting.add(name)
        looped = any(visit(t) for t in targets(states[name]) if not (skip_edge and skip_edge(name, t)))
        visiting.discard(name)
        done.add(name)
        return looped

    return visit(start)


# --- Paths and intrinsics -----------------------------------------------------------------


def read_path(path: str, data, context: dict):
    if path.startswith("$$"):
        root, rest = context, path[2:]
    elif path.startswith("$"):
        root, rest = data, path[1:]
    else:
        raise Unmodelled(f"path {path!r}")
    value = root
    for key in [k for k in rest.split(".") if k]:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            raise Unmodelled(f"path segment {key!r} of {path!r}")
        if not isinstance(value, dict) or key not in value:
            return MISSING
        value = value[key]
    return value


def need_path(path: str, data, context: dict):
    value = read_path(path, data, context)
    if value is MISSING:
        raise ExecutionFailed("(path)", "States.Runtime", f"{path} selects nothing")
    return value


def _split_arguments(text: str) -> list[str]:
    parts, depth, quoted, current = [], 0, False, ""
    for ch in text:
        if ch == "'":
            quoted = not quoted
        if not quoted and ch == "(":
            depth += 1
        if not quoted and ch == ")":
            depth -= 1
        if not quoted and depth == 0 and ch == ",":
            parts.append(current.strip())
            current = ""
            continue
        current += ch
    parts.append(current.strip())
    return parts


def evaluate(expression: str, data, context: dict):
    """A reference path or an intrinsic function call."""
    expression = expression.strip()
    if expression.startswith("'") and expression.endswith("'"):
        return expression[1:-1]
    if expression in ("true", "false"):
        return expression == "true"
    if re.fullmatch(r"-?\d+", expression):
        return int(expression)
    call = re.fullmatch(r"(States\.[A-Za-z]+)\((.*)\)", expression, re.S)
    if not call:
        return need_path(expression, data, context)
    name, args = call.group(1), [evaluate(a, data, context) for a in _split_arguments(call.group(2))]
    if name == "States.JsonMerge":
        first, second, deep = args
        if deep is not False:
            raise Unmodelled("deep JsonMerge")
        if not isinstance(first, dict) or not isinstance(second, dict):
            raise ExecutionFailed("(intrinsic)", "States.Runtime", "JsonMerge needs two objects")
        return {**first, **second}
    if name == "States.MathAdd":
        return int(args[0]) + int(args[1])
    if name == "States.JsonToString":
        return json.dumps(args[0], separators=(",", ":"))
    if name == "States.Format":
        template, values = args[0], list(args[1:])
        return re.sub(r"\{\}", lambda _: str(values.pop(0)), template)
    raise Unmodelled(name)


def build(template, data, context: dict):
    """A payload template (Parameters, ResultSelector): keys ending in .$ are evaluated."""
    if isinstance(template, dict):
        out = {}
        for key, value in template.items():
            if key.endswith(".$"):
                out[key[:-2]] = evaluate(value, data, context)
            else:
                out[key] = build(value, data, context)
        return out
    if isinstance(template, list):
        return [build(v, data, context) for v in template]
    return template


def write_path(data, path: str, value):
    if path == "$":
        return value
    if not path.startswith("$."):
        raise Unmodelled(f"ResultPath {path!r}")
    data = copy.deepcopy(data) if isinstance(data, dict) else {}
    node = data
    keys = path[2:].split(".")
    for key in keys[:-1]:
        node = node.setdefault(key, {})
    node[keys[-1]] = value
    return data


# --- Choice rules -------------------------------------------------------------------------


def matches(rule: dict, data, context: dict) -> bool:
    if "And" in rule:
        return all(matches(r, data, context) for r in rule["And"])
    value = read_path(rule["Variable"], data, context)
    ops = {k for k in rule if k not in ("Variable", "Next")}
    if ops == {"IsPresent"}:
        return (value is not MISSING) == rule["IsPresent"]
    if value is MISSING:
        raise ExecutionFailed("(choice)", "States.Runtime", f"{rule['Variable']} selects nothing")
    if ops == {"StringEquals"}:
        return isinstance(value, str) and value == rule["StringEquals"]
    if ops == {"NumericLessThan"}:
        return isinstance(value, (int, float)) and value < rule["NumericLessThan"]
    raise Unmodelled(f"choice rule {sorted(ops)}")


# --- Executions ---------------------------------------------------------------------------


def run(definition: dict, execution_input, invoke, name: str = "run-1", start_time: str = "2026-11-22T20:00:00.000Z", max_transitions: int = 10000):
    """Runs an execution. `invoke(function_name, payload)` stands in for lambda:invoke: it returns
    the function's answer or raises TaskError. Returns the execution's output, or raises
    ExecutionFailed naming the Fail state reached."""
    states = definition["States"]
    context = {"Execution": {"Name": name, "StartTime": start_time, "Input": execution_input}}
    data, current = execution_input, definition["StartAt"]
    for _ in range(max_transitions):
        state = states[current]
        unknown = set(state) - STATE_FIELDS.get(state["Type"], set())
        if state["Type"] not in STATE_FIELDS or unknown:
            raise Unmodelled(f"{current}: {state['Type']} {sorted(unknown)}")
        kind = state["Type"]
        if kind == "Succeed":
            return data
        if kind == "Fail":
            cause = evaluate(state["CausePath"], data, context) if "CausePath" in state else state.get("Cause", "")
            raise ExecutionFailed(current, state.get("Error", ""), cause)
        if kind == "Choice":
            current = next((r["Next"] for r in state["Choices"] if matches(r, data, context)), state.get("Default"))
            if current is None:
                raise ExecutionFailed("(choice)", "States.NoChoiceMatched", "")
            continue
        effective = build(state["Parameters"], data, context) if "Parameters" in state else data
        if kind == "Pass":
            result = effective
        else:
            if not state["Resource"].endswith(":states:::lambda:invoke"):
                raise Unmodelled(state["Resource"])
            try:
                result = {"Payload": invoke(effective["FunctionName"], effective["Payload"]), "StatusCode": 200}
            except TaskError as error:
                catcher = next((c for c in state.get("Catch", []) if "States.ALL" in c["ErrorEquals"] or error.error in c["ErrorEquals"]), None)
                if catcher is None:
                    raise ExecutionFailed(current, error.error, error.cause) from None
                data = write_path(data, catcher.get("ResultPath", "$"), {"Error": error.error, "Cause": error.cause})
                current = catcher["Next"]
                continue
            if "ResultSelector" in state:
                result = build(state["ResultSelector"], result, context)
        data = write_path(data, state.get("ResultPath", "$"), result)
        data = need_path(state.get("OutputPath", "$"), data, context)
        if state.get("End"):
            return data
        current = state["Next"]
    raise AssertionError(f"more than {max_transitions} transitions: the execution does not end")
