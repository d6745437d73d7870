# Remediation (create_remediation = true; off by default): removes unused access that a plan
# names, only after people named in remediation_approvers approve that plan.
#
# - A second function from the same zip (IDC_FUNCTION=remediation). It reads plans only from
#   PREFIX/remediation/plans/, re-checks every planned item against the live directory, deletes
#   account assignments (and users, only with remediation_allow_user_deletion), and writes an
#   audit log to PREFIX/remediation/audit/.
# - An SSM Automation runbook (../ssm-documents/credential_report_remediation.yaml): summarize
#   the plan, wait for aws:approve, then apply exactly the plan that was summarized (its SHA-256).
#
# Nothing here exists when create_remediation is false: every resource and data source below has
# count = var.create_remediation ? 1 : 0 (tests/deploy/test_remediation.py checks it).

locals {
  remediation_plans_key_prefix = "${local.key_prefix}remediation/plans/"
  remediation_audit_key_prefix = "${local.key_prefix}remediation/audit/"
  remediation_function_name    = "${var.name}-remediation"

  # The runbook waits at most 300 s for an answer (aws:invokeLambdaFunction's documented limit).
  # The function stops earlier, so that the runbook always receives its answer or its error.
  remediation_timeout = 270

  # instance_arn and identity_store_id are required with remediation (preconditions.tf); the
  # coalesce only keeps these expressions valid when remediation is off.
  remediation_instance_id  = element(split("/", coalesce(var.instance_arn, "arn:aws:sso:::instance/none")), 1)
  remediation_instance_arn = "arn:${local.partition}:sso:::instance/${local.remediation_instance_id}"
  remediation_store_arn    = "arn:${local.partition}:identitystore::${local.account_id}:identitystore/${coalesce(var.identity_store_id, "none")}"

  # Accounts whose assignments may be deleted: the listed ones, or any account of the instance.
  remediation_delete_accounts = length(var.remediation_account_ids) == 0 ? ["arn:${local.partition}:sso:::account/*"] : [
    for id in var.remediation_account_ids : "arn:${local.partition}:sso:::account/${id}"
  ]

  remediation_environment = {
    IDC_FUNCTION            = "remediation"
    IDC_INSTANCE_ARN        = var.instance_arn
    IDC_IDENTITY_STORE_ID   = var.identity_store_id
    IDC_REPORT_BUCKET       = var.bucket_name
    IDC_REPORT_PREFIX       = var.report_prefix
    IDC_REPORT_KMS_KEY_ARN  = var.kms_key_arn
    IDC_MAX_DELETIONS       = tostring(var.remediation_max_deletions)
    IDC_ALLOW_USER_DELETION = var.remediation_allow_user_deletion ? "true" : "false"
    RUST_LOG                = var.rust_log
  }

  # The runbook's PlanS3Uri must name a JSON object under the plans prefix of this bucket: key
  # segments of safe characters, none starting with '.' (so no '..'). The bucket and prefix are
  # escaped for the regular expression (report_prefix may hold . * ( )).
  remediation_plan_uri_pattern = format(
    "^s3://%s/%s([A-Za-z0-9_=-][A-Za-z0-9_.=-]{0,200}/){0,10}[A-Za-z0-9_=-][A-Za-z0-9_.=-]{0,200}\\.json$",
    replace(var.bucket_name, ".", "\\."),
    replace(local.remediation_plans_key_prefix, "/([.*()])/", "\\$1"),
  )
}

# --- The function ---------------------------------------------------------------------------

