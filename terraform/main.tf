# The report function, its log group, its dead-letter queue and its alarms.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region

  zip_path = coalesce(var.lambda_zip_path, "${path.module}/../target/lambda/idc-credential-report.zip")

  # Keys the function writes (see the function's contract in README.md).
  key_prefix          = var.report_prefix == "" ? "" : "${var.report_prefix}/"
  reports_key_prefix  = "${local.key_prefix}reports/"
  latest_key_prefix   = "${local.key_prefix}latest/"
  latest_pointer_key  = "${local.key_prefix}latest.json"
  latest_report_key   = "${local.latest_key_prefix}credential-report.csv"
  latest_manifest_key = "${local.latest_key_prefix}credential-report.manifest.json"
  # Checkpoints of a directory read that spans invocations (step-functions), one folder a run:
  # state/RUN_ID/. The function derives it from IDC_REPORT_BUCKET and IDC_REPORT_PREFIX.
  state_key_prefix = "${local.key_prefix}state/"

  bucket_account_id = coalesce(var.bucket_account_id, local.account_id)
  bucket_arn        = "arn:${local.partition}:s3:::${var.bucket_name}"

  lambda_environment = {
    IDC_REPORT_BUCKET              = var.bucket_name
    IDC_REPORT_PREFIX              = var.report_prefix
    IDC_REPORT_KMS_KEY_ARN         = var.kms_key_arn
    IDC_LOOKBACK_DAYS              = tostring(var.lookback_days)
    IDC_INACTIVE_DAYS              = tostring(var.inactive_days)
    IDC_INSTANCE_ARN               = var.instance_arn
    IDC_IDENTITY_STORE_ID          = var.identity_store_id
    IDC_ASSIGNMENT_STRATEGY        = var.assignment_strategy
    IDC_EVIDENCE_SOURCE            = var.evidence_source
    IDC_EVENT_DATA_STORE           = var.event_data_store
    IDC_LAKE_OWNER_ACCOUNT_ID      = var.lake_owner_account_id
    IDC_LAKE_ROLE_ARN              = var.lake_role_arn
    IDC_ATHENA_TABLE               = var.athena_table
    IDC_ATHENA_WORKGROUP           = var.evidence_source == "athena" ? var.athena_workgroup : null
    IDC_ATHENA_OUTPUT              = var.athena_output_location
    IDC_CLOUDTRAIL_LOOKUP_REGIONS  = length(var.cloudtrail_lookup_regions) > 0 ? join(",", var.cloudtrail_lookup_regions) : null
    IDC_CLOUDWATCH_LOG_GROUPS      = length(var.cloudwatch_log_groups) > 0 ? join(",", var.cloudwatch_log_groups) : null
    IDC_CLOUDWATCH_REGION          = var.cloudwatch_region
    IDC_CLOUDWATCH_ROLE_ARN        = var.cloudwatch_role_arn
    IDC_EXCEPTIONS_S3_URI          = var.exceptions_s3_uri
    IDC_PRIVILEGED_PERMISSION_SETS = join(",", var.privileged_permission_sets)
    RUST_LOG                       = var.rust_log
  }
}

resource "aws_cloudwatch_log_group" "lambda" {
  #checkov:skip=CKV_AWS_158:Encrypted by CloudWatch Logs by default; a customer managed key is optional (logs_kms_key_arn) because its key policy must name this Region's logs service.
  name              = "/aws/lambda/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.logs_kms_key_arn
  tags              = var.tags
}

# Failed asynchronous runs (the schedule's) and undeliverable scheduler events end here.
resource "aws_sqs_queue" "dlq" {
  name                      = "${var.name}-dlq"
  sqs_managed_sse_enabled   = true
  message_retention_seconds = 1209600 # 14 days, SQS's maximum: a weekly failure stays visible
  tags                      = var.tags
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_117:The function calls only AWS APIs; a VPC would add NAT or endpoints and ec2:*NetworkInterface permissions on "*" for nothing.
  #checkov:skip=CKV_AWS_173:The environment holds names and ARNs, no secrets; Lambda encrypts it at rest with its own key.
  #checkov:skip=CKV_AWS_272:The zip is built by package.sh from this repository; code signing needs a Signer profile the user owns, out of this module's scope.
  #checkov:skip=CKV_AWS_115:Reserved concurrency is optional (reserved_concurrent_executions): accounts with the default quota of 10 cannot reserve any.
  function_name = var.name
  description   = "IAM Identity Center credential report (idc-credential-report)"
  role          = aws_iam_role.lambda.arn

  filename         = local.zip_path
  source_code_hash = filebase64sha256(local.zip_path)
  handler          = "bootstrap"
  runtime          = "provided.al2023"
  architectures    = ["arm64"]

  memory_size                    = var.memory_size
  timeout                        = var.timeout
  reserved_concurrent_executions = var.reserved_concurrent_executions

  environment {
    variables = { for k, v in local.lambda_environment : k => v if v != null }
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.lambda.name
  }

  dead_letter_config {
    target_arn = aws_sqs_queue.dlq.arn
  }

  tracing_config {
    mode = "PassThrough"
  }

  tags = var.tags

  # The role's policy must exist before the first invocation, and the log group before the
  # first log line (else Lambda would create one without retention).
  depends_on = [
    aws_iam_role_policy.lambda,
    aws_cloudwatch_log_group.lambda,
    terraform_data.input_checks,
  ]
}

# Retries of the schedule's asynchronous runs; then the event goes to the dead-letter queue.
resource "aws_lambda_function_event_invoke_config" "this" {
  function_name                = aws_lambda_function.this.function_name
  maximum_retry_attempts       = var.async_retry_attempts
  maximum_event_age_in_seconds = 21600
}

resource "aws_cloudwatch_metric_alarm" "errors" {
  alarm_name          = "${var.name}-errors"
  alarm_description   = "A credential report run failed (error or timeout). See the log group ${aws_cloudwatch_log_group.lambda.name}."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = aws_lambda_function.this.function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching" # no run in the period is not a failure
  alarm_actions       = var.alarm_sns_topic_arn == null ? [] : [var.alarm_sns_topic_arn]
  ok_actions          = var.alarm_sns_topic_arn == null ? [] : [var.alarm_sns_topic_arn]
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "dead_letters" {
  alarm_name          = "${var.name}-dead-letters"
  alarm_description   = "A scheduled credential report run was given up. Read the message in ${aws_sqs_queue.dlq.name}."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.dlq.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_sns_topic_arn == null ? [] : [var.alarm_sns_topic_arn]
  tags                = var.tags
}
