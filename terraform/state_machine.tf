# The weekly run under AWS Step Functions (orchestration = "step-functions", the default): a
# Standard state machine invokes the function with {"step": "read-directory"} until it answers
# DONE (each invocation stops before its deadline and leaves a checkpoint under PREFIX/state/),
# then once with {"step": "report"}. The definition is state-machine/weekly-run.asl.json;
# tests/deploy/test_state_machine.py checks it.
#
# Nothing here exists with orchestration = "lambda": every resource and data source below has
# count = local.step_functions ? 1 : 0 (or an empty for_each).

locals {
  step_functions = var.orchestration == "step-functions"

  # Built from parts, not from the resource, so that the role's trust policy can name it.
  state_machine_arn = "arn:${local.partition}:states:${local.region}:${local.account_id}:stateMachine:${var.name}"
  # Every execution of this state machine (what DescribeExecution authorizes).
  state_machine_executions_arn = "arn:${local.partition}:states:${local.region}:${local.account_id}:execution:${var.name}:*"

  # One invocation may run the function's timeout; the task waits a minute longer, so that a
  # function timeout is reported as the function's error rather than the task's.
  read_task_timeout_seconds = var.timeout + 60
  # Every read, the report, and an hour for retries with backoff: past it, the execution is
  # TIMED_OUT (and the runbook stops waiting).
  execution_timeout_seconds = (var.max_read_iterations + 1) * local.read_task_timeout_seconds + 3600
}

resource "aws_cloudwatch_log_group" "state_machine" {
  #checkov:skip=CKV_AWS_158:Encrypted by CloudWatch Logs by default; a customer managed key is optional (logs_kms_key_arn) because its key policy must name this Region's logs service.
  count = local.step_functions ? 1 : 0
  # Step Functions' documentation advises the /aws/vendedlogs/ prefix: it keeps the logs
  # service's resource policy within its size limit.
  name              = "/aws/vendedlogs/states/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.logs_kms_key_arn
  tags              = var.tags
}

data "aws_iam_policy_document" "state_machine_assume" {
  count = local.step_functions ? 1 : 0

  statement {
    sid     = "StepFunctionsService"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["states.amazonaws.com"]
    }
    # Only this state machine may use the role (confused-deputy protection).
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [local.state_machine_arn]
    }
  }
}

resource "aws_iam_role" "state_machine" {
  count              = local.step_functions ? 1 : 0
  name               = "${var.name}-states"
  description        = "Runs the weekly credential report's state machine: invokes the report function only."
  assume_role_policy = data.aws_iam_policy_document.state_machine_assume[0].json
  tags               = var.tags
}

data "aws_iam_policy_document" "state_machine" {
  count = local.step_functions ? 1 : 0

  statement {
    sid     = "InvokeReportFunction"
    actions = ["lambda:InvokeFunction"]
    # The function and its versions and aliases (Step Functions may name a qualified ARN).
    resources = [aws_lambda_function.this.arn, "${aws_lambda_function.this.arn}:*"]
  }

  statement {
    sid = "DeliverExecutionLogs"
    # Step Functions sets up the delivery to the log group with these; none has a resource
    # type, so IAM accepts only "*".
    actions = [
      "logs:CreateLogDelivery",
      "logs:GetLogDelivery",
      "logs:UpdateLogDelivery",
      "logs:DeleteLogDelivery",
      "logs:ListLogDeliveries",
      "logs:PutResourcePolicy",
      "logs:DescribeResourcePolicies",
      "logs:DescribeLogGroups",
    ]
    resources = ["*"]
  }

  dynamic "statement" {
    for_each = var.state_machine_tracing ? [1] : []
    content {
      sid = "WriteTraces"
      # X-Ray's write actions have no resource type: IAM accepts only "*".
      actions = [
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
      ]
      resources = ["*"]
    }
  }
}

resource "aws_iam_role_policy" "state_machine" {
  count  = local.step_functions ? 1 : 0
  name   = "run-credential-report"
  role   = aws_iam_role.state_machine[0].id
  policy = data.aws_iam_policy_document.state_machine[0].json
}

resource "aws_sfn_state_machine" "weekly" {
  #checkov:skip=CKV_AWS_284:X-Ray tracing is optional (state_machine_tracing): it needs X-Ray write actions on "*" in the role, for a run whose steps are already in the execution history and logs.
  count    = local.step_functions ? 1 : 0
  name     = var.name
  type     = "STANDARD"
  role_arn = aws_iam_role.state_machine[0].arn

  definition = templatefile("${path.module}/state-machine/weekly-run.asl.json", {
    partition                 = local.partition
    function_arn              = aws_lambda_function.this.arn
    max_read_iterations       = var.max_read_iterations
    task_timeout_seconds      = local.read_task_timeout_seconds
    execution_timeout_seconds = local.execution_timeout_seconds
  })

  # The execution data are the function's answers (S3 locations and counts) and the input
  # (lookback_days, as_of): nothing secret.
  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.state_machine[0].arn}:*"
    include_execution_data = true
    level                  = "ALL"
  }

  tracing_configuration {
    enabled = var.state_machine_tracing
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.state_machine]
}

# A run that fails or times out never reaches the dead-letter queue: these alarms say so.
resource "aws_cloudwatch_metric_alarm" "executions" {
  for_each = local.step_functions ? toset(["ExecutionsFailed", "ExecutionsTimedOut"]) : toset([])

  alarm_name          = "${var.name}-${lower(trimprefix(each.key, "Executions"))}"
  alarm_description   = "A weekly credential report run ended ${each.key == "ExecutionsFailed" ? "FAILED" : "TIMED_OUT"}. Its error names the step; see the state machine's executions and ${aws_cloudwatch_log_group.state_machine[0].name}."
  namespace           = "AWS/States"
  metric_name         = each.key
  dimensions          = { StateMachineArn = aws_sfn_state_machine.weekly[0].arn }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_sns_topic_arn == null ? [] : [var.alarm_sns_topic_arn]
  ok_actions          = var.alarm_sns_topic_arn == null ? [] : [var.alarm_sns_topic_arn]
  tags                = var.tags
}
