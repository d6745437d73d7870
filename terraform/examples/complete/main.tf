# Everything the module can create: the report bucket (encrypted with a key made here), the
# weekly schedule, the on-demand runbook and alarms sent to an SNS topic. Evidence comes from a
# CloudTrail Lake event data store. With remediation_approvers, also the remediation: a function
# that removes unused access named by a plan, after those approvers approve it.

variable "region" {
  description = "Region of the IAM Identity Center instance."
  type        = string
  default     = "eu-west-1"
}

variable "event_data_store" {
  description = "Id or ARN of the CloudTrail Lake event data store recording the instance's management events."
  type        = string
}

variable "alarm_email" {
  description = "Address that receives failure alarms (confirm the SNS subscription mail)."
  type        = string
}

variable "remediation_approvers" {
  description = "IAM user or role ARNs allowed to approve the removal of unused access. Empty leaves the remediation off."
  type        = list(string)
  default     = []
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

# The instance and its identity store, which the remediation must be told (it acts on one
# named instance only).
data "aws_ssoadmin_instances" "this" {}

data "aws_iam_policy_document" "reports_key" {
  #checkov:skip=CKV_AWS_109:The default key policy: it delegates the key to the account's IAM policies; "*" is this key.
  #checkov:skip=CKV_AWS_111:The default key policy: it delegates the key to the account's IAM policies; "*" is this key.
  #checkov:skip=CKV_AWS_356:The default key policy: it delegates the key to the account's IAM policies; "*" is this key.
  # The account's administrators manage the key through IAM.
  statement {
    sid       = "AccountAdministration"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }
}

resource "aws_kms_key" "reports" {
  description         = "Credential reports"
  enable_key_rotation = true
  policy              = data.aws_iam_policy_document.reports_key.json
}

resource "aws_sns_topic" "alarms" {
  name              = "idc-credential-report-alarms"
  kms_master_key_id = "alias/aws/sns"
}

resource "aws_sns_topic_subscription" "alarms" {
  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

module "credential_report" {
  source = "../.."

  bucket_name   = "idc-credential-report-${data.aws_caller_identity.current.account_id}"
  report_prefix = "identity-center"
  kms_key_arn   = aws_kms_key.reports.arn

  evidence_source  = "cloudtrail-lake"
  event_data_store = var.event_data_store
  lookback_days    = 90

  # The weekly run under Step Functions (the default): reads that outlast one invocation go on
  # in the next one, up to 40 invocations.
  orchestration       = "step-functions"
  max_read_iterations = 40

  schedule_expression = "cron(0 20 ? * SUN *)"
  schedule_timezone   = "Europe/Paris"
  alarm_sns_topic_arn = aws_sns_topic.alarms.arn

  instance_arn      = tolist(data.aws_ssoadmin_instances.this.arns)[0]
  identity_store_id = tolist(data.aws_ssoadmin_instances.this.identity_store_ids)[0]

  # Remediation: off unless approvers are given. Two approvers when there are several; account
  # assignments only (no user deletion), at most 25 deletions a run.
  create_remediation        = length(var.remediation_approvers) > 0
  remediation_approvers     = var.remediation_approvers
  remediation_min_approvals = min(2, max(1, length(var.remediation_approvers)))
  remediation_max_deletions = 25

  tags = { Purpose = "access-review" }
}

output "report_location" {
  value = module.credential_report.report_location
}

output "ssm_document_name" {
  value = module.credential_report.ssm_document_name
}

output "state_machine_arn" {
  value = module.credential_report.state_machine_arn
}

output "remediation_runbook_name" {
  value = module.credential_report.remediation_runbook_name
}

output "remediation_plans_location" {
  value = module.credential_report.remediation_plans_location
}
