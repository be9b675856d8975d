# EventBridge Scheduler sends the daily envelope
#   {"workflow":"dailySalesReportWorkflow","id":"daily-sales-<scheduled time>","input":{...}}
# to the ingress queue; the bridge starts the workflow with that id, so a duplicate send starts nothing new.

locals {
  envelope = {
    workflow = var.workflow
    id       = "${var.id_prefix}<aws.scheduler.scheduled-time>"
    input    = var.input
  }

  # jsonencode escapes < and > as \u003c and \u003e; Scheduler only replaces its keywords when written literally.
  envelope_json = replace(replace(jsonencode(local.envelope), "\\u003c", "<"), "\\u003e", ">")
}

################################################################################
# IAM role assumed by Scheduler
################################################################################

data "aws_caller_identity" "current" {}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "this" {
  name_prefix        = "${substr(var.name, 0, 32)}-"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "send" {
  statement {
    sid       = "SendEnvelope"
    actions   = ["sqs:SendMessage"]
    resources = compact([var.queue_arn, var.dead_letter_arn])
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "send-envelope"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.send.json
}

################################################################################
# Schedule
################################################################################

# A group of its own, so that Scheduler's metrics (per group) are this schedule's.
resource "aws_scheduler_schedule_group" "this" {
  name = var.name
  tags = var.tags
}

resource "aws_scheduler_schedule" "this" {
  # checkov:skip=CKV_AWS_297:The envelope holds a workflow name and a time, nothing secret; Scheduler encrypts it with an AWS-owned key.
  name                         = var.name
  group_name                   = aws_scheduler_schedule_group.this.name
  state                        = var.enabled ? "ENABLED" : "DISABLED"
  schedule_expression          = var.schedule_expression
  schedule_expression_timezone = var.schedule_expression_timezone

  flexible_time_window {
    mode                      = var.flexible_time_window_minutes > 0 ? "FLEXIBLE" : "OFF"
    maximum_window_in_minutes = var.flexible_time_window_minutes > 0 ? var.flexible_time_window_minutes : null
  }

  target {
    arn      = var.queue_arn
    role_arn = aws_iam_role.this.arn
    input    = local.envelope_json

    retry_policy {
      maximum_event_age_in_seconds = var.retry_policy.maximum_event_age_in_seconds
      maximum_retry_attempts       = var.retry_policy.maximum_retry_attempts
    }

    dynamic "dead_letter_config" {
      for_each = var.dead_letter_arn == null ? [] : [var.dead_letter_arn]

      content {
        arn = dead_letter_config.value
      }
    }
  }
}

################################################################################
# Alarm
################################################################################

resource "aws_cloudwatch_metric_alarm" "this" {
  count = var.alarm_actions == null ? 0 : 1

  alarm_name          = "${var.name}-target-errors"
  alarm_description   = "Scheduler could not send the ${var.workflow} envelope to the ingress queue. Runbook: check the schedule role's sqs:SendMessage and the queue's encryption key; invocations it gave up on are in the dead-letter queue (`ebbflow dlq list`), and `ebbflow dlq redrive` sends them again once fixed."
  namespace           = "AWS/Scheduler"
  metric_name         = "TargetErrorCount"
  dimensions          = { ScheduleGroup = aws_scheduler_schedule_group.this.name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = var.tags
}
