# The function's role: exactly the calls the function makes, each on the narrowest resource IAM
# can name. Actions that IAM authorizes only on "*" (no resource type in the Service
# Authorization Reference) say so next to them; tests/deploy checks every action against that
# reference.

locals {
  # The instance id, or "*" when the function finds the instance itself.
  sso_instance_id = var.instance_arn == null ? "*" : element(split("/", var.instance_arn), 1)

  sso_resources = [
    "arn:${local.partition}:sso:::instance/${local.sso_instance_id}",
    "arn:${local.partition}:sso:::permissionSet/${local.sso_instance_id}/*",
    # Account resources have no instance in their ARN: any account the instance assigns to.
    "arn:${local.partition}:sso:::account/*",
  ]

  identitystore_resources = [
    "arn:${local.partition}:identitystore::${local.account_id}:identitystore/${coalesce(var.identity_store_id, "*")}",
    # IAM names users, groups and memberships without their store; the store ARN above is what
    # limits these calls to one directory.
    "arn:${local.partition}:identitystore:::user/*",
    "arn:${local.partition}:identitystore:::group/*",
    "arn:${local.partition}:identitystore:::membership/*",
  ]

  event_data_store_arn = var.event_data_store == null ? null : (
    startswith(var.event_data_store, "arn:")
    ? var.event_data_store
    : "arn:${local.partition}:cloudtrail:${local.region}:${coalesce(var.lake_owner_account_id, local.account_id)}:eventdatastore/${var.event_data_store}"
  )

  # With a role to assume, every Lake call is made by that role and this one needs only
  # sts:AssumeRole.
  lake_direct = var.evidence_source == "cloudtrail-lake" && var.lake_role_arn == null
  lake_assume = var.evidence_source == "cloudtrail-lake" && var.lake_role_arn != null
  athena      = var.evidence_source == "athena"
  lookup      = var.evidence_source == "cloudtrail-lookup"

  cloudwatch_direct = var.evidence_source == "cloudwatch-logs" && var.cloudwatch_role_arn == null
  cloudwatch_assume = var.evidence_source == "cloudwatch-logs" && var.cloudwatch_role_arn != null
  # A log group named by name is in the function's account and cloudwatch_region. Both ARN
  # forms: with and without the ":*" that IAM's examples for Logs Insights use.
  cloudwatch_log_group_arns = flatten([
    for g in var.cloudwatch_log_groups : [
      for arn in [startswith(g, "arn:") ? g : "arn:${local.partition}:logs:${coalesce(var.cloudwatch_region, local.region)}:${local.account_id}:log-group:${g}"] :
      [arn, "${arn}:*"]
    ]
  ])

  athena_database = local.athena ? split(".", var.athena_table)[0] : null
  athena_table    = local.athena ? split(".", var.athena_table)[1] : null

  # s3://bucket/some/prefix/ -> bucket, "some/prefix/"
  athena_output_bucket = local.athena ? split("/", trimprefix(var.athena_output_location, "s3://"))[0] : null
  athena_output_path   = local.athena ? trimprefix(trimprefix(var.athena_output_location, "s3://${local.athena_output_bucket}"), "/") : null
  athena_data_bucket   = local.athena ? split("/", trimprefix(var.athena_data_location, "s3://"))[0] : null
  athena_data_path     = local.athena ? trimprefix(trimprefix(var.athena_data_location, "s3://${local.athena_data_bucket}"), "/") : null
}

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    sid     = "LambdaService"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "lambda" {
  name               = "${var.name}-function"
  description        = "Runs the IAM Identity Center credential report."
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "lambda" {
  # --- Directory: Identity Center, identity store, Organizations ---

  dynamic "statement" {
    for_each = var.instance_arn == null ? [1] : []
    content {
      sid = "FindIdentityCenterInstance"
      # ListInstances has no resource type: IAM accepts only "*".
      actions   = ["sso:ListInstances"]
      resources = ["*"]
    }
  }

  statement {
    sid = "ReadAccountAssignments"
    actions = [
      "sso:ListPermissionSets",
      "sso:DescribePermissionSet",
      "sso:ListAccountsForProvisionedPermissionSet",
      "sso:ListAccountAssignments",
      "sso:ListAccountAssignmentsForPrincipal",
      # The instance's Regions, each of which records its own sign-ins and credentials.
      "sso:ListRegions",
    ]
    resources = local.sso_resources
  }

  statement {
    sid = "ReadIdentityStore"
    actions = [
      "identitystore:ListUsers",
      "identitystore:ListGroups",
      "identitystore:ListGroupMemberships",
    ]
    resources = local.identitystore_resources
  }

  statement {
    sid = "ListAccountAccessApplications"
    # Account access manager entitlements, which are not account assignments. ListApplications
    # has no resource type: IAM accepts only "*". Optional for the function (without it, the
    # manifest warns that entitlements were not read).
    actions   = ["account-access:ListApplications"]
    resources = ["*"]
  }

  statement {
    sid = "ReadAccountAccessEntitlements"
    # The applications' own account and Region are not known in advance: any application
    # of this partition. Both actions only read.
    actions   = ["account-access:GetApplication", "account-access:ListEntitlements"]
    resources = ["arn:${local.partition}:account-access:*:*:application/*"]
  }

  statement {
    sid = "ReadAccountNames"
    # ListAccounts has no resource type: IAM accepts only "*". Optional for the function
    # (without it, account names are empty and the manifest warns).
    actions   = ["organizations:ListAccounts"]
    resources = ["*"]
  }

  # --- Evidence: CloudTrail Lake ---

  dynamic "statement" {
    for_each = local.lake_direct ? [1] : []
    content {
      sid = "QueryEventDataStore"
      actions = [
        "cloudtrail:GetEventDataStore",
        "cloudtrail:StartQuery",
        "cloudtrail:DescribeQuery",
        "cloudtrail:GetQueryResults",
        "cloudtrail:CancelQuery",
      ]
      resources = [local.event_data_store_arn]
    }
  }

  dynamic "statement" {
    for_each = local.lake_assume ? [1] : []
    content {
      sid       = "AssumeLakeRole"
      actions   = ["sts:AssumeRole"]
      resources = [var.lake_role_arn]
    }
  }

  # --- Evidence: CloudWatch Logs (Logs Insights) ---

  dynamic "statement" {
    for_each = local.cloudwatch_direct ? [1] : []
    content {
      sid       = "QueryTrailLogGroups"
      actions   = ["logs:StartQuery", "logs:GetQueryResults"]
      resources = local.cloudwatch_log_group_arns
    }
  }

  dynamic "statement" {
    for_each = local.cloudwatch_direct ? [1] : []
    content {
      sid = "CheckAndStopLogsQueries"
      # DescribeLogGroups (the preflight) and StopQuery (at the deadline) have no resource
      # type: IAM accepts only "*".
      actions   = ["logs:DescribeLogGroups", "logs:StopQuery"]
      resources = ["*"]
    }
  }

  dynamic "statement" {
    for_each = local.cloudwatch_assume ? [1] : []
    content {
      sid       = "AssumeCloudWatchRole"
      actions   = ["sts:AssumeRole"]
      resources = [var.cloudwatch_role_arn]
    }
  }

  # --- Evidence: Athena over the trail's S3 logs ---

  dynamic "statement" {
    for_each = local.athena ? [1] : []
    content {
      sid = "RunAthenaQueries"
      actions = [
        "athena:StartQueryExecution",
        "athena:GetQueryExecution",
        "athena:GetQueryResults",
        "athena:StopQueryExecution",
      ]
      resources = ["arn:${local.partition}:athena:${local.region}:${local.account_id}:workgroup/${var.athena_workgroup}"]
    }
  }

  dynamic "statement" {
    for_each = local.athena ? [1] : []
    content {
      sid = "ReadCloudTrailTable"
      # GetPartitions: Athena reads partitions kept in the catalog (not needed with partition
      # projection, harmless then).
      actions = ["glue:GetDatabase", "glue:GetTable", "glue:GetPartitions"]
      resources = [
        "arn:${local.partition}:glue:${local.region}:${local.account_id}:catalog",
        "arn:${local.partition}:glue:${local.region}:${local.account_id}:database/${local.athena_database}",
        "arn:${local.partition}:glue:${local.region}:${local.account_id}:table/${local.athena_database}/${local.athena_table}",
      ]
    }
  }

  dynamic "statement" {
    for_each = local.athena ? [1] : []
    content {
      sid       = "ListTrailBucket"
      actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
      resources = ["arn:${local.partition}:s3:::${local.athena_data_bucket}"]
    }
  }

  dynamic "statement" {
    for_each = local.athena ? [1] : []
    content {
      sid       = "ReadTrailLogs"
      actions   = ["s3:GetObject"]
      resources = ["arn:${local.partition}:s3:::${local.athena_data_bucket}/${local.athena_data_path}*"]
    }
  }

  dynamic "statement" {
    for_each = local.athena ? [1] : []
    content {
      sid       = "ListAthenaResultsBucket"
      actions   = ["s3:ListBucket", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads"]
      resources = ["arn:${local.partition}:s3:::${local.athena_output_bucket}"]
    }
  }

  dynamic "statement" {
    for_each = local.athena ? [1] : []
    content {
      sid = "WriteAthenaResults"
      # Athena writes the results with the caller's permissions and reads them back for
      # GetQueryResults; large results are multipart uploads.
      actions = [
        "s3:GetObject",
        "s3:PutObject",
        "s3:AbortMultipartUpload",
        "s3:ListMultipartUploadParts",
      ]
      resources = ["arn:${local.partition}:s3:::${local.athena_output_bucket}/${local.athena_output_path}*"]
    }
  }

  dynamic "statement" {
    for_each = local.athena && length(var.athena_kms_key_arns) > 0 ? [1] : []
    content {
      sid       = "UseAthenaKeys"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = var.athena_kms_key_arns
    }
  }

  # --- Evidence: CloudTrail event history ---

  dynamic "statement" {
    for_each = local.lookup ? [1] : []
    content {
      sid = "LookupCloudTrailEvents"
      # LookupEvents has no resource type: IAM accepts only "*".
      actions   = ["cloudtrail:LookupEvents"]
      resources = ["*"]
    }
  }

  # --- Output: the report bucket ---

  statement {
    sid = "WriteReports"
    # Archive keys are written once (If-None-Match: *), copied to latest/, then latest.json
    # points to the complete set.
    actions = ["s3:PutObject"]
    resources = [
      "${local.bucket_arn}/${local.reports_key_prefix}*",
      "${local.bucket_arn}/${local.latest_key_prefix}*",
      "${local.bucket_arn}/${local.latest_pointer_key}",
    ]
  }

  dynamic "statement" {
    for_each = var.exceptions_s3_uri == null ? [] : [1]
    content {
      sid       = "ReadExceptions"
      actions   = ["s3:GetObject"]
      resources = ["arn:${local.partition}:s3:::${trimprefix(var.exceptions_s3_uri, "s3://")}"]
    }
  }

  statement {
    sid = "ReadReports"
    # The copy's source, the checks that each copy holds its source's bytes, the previous
    # pointer (to put latest/ back if a copy fails), and the previous report set, which each
    # run compares itself with.
    actions = ["s3:GetObject"]
    resources = [
      "${local.bucket_arn}/${local.reports_key_prefix}*",
      "${local.bucket_arn}/${local.latest_key_prefix}*",
      "${local.bucket_arn}/${local.latest_pointer_key}",
    ]
  }

  statement {
    sid = "UndoFirstLatestCopies"
    # Only when the first publish's copy to latest/ fails: its partial copies are removed.
    actions   = ["s3:DeleteObject"]
    resources = ["${local.bucket_arn}/${local.latest_key_prefix}*"]
  }

  dynamic "statement" {
    for_each = local.step_functions ? [1] : []
    content {
      sid = "KeepReadCheckpoints"
      # A read that spans invocations saves, reloads and finally removes its checkpoint.
      actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
      resources = ["${local.bucket_arn}/${local.state_key_prefix}*"]
    }
  }

  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [1]
    content {
      sid       = "UseReportKey"
      actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
      resources = [var.kms_key_arn]
    }
  }

  # --- Its own logs and dead-letter queue ---

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.lambda.arn}:log-stream:*"]
  }

  statement {
    sid       = "SendFailedRunsToDeadLetterQueue"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dlq.arn]
  }
}

resource "aws_iam_role_policy" "lambda" {
  name   = "credential-report"
  role   = aws_iam_role.lambda.id
  policy = data.aws_iam_policy_document.lambda.json
}