data "aws_iam_policy_document" "remediation_assume" {
  count = var.create_remediation ? 1 : 0

  statement {
    sid     = "LambdaService"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "remediation" {
  count              = var.create_remediation ? 1 : 0
  name               = "${var.name}-remediation"
  description        = "Removes approved unused IAM Identity Center access (remediation function)."
  assume_role_policy = data.aws_iam_policy_document.remediation_assume[0].json
  tags               = var.tags
}

# Exactly the calls of the remediation function, each on the narrowest resource IAM can name.
# No action here needs "*": every one has resource types in the Service Authorization Reference
# (tests/deploy/test_iam.py checks it). The only writes are sso:DeleteAccountAssignment,
# identitystore:DeleteUser (only with remediation_allow_user_deletion), the audit log, the key
# and its own logs.
#
# Assignments in the management account: IAM Identity Center manages the AWSReservedSSO_ roles
# there with the caller's own IAM permissions (IAM Identity Center User Guide, identity-based
# policy examples: iam:DeleteRole, iam:DetachRolePolicy and others on
# role/aws-reserved/sso.amazonaws.com/*; the service-linked role's policy excludes the
# management account). This role is deliberately not given IAM permissions, so such deletions
# can fail and are reported as failed; remove those assignments from the management account.
data "aws_iam_policy_document" "remediation" {
  count = var.create_remediation ? 1 : 0

  # --- Identity Center: re-check, then delete assignments ---

  statement {
    sid = "ReadPlannedAssignments"
    actions = [
      "sso:DescribePermissionSet",
      "sso:ListAccountAssignments",
    ]
    resources = [
      local.remediation_instance_arn,
      "arn:${local.partition}:sso:::permissionSet/${local.remediation_instance_id}/*",
      # Account resources have no instance in their ARN: any account the instance assigns to.
      "arn:${local.partition}:sso:::account/*",
    ]
  }

  statement {
    sid = "ReadPrincipalAssignments"
    # Both take only the instance as their resource.
    actions = [
      "sso:ListAccountAssignmentsForPrincipal",
      "sso:DescribeAccountAssignmentDeletionStatus",
    ]
    resources = [local.remediation_instance_arn]
  }

  statement {
    sid     = "DeleteAccountAssignments"
    actions = ["sso:DeleteAccountAssignment"]
    resources = concat(
      [
        local.remediation_instance_arn,
        "arn:${local.partition}:sso:::permissionSet/${local.remediation_instance_id}/*",
      ],
      local.remediation_delete_accounts,
    )
  }

  # --- Identity store: who the planned users are, and their group memberships ---

  statement {
    sid = "ReadIdentityStore"
    actions = [
      "identitystore:DescribeUser",
      "identitystore:ListGroupMemberships",
      "identitystore:ListGroupMembershipsForMember",
    ]
    resources = [
      local.remediation_store_arn,
      # IAM names users, groups and memberships without their store; the store ARN above is
      # what limits these calls to one directory.
      "arn:${local.partition}:identitystore:::user/*",
      "arn:${local.partition}:identitystore:::group/*",
      "arn:${local.partition}:identitystore:::membership/*",
    ]
  }

  dynamic "statement" {
    for_each = var.remediation_allow_user_deletion ? [1] : []
    content {
      sid       = "DeletePlannedUsers"
      actions   = ["identitystore:DeleteUser"]
      resources = [local.remediation_store_arn, "arn:${local.partition}:identitystore:::user/*"]
    }
  }

  # --- The report bucket: plans in, audit logs out ---

  statement {
    sid       = "ReadPlans"
    actions   = ["s3:GetObject"]
    resources = ["${local.bucket_arn}/${local.remediation_plans_key_prefix}*"]
  }

  statement {
    sid       = "WriteAuditLogs"
    actions   = ["s3:PutObject"]
    resources = ["${local.bucket_arn}/${local.remediation_audit_key_prefix}*"]
  }

  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [1]
    content {
      sid       = "UseReportKey"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [var.kms_key_arn]
    }
  }

  # --- Its own logs ---

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.remediation[0].arn}:log-stream:*"]
  }
}

resource "aws_iam_role_policy" "remediation" {
  count  = var.create_remediation ? 1 : 0
  name   = "remove-unused-access"
  role   = aws_iam_role.remediation[0].id
  policy = data.aws_iam_policy_document.remediation[0].json
}

resource "aws_cloudwatch_log_group" "remediation" {
  #checkov:skip=CKV_AWS_158:Encrypted by CloudWatch Logs by default; a customer managed key is optional (logs_kms_key_arn) because its key policy must name this Region's logs service.
  count             = var.create_remediation ? 1 : 0
  name              = "/aws/lambda/${local.remediation_function_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.logs_kms_key_arn
  tags              = var.tags
}

