# The report bucket: created here (create_bucket = true) as a locked-down security bucket, or
# an existing one, possibly in another account, whose owner adds the statements of the outputs
# required_bucket_policy_json and required_kms_key_policy_json.

resource "aws_s3_bucket" "reports" {
  #checkov:skip=CKV_AWS_18:Server access logging needs a log bucket the user owns; it is optional (access_log_bucket).
  #checkov:skip=CKV_AWS_144:Cross-Region replication needs a second bucket and Region the user chooses; reports can be regenerated from CloudTrail while its retention lasts.
  #checkov:skip=CKV2_AWS_62:Nothing reacts to new reports; event notifications would have no consumer.
  #checkov:skip=CKV_AWS_145:SSE-KMS applies when kms_key_arn is given; otherwise SSE-S3, since the AWS managed aws/s3 key cannot be shared with readers in other accounts.
  count  = var.create_bucket ? 1 : 0
  bucket = var.bucket_name
  tags   = var.tags
}

resource "aws_s3_bucket_ownership_controls" "reports" {
  count  = var.create_bucket ? 1 : 0
  bucket = aws_s3_bucket.reports[0].id
  rule {
    object_ownership = "BucketOwnerEnforced" # ACLs off: only policies grant access
  }
}

resource "aws_s3_bucket_public_access_block" "reports" {
  count                   = var.create_bucket ? 1 : 0
  bucket                  = aws_s3_bucket.reports[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "reports" {
  count  = var.create_bucket ? 1 : 0
  bucket = aws_s3_bucket.reports[0].id
  versioning_configuration {
    status = "Enabled" # each week's latest/ copy replaces the previous one: keep it
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "reports" {
  count  = var.create_bucket ? 1 : 0
  bucket = aws_s3_bucket.reports[0].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = var.kms_key_arn == null ? "AES256" : "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    bucket_key_enabled = var.kms_key_arn != null
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "reports" {
  count  = var.create_bucket ? 1 : 0
  bucket = aws_s3_bucket.reports[0].id

  # Archived reports are evidence and stay; only replaced versions and abandoned uploads go.
  rule {
    id     = "expire-replaced-versions"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_retention_days
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  # Checkpoints of reads that never finished (a finished run removes its own), and the
  # versions their removal leaves in this versioned bucket.
  rule {
    id     = "expire-abandoned-checkpoints"
    status = "Enabled"
    filter {
      prefix = local.state_key_prefix
    }
    expiration {
      days = var.checkpoint_retention_days
    }
    noncurrent_version_expiration {
      noncurrent_days = var.checkpoint_retention_days
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  depends_on = [aws_s3_bucket_versioning.reports]
}

resource "aws_s3_bucket_logging" "reports" {
  count         = var.create_bucket && var.access_log_bucket != null ? 1 : 0
  bucket        = aws_s3_bucket.reports[0].id
  target_bucket = var.access_log_bucket
  target_prefix = "${var.bucket_name}/"
}

data "aws_iam_policy_document" "bucket" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [local.bucket_arn, "${local.bucket_arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "reports" {
  count  = var.create_bucket ? 1 : 0
  bucket = aws_s3_bucket.reports[0].id
  policy = data.aws_iam_policy_document.bucket.json

  # S3 refuses a policy while the public access block is being set.
  depends_on = [aws_s3_bucket_public_access_block.reports]
}

# --- What an existing bucket's owner must grant (outputs) ---

data "aws_iam_policy_document" "required_bucket_policy" {
  statement {
    sid       = "CredentialReportWrites"
    actions   = ["s3:PutObject"]
    resources = ["${local.bucket_arn}/${local.reports_key_prefix}*", "${local.bucket_arn}/${local.latest_key_prefix}*", "${local.bucket_arn}/${local.latest_pointer_key}"]
    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.lambda.arn]
    }
  }

  statement {
    sid       = "CredentialReportReads"
    actions   = ["s3:GetObject"]
    resources = ["${local.bucket_arn}/${local.reports_key_prefix}*", "${local.bucket_arn}/${local.latest_key_prefix}*", "${local.bucket_arn}/${local.latest_pointer_key}"]
    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.lambda.arn]
    }
  }

  statement {
    sid       = "CredentialReportUndoFirstLatestCopies"
    actions   = ["s3:DeleteObject"]
    resources = ["${local.bucket_arn}/${local.latest_key_prefix}*"]
    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.lambda.arn]
    }
  }

  dynamic "statement" {
    for_each = local.step_functions ? [1] : []
    content {
      sid       = "CredentialReportReadCheckpoints"
      actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
      resources = ["${local.bucket_arn}/${local.state_key_prefix}*"]
      principals {
        type        = "AWS"
        identifiers = [aws_iam_role.lambda.arn]
      }
    }
  }

  dynamic "statement" {
    for_each = local.lambda_runbook ? [1] : []
    content {
      sid       = "CredentialReportOnDemandManifestRead"
      actions   = ["s3:GetObject"]
      resources = ["${local.bucket_arn}/${local.latest_manifest_key}"]
      principals {
        type        = "AWS"
        identifiers = [aws_iam_role.automation[0].arn]
      }
    }
  }

  dynamic "statement" {
    for_each = local.lambda_runbook ? [1] : []
    content {
      sid       = "CredentialReportOnDemandManifestList"
      actions   = ["s3:ListBucket"] # turns a missing manifest into 404 instead of 403
      resources = [local.bucket_arn]
      principals {
        type        = "AWS"
        identifiers = [aws_iam_role.automation[0].arn]
      }
      condition {
        test     = "StringEquals"
        variable = "s3:prefix"
        values   = [local.latest_manifest_key]
      }
    }
  }

  dynamic "statement" {
    for_each = var.create_remediation ? [1] : []
    content {
      sid       = "CredentialReportRemediationPlansRead"
      actions   = ["s3:GetObject"]
      resources = ["${local.bucket_arn}/${local.remediation_plans_key_prefix}*"]
      principals {
        type        = "AWS"
        identifiers = [aws_iam_role.remediation[0].arn]
      }
    }
  }

  dynamic "statement" {
    for_each = var.create_remediation ? [1] : []
    content {
      sid       = "CredentialReportRemediationAuditWrites"
      actions   = ["s3:PutObject"]
      resources = ["${local.bucket_arn}/${local.remediation_audit_key_prefix}*"]
      principals {
        type        = "AWS"
        identifiers = [aws_iam_role.remediation[0].arn]
      }
    }
  }
}

data "aws_iam_policy_document" "required_kms_key_policy" {
  #checkov:skip=CKV_AWS_111:A key policy statement: its "*" resource is the key it is attached to, and its principals are this module's roles.
  #checkov:skip=CKV_AWS_356:A key policy statement: its "*" resource is the key it is attached to, the only resource a key policy can name.
  # In a key policy, "*" as the resource means the key the policy is attached to.
  statement {
    sid       = "CredentialReportEncrypt"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.lambda.arn]
    }
  }

  dynamic "statement" {
    for_each = local.lambda_runbook ? [1] : []
    content {
      sid       = "CredentialReportOnDemandDecrypt"
      actions   = ["kms:Decrypt"]
      resources = ["*"]
      principals {
        type        = "AWS"
        identifiers = [aws_iam_role.automation[0].arn]
      }
    }
  }

  dynamic "statement" {
    for_each = var.create_remediation ? [1] : []
    content {
      sid       = "CredentialReportRemediationKey"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = ["*"]
      principals {
        type        = "AWS"
        identifiers = [aws_iam_role.remediation[0].arn]
      }
    }
  }
}
