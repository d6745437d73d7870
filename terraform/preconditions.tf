# Rules that involve more than one variable. They sit on a terraform_data resource (built into
# Terraform, no provider needed) so that `terraform plan` stops before creating anything, and
# so that tests/deploy can evaluate them with a real Terraform and no AWS provider.
resource "terraform_data" "input_checks" {
  lifecycle {
    precondition {
      condition     = var.evidence_source != "cloudtrail-lake" || var.event_data_store != null
      error_message = "evidence_source = \"cloudtrail-lake\" needs event_data_store (its id or ARN)."
    }
    precondition {
      condition     = var.lake_owner_account_id == null || can(regex("^arn:", coalesce(var.event_data_store, "-")))
      error_message = "lake_owner_account_id needs event_data_store as an ARN: the store is in another account."
    }
    precondition {
      condition     = var.evidence_source != "athena" || (var.athena_table != null && var.athena_output_location != null && var.athena_data_location != null)
      error_message = "evidence_source = \"athena\" needs athena_table, athena_output_location and athena_data_location."
    }
    precondition {
      condition = var.evidence_source == "cloudtrail-lake" || (
        var.event_data_store == null && var.lake_owner_account_id == null && var.lake_role_arn == null
      )
      error_message = "event_data_store, lake_owner_account_id and lake_role_arn apply only to evidence_source = \"cloudtrail-lake\"."
    }
    precondition {
      condition     = var.evidence_source == "athena" || (var.athena_table == null && var.athena_output_location == null && var.athena_data_location == null)
      error_message = "athena_table, athena_output_location and athena_data_location apply only to evidence_source = \"athena\"."
    }
    precondition {
      condition     = var.evidence_source != "cloudwatch-logs" || length(var.cloudwatch_log_groups) > 0
      error_message = "evidence_source = \"cloudwatch-logs\" needs cloudwatch_log_groups (Control Tower's: aws-controltower/CloudTrailLogs)."
    }
    precondition {
      condition = var.evidence_source == "cloudwatch-logs" || (
        length(var.cloudwatch_log_groups) == 0 && var.cloudwatch_region == null && var.cloudwatch_role_arn == null
      )
      error_message = "cloudwatch_log_groups, cloudwatch_region and cloudwatch_role_arn apply only to evidence_source = \"cloudwatch-logs\"."
    }
    precondition {
      condition     = var.evidence_source == "cloudtrail-lookup" || length(var.cloudtrail_lookup_regions) == 0
      error_message = "cloudtrail_lookup_regions applies only to evidence_source = \"cloudtrail-lookup\"."
    }
    precondition {
      condition     = (var.instance_arn == null) == (var.identity_store_id == null)
      error_message = "Give instance_arn and identity_store_id together, or neither (the function then finds both with sso:ListInstances)."
    }
    precondition {
      condition     = var.create_bucket || var.access_log_bucket == null
      error_message = "access_log_bucket applies only to a bucket this module creates (create_bucket = true)."
    }
    precondition {
      condition     = !var.create_bucket || var.bucket_account_id == null
      error_message = "bucket_account_id applies only to an existing bucket (create_bucket = false)."
    }
    precondition {
      condition     = !var.create_remediation || length(var.remediation_approvers) > 0
      error_message = "create_remediation needs remediation_approvers: at least one IAM user or role ARN allowed to approve a run."
    }
    precondition {
      condition     = !var.create_remediation || (var.instance_arn != null && var.identity_store_id != null)
      error_message = "create_remediation needs instance_arn and identity_store_id: the remediation function acts on one named instance and store."
    }
    precondition {
      condition     = !var.create_remediation || var.remediation_min_approvals <= length(var.remediation_approvers)
      error_message = "remediation_min_approvals cannot exceed the number of remediation_approvers (aws:approve would never resume)."
    }
  }
}