resource "aws_lambda_function" "remediation" {
  #checkov:skip=CKV_AWS_117:The function calls only AWS APIs; a VPC would add NAT or endpoints and ec2:*NetworkInterface permissions on "*" for nothing.
  #checkov:skip=CKV_AWS_173:The environment holds names, ARNs and limits, no secrets; Lambda encrypts it at rest with its own key.
  #checkov:skip=CKV_AWS_272:The zip is built by package.sh from this repository; code signing needs a Signer profile the user owns, out of this module's scope.
  #checkov:skip=CKV_AWS_115:Reserved concurrency needs unreserved capacity that accounts with the default quota of 10 do not have; the runbook is the only caller.
  #checkov:skip=CKV_AWS_116:Only the runbook invokes it, synchronously; a dead-letter queue receives failed asynchronous invocations only.
  count         = var.create_remediation ? 1 : 0
  function_name = local.remediation_function_name
  description   = "IAM Identity Center: removes approved unused access (idc-credential-report remediation)"
  role          = aws_iam_role.remediation[0].arn

  # The same zip and binary as the report function; IDC_FUNCTION selects the remediation.
  filename         = local.zip_path
  source_code_hash = filebase64sha256(local.zip_path)
  handler          = "bootstrap"
  runtime          = "provided.al2023"
  architectures    = ["arm64"]

  memory_size = 512
  timeout     = local.remediation_timeout

  environment {
    variables = { for k, v in local.remediation_environment : k => v if v != null }
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.remediation[0].name
  }

  tracing_config {
    mode = "PassThrough"
  }

  tags = var.tags

  depends_on = [
    aws_iam_role_policy.remediation,
    aws_cloudwatch_log_group.remediation,
    terraform_data.input_checks,
  ]
}

resource "aws_cloudwatch_metric_alarm" "remediation_errors" {
  count               = var.create_remediation ? 1 : 0
  alarm_name          = "${var.name}-remediation-errors"
  alarm_description   = "A remediation run failed (error or timeout); some approved removals may not have happened. See the log group ${aws_cloudwatch_log_group.remediation[0].name} and the audit logs."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = aws_lambda_function.remediation[0].function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_sns_topic_arn == null ? [] : [var.alarm_sns_topic_arn]
  ok_actions          = var.alarm_sns_topic_arn == null ? [] : [var.alarm_sns_topic_arn]
  tags                = var.tags
}

# --- The approval runbook and its role --------------------------------------------------------
# Operators start it with `aws ssm start-automation-execution --document-name
# <remediation_runbook_name> --parameters PlanS3Uri=s3://...`; they need
# ssm:StartAutomationExecution on the document and iam:PassRole on its role. Approvers need
# ssm:SendAutomationSignal on automation executions. The approval is only as strong as the
# rule that nobody else may invoke the remediation function: grant lambda:InvokeFunction on it
# to no other principal.

data "aws_iam_policy_document" "remediation_runbook_assume" {
  count = var.create_remediation ? 1 : 0

  statement {
    sid     = "SsmAutomation"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ssm.amazonaws.com"]
    }
    # Only automation executions of this account and Region (confused-deputy protection).
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:ssm:${local.region}:${local.account_id}:automation-execution/*"]
    }
  }
}

resource "aws_iam_role" "remediation_runbook" {
  count              = var.create_remediation ? 1 : 0
  name               = "${var.name}-rem-runbook"
  description        = "Runs the approval runbook of the IAM Identity Center remediation (SSM Automation)."
  assume_role_policy = data.aws_iam_policy_document.remediation_runbook_assume[0].json
  tags               = var.tags
}

data "aws_iam_policy_document" "remediation_runbook" {
  count = var.create_remediation ? 1 : 0

  # The plan's summary comes from the function itself: the runbook reads nothing from S3.
  statement {
    sid       = "InvokeRemediationFunction"
    actions   = ["lambda:InvokeFunction"]
    resources = [aws_lambda_function.remediation[0].arn]
  }
}

resource "aws_iam_role_policy" "remediation_runbook" {
  count  = var.create_remediation ? 1 : 0
  name   = "invoke-remediation"
  role   = aws_iam_role.remediation_runbook[0].id
  policy = data.aws_iam_policy_document.remediation_runbook[0].json
}

resource "aws_ssm_document" "remediation" {
  count           = var.create_remediation ? 1 : 0
  name            = var.remediation_document_name
  document_type   = "Automation"
  document_format = "YAML"

  # The role, the function, the approvers and the limits are written into the document, not
  # offered as parameters: whoever starts a run cannot name other approvers, another role or
  # another function.
  content = templatefile("${path.module}/../ssm-documents/credential_report_remediation.yaml", {
    automation_role_arn = aws_iam_role.remediation_runbook[0].arn
    function_name       = aws_lambda_function.remediation[0].function_name
    plans_location      = "s3://${var.bucket_name}/${local.remediation_plans_key_prefix}"
    plan_uri_pattern    = jsonencode(local.remediation_plan_uri_pattern)
    approvers           = jsonencode(var.remediation_approvers)
    min_approvals       = var.remediation_min_approvals
    max_deletions       = var.remediation_max_deletions
  })

  tags = var.tags

  depends_on = [aws_iam_role_policy.remediation_runbook]
}
