# The weekly run: EventBridge Scheduler starts it with a fixed input. With orchestration =
# "step-functions" it starts an execution of the state machine (state_machine.tf); with
# "lambda" it invokes the function asynchronously, and failures of the run itself are retried
# by Lambda (async_retry_attempts) and then sent to the dead-letter queue. Either way,
# deliveries that fail are retried by the scheduler and then sent to the dead-letter queue.

locals {
  schedule_group = "default"
  # Built from parts, not from the resource, so that the role's trust policy can name it.
  schedule_arn = "arn:${local.partition}:scheduler:${local.region}:${local.account_id}:schedule/${local.schedule_group}/${var.name}"
}

data "aws_iam_policy_document" "scheduler_assume" {
  statement {
    sid     = "SchedulerService"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }
    # Only this account's schedule may use the role (confused-deputy protection).
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [local.schedule_arn]
    }
  }
}

resource "aws_iam_role" "scheduler" {
  name               = "${var.name}-scheduler"
  description        = "Lets EventBridge Scheduler start the weekly credential report (the state machine or the function)."
  assume_role_policy = data.aws_iam_policy_document.scheduler_assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "scheduler" {
  dynamic "statement" {
    for_each = local.step_functions ? [1] : []
    content {
      sid       = "StartWeeklyRun"
      actions   = ["states:StartExecution"]
      resources = [aws_sfn_state_machine.weekly[0].arn]
    }
  }
  dynamic "statement" {
    for_each = local.step_functions ? [] : [1]
    content {
      sid       = "InvokeReportFunction"
      actions   = ["lambda:InvokeFunction"]
      resources = [aws_lambda_function.this.arn]
    }
  }
  statement {
    sid       = "SendUndeliveredRuns"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dlq.arn]
  }
}

resource "aws_iam_role_policy" "scheduler" {
  name   = "invoke-credential-report"
  role   = aws_iam_role.scheduler.id
  policy = data.aws_iam_policy_document.scheduler.json
}

resource "aws_scheduler_schedule" "this" {
  #checkov:skip=CKV_AWS_297:The schedule's only data is its fixed input ({} or {"source":"schedule"}); a customer managed key would add key-policy setup for nothing secret.
  name                         = var.name
  group_name                   = local.schedule_group
  description                  = "Weekly IAM Identity Center credential report"
  schedule_expression          = var.schedule_expression
  schedule_expression_timezone = var.schedule_timezone
  state                        = var.schedule_enabled ? "ENABLED" : "DISABLED"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = local.step_functions ? aws_sfn_state_machine.weekly[0].arn : aws_lambda_function.this.arn
    role_arn = aws_iam_role.scheduler.arn
    # The function tells a scheduled run from an on-demand one by its input; an execution of
    # the state machine takes the defaults (lookback_days of the function, as_of its start).
    input = local.step_functions ? jsonencode({}) : jsonencode({ source = "schedule" })

    retry_policy {
      maximum_retry_attempts       = var.schedule_retry_attempts
      maximum_event_age_in_seconds = var.schedule_max_event_age_seconds
    }

    dead_letter_config {
      arn = aws_sqs_queue.dlq.arn
    }
  }

  # The role's permissions must be in place before the first run.
  depends_on = [aws_iam_role_policy.scheduler]
}
