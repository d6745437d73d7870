# Reports go to a security bucket that already exists, here in a log-archive account, and are
# encrypted with that account's key. Evidence comes from the trail's logs through Athena.
# After `terraform apply`, the log-archive account adds the statements of the outputs
# bucket_policy_statements and key_policy_statements to its bucket and key policies.

variable "region" {
  description = "Region of the IAM Identity Center instance."
  type        = string
  default     = "eu-west-1"
}

variable "security_bucket" {
  description = "Name of the existing bucket."
  type        = string
}

variable "security_account_id" {
  description = "Account that owns the bucket and the key."
  type        = string
}

variable "security_key_arn" {
  description = "KMS key that encrypts objects in the bucket."
  type        = string
}

module "credential_report" {
  source = "../.."

  create_bucket     = false
  bucket_name       = var.security_bucket
  bucket_account_id = var.security_account_id
  report_prefix     = "identity-center/credential-report"
  kms_key_arn       = var.security_key_arn

  evidence_source        = "athena"
  athena_table           = "cloudtrail.management_events"
  athena_workgroup       = "primary"
  athena_output_location = "s3://athena-results-${var.security_account_id}/idc-credential-report/"
  athena_data_location   = "s3://org-trail-${var.security_account_id}/AWSLogs/"

  # A small organization: the schedule invokes the function directly (one run of at most 15
  # minutes), so no checkpoints are written to the bucket. No runbook.
  orchestration       = "lambda"
  create_ssm_document = false
}

output "bucket_policy_statements" {
  description = "Add these statements to the bucket's policy."
  value       = module.credential_report.required_bucket_policy_json
}

output "key_policy_statements" {
  description = "Add these statements to the key's policy."
  value       = module.credential_report.required_kms_key_policy_json
}

output "report_location" {
  value = module.credential_report.report_location
}
