# On-demand runs: an SSM Automation runbook (../ssm-documents/credential_report_export.yaml)
# and the role it runs as. Operators start it from the console or with
# `aws ssm start-automation-execution --document-name <ssm_document_name>`; they need
# ssm:StartAutomationExecution on the document and iam:PassRole on the role.

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

  statement {
    sid       = "InvokeReportFunction"
    actions   = ["lambda:InvokeFunction"]
    resources = [aws_lambda_function.this.arn]
  }

  # For runs that outlast the invoke step: the runbook reads the latest manifest.
  statement {
    sid       = "ReadLatestManifest"
    actions   = ["s3:GetObject"]
    resources = ["${local.bucket_arn}/${local.latest_manifest_key}"]
  }

  statement {
    sid     = "SeeMissingManifest"
    actions = ["s3:ListBucket"] # a manifest not yet written is then 404, not 403
    condition {
      test     = "StringEquals"
      variable = "s3:prefix"
      values   = [local.latest_manifest_key]
    }
    resources = [local.bucket_arn]
  }

  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [1]
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
  content = templatefile("${path.module}/../ssm-documents/credential_report_export.yaml", {
    automation_role_arn = aws_iam_role.automation[0].arn
    function_name       = aws_lambda_function.this.function_name
    report_bucket       = var.bucket_name
    report_bucket_owner = local.bucket_account_id
    latest_manifest_key = local.latest_manifest_key
  })

  tags = var.tags
}
