output "function_name" {
  description = "Name of the report function."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "ARN of the report function."
  value       = aws_lambda_function.this.arn
}

output "role_arn" {
  description = "ARN of the function's role (the principal to name in an existing bucket's or key's policy)."
  value       = aws_iam_role.lambda.arn
}

output "scheduler_role_arn" {
  description = "ARN of the role EventBridge Scheduler uses to start the state machine (step-functions) or invoke the function (lambda)."
  value       = aws_iam_role.scheduler.arn
}

output "state_machine_arn" {
  description = "ARN of the state machine of the weekly run (start an execution with {} or {\"lookback_days\": N, \"as_of\": \"RFC 3339\"}); null with orchestration = \"lambda\"."
  value       = local.step_functions ? aws_sfn_state_machine.weekly[0].arn : null
}

output "state_machine_name" {
  description = "Name of the state machine; null with orchestration = \"lambda\"."
  value       = local.step_functions ? aws_sfn_state_machine.weekly[0].name : null
}

output "state_machine_log_group_name" {
  description = "CloudWatch Logs group of the state machine's executions; null with orchestration = \"lambda\"."
  value       = local.step_functions ? aws_cloudwatch_log_group.state_machine[0].name : null
}

output "checkpoint_location" {
  description = "Prefix of the directory read's checkpoints (state/RUN_ID/), kept while a step-functions run reads; an existing bucket's owner should expire objects there after a few days."
  value       = "s3://${var.bucket_name}/${local.state_key_prefix}"
}

output "automation_role_arn" {
  description = "ARN of the role the SSM runbook runs as (operators need iam:PassRole on it); null without the runbook."
  value       = var.create_ssm_document ? aws_iam_role.automation[0].arn : null
}

output "ssm_document_name" {
  description = "Name of the SSM Automation runbook that runs a report on demand; null without it."
  value       = var.create_ssm_document ? aws_ssm_document.export[0].name : null
}

output "schedule_arn" {
  description = "ARN of the EventBridge Scheduler schedule (it starts the state machine, or invokes the function with orchestration = \"lambda\")."
  value       = aws_scheduler_schedule.this.arn
}

output "dead_letter_queue_url" {
  description = "SQS queue that receives scheduled runs given up after their retries."
  value       = aws_sqs_queue.dlq.url
}

output "log_group_name" {
  description = "CloudWatch Logs group of the function."
  value       = aws_cloudwatch_log_group.lambda.name
}

output "bucket_name" {
  description = "Bucket the reports are written to."
  value       = var.create_bucket ? aws_s3_bucket.reports[0].id : var.bucket_name
}

output "report_location" {
  description = "The current report, replaced by each run."
  value       = "s3://${var.bucket_name}/${local.latest_report_key}"
}

output "manifest_location" {
  description = "The current report's manifest."
  value       = "s3://${var.bucket_name}/${local.latest_manifest_key}"
}

output "archive_location" {
  description = "Prefix under which every report is kept (reports/year=YYYY/month=MM/day=DD/)."
  value       = "s3://${var.bucket_name}/${local.reports_key_prefix}"
}

output "required_bucket_policy_json" {
  description = "Existing bucket (create_bucket = false): the statements its bucket policy must add. Needed when the bucket is in another account; harmless otherwise."
  value       = data.aws_iam_policy_document.required_bucket_policy.json
}

output "required_kms_key_policy_json" {
  description = "With kms_key_arn: the statements the key's policy must add (needed when the key is in another account, or when its policy does not delegate to IAM). Null without a key."
  value       = var.kms_key_arn == null ? null : data.aws_iam_policy_document.required_kms_key_policy.json
}

output "remediation_function_name" {
  description = "Name of the remediation function; null without remediation."
  value       = var.create_remediation ? aws_lambda_function.remediation[0].function_name : null
}

output "remediation_function_arn" {
  description = "ARN of the remediation function (grant lambda:InvokeFunction on it to no one but the runbook's role); null without remediation."
  value       = var.create_remediation ? aws_lambda_function.remediation[0].arn : null
}

output "remediation_role_arn" {
  description = "ARN of the remediation function's role (the principal to name in an existing bucket's or key's policy); null without remediation."
  value       = var.create_remediation ? aws_iam_role.remediation[0].arn : null
}

output "remediation_runbook_name" {
  description = "Name of the SSM Automation runbook that applies a remediation plan after approval; null without remediation."
  value       = var.create_remediation ? aws_ssm_document.remediation[0].name : null
}

output "remediation_runbook_role_arn" {
  description = "ARN of the role the remediation runbook runs as (operators need iam:PassRole on it); null without remediation."
  value       = var.create_remediation ? aws_iam_role.remediation_runbook[0].arn : null
}

output "remediation_plans_location" {
  description = "Where remediation plans must be written (the only prefix the remediation reads); null without remediation."
  value       = var.create_remediation ? "s3://${var.bucket_name}/${local.remediation_plans_key_prefix}" : null
}

output "remediation_audit_location" {
  description = "Where the remediation writes an audit log of each run; null without remediation."
  value       = var.create_remediation ? "s3://${var.bucket_name}/${local.remediation_audit_key_prefix}" : null
}
