# On-demand runs: an SSM Automation runbook and the role it runs as. Operators start it from
# the console or with `aws ssm start-automation-execution --document-name <ssm_document_name>`;
# they need ssm:StartAutomationExecution on the document and iam:PassRole on the role.
#
# Which runbook follows the orchestration: with "step-functions",
# ../ssm-documents/credential_report_export_state_machine.yaml starts an execution of the state
# machine and waits for its end; with "lambda", ../ssm-documents/credential_report_export.yaml
# invokes the function and waits for its answer or its manifest. The role may do what its
# runbook does, nothing else.

locals {
  lambda_runbook        = var.create_ssm_document && !local.step_functions
  state_machine_runbook = var.create_ssm_document && local.step_functions
  # The runbook waits as long as the state machine may run, and ten minutes more.
  runbook_wait_seconds = local.execution_timeout_seconds + 600
}

data "aws_iam_policy_document" "automation_assume" {
  count = var.create_ssm_document ? 1 : 0

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

resource "aws_iam_role" "automation" {
  count              = var.create_ssm_document ? 1 : 0
  name               = "${var.name}-automation"
  description        = "Runs the credential report on demand (SSM Automation)."
  assume_role_policy = data.aws_iam_policy_document.automation_assume[0].json
  tags               = var.tags
}

data "aws_iam_policy_document" "automation" {
  count = var.create_ssm_document ? 1 : 0

  # --- step-functions: start an execution, follow it ---

  dynamic "statement" {
    for_each = local.state_machine_runbook ? [1] : []
    content {
      sid       = "StartReportExecution"
      actions   = ["states:StartExecution"]
      resources = [aws_sfn_state_machine.weekly[0].arn]
    }
  }

  dynamic "statement" {
    for_each = local.state_machine_runbook ? [1] : []
    content {
      sid       = "FollowReportExecutions"
      actions   = ["states:DescribeExecution"]
      resources = [local.state_machine_executions_arn]
    }
  }

  # --- lambda: invoke the function, then, for runs that outlast the invoke step, read the
  # latest manifest ---

  dynamic "statement" {
    for_each = local.lambda_runbook ? [1] : []
    content {
      sid       = "InvokeReportFunction"
      actions   = ["lambda:InvokeFunction"]
      resources = [aws_lambda_function.this.arn]
    }
  }

  dynamic "statement" {
    for_each = local.lambda_runbook ? [1] : []
    content {
      sid       = "ReadLatestManifest"
      actions   = ["s3:GetObject"]
      resources = ["${local.bucket_arn}/${local.latest_manifest_key}"]
    }
  }

  dynamic "statement" {
    for_each = local.lambda_runbook ? [1] : []
    content {
      sid     = "SeeMissingManifest"
      actions = ["s3:ListBucket"] # a manifest not yet written is then 404, not 403
      condition {
        test     = "StringEquals"
        variable = "s3:prefix"
        values   = [local.latest_manifest_key]
      }
      resources = [local.bucket_arn]
    }
  }

  dynamic "statement" {
    for_each = local.lambda_runbook && var.kms_key_arn != null ? [1] : []
    content {
      sid       = "DecryptLatestManifest"
      actions   = ["kms:Decrypt"]
      resources = [var.kms_key_arn]
    }
  }
}

resource "aws_iam_role_policy" "automation" {
  count  = var.create_ssm_document ? 1 : 0
  name   = "run-credential-report"
  role   = aws_iam_role.automation[0].id
  policy = data.aws_iam_policy_document.automation[0].json
}

resource "aws_ssm_document" "export" {
  count           = var.create_ssm_document ? 1 : 0
  name            = var.ssm_document_name
  document_type   = "Automation"
  document_format = "YAML"

  # The runbook's defaults point at this deployment, so that an operator only picks the window.
  # (Terraform reports errors of the branch it takes only: the state machine's [0] is safe.)
  content = local.step_functions ? templatefile("${path.module}/../ssm-documents/credential_report_export_state_machine.yaml", {
    automation_role_arn  = aws_iam_role.automation[0].arn
    state_machine_arn    = aws_sfn_state_machine.weekly[0].arn
    runbook_wait_seconds = local.runbook_wait_seconds
    }) : templatefile("${path.module}/../ssm-documents/credential_report_export.yaml", {
    automation_role_arn = aws_iam_role.automation[0].arn
    function_name       = aws_lambda_function.this.function_name
    report_bucket       = var.bucket_name
    report_bucket_owner = local.bucket_account_id
    latest_manifest_key = local.latest_manifest_key
  })

  tags = var.tags
}
