################################################################################
# Alarms: each description carries its runbook line (what it means, what to do)
################################################################################

# A service that should run one task runs none: the bridge (nothing starts) or the scaler (workers are not sized).
resource "aws_cloudwatch_metric_alarm" "service_down" {
  for_each = merge(
    var.worker.runs_bridge ? {} : {
      bridge = {
        service = module.bridge.service_name
        runbook = "Messages wait in the ingress queue, nothing starts: the bridge is down or waits for Temporal; ebbflow_bridge_temporal_reachable is 0 and its log says why."
      }
    },
    var.scaler.mode == "ebbflow" ? {
      scaler = {
        service = try(module.scaler[0].service_name, "")
        runbook = "Workflows start and stay Running: no worker polls the task queue (ebbflow check), or the scaler has not started one yet (its /decisions says why)."
      }
    } : {},
  )

  alarm_name          = "${var.name}-${each.key}-not-running"
  alarm_description   = "The ${each.key} service runs fewer than one task. Runbook: ${each.value.runbook}"
  namespace           = "ECS/ContainerInsights"
  metric_name         = "RunningTaskCount"
  dimensions          = { ClusterName = aws_ecs_cluster.this.name, ServiceName = each.value.service }
  statistic           = "Minimum"
  period              = 60
  evaluation_periods  = 5
  comparison_operator = "LessThanThreshold"
  threshold           = 1
  treat_missing_data  = "breaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

# Workflow failures, from the worker's log: the SDK logs "Workflow failed" for each run that ends failed.
locals {
  workflow_failures_metric = "WorkflowFailures"
}

resource "aws_cloudwatch_log_metric_filter" "workflow_failures" {
  name           = "${var.name}-workflow-failures"
  log_group_name = module.worker.log_group_name
  pattern        = "{ $.msg = \"Workflow failed\" }"

  metric_transformation {
    name          = local.workflow_failures_metric
    namespace     = var.scaler.cloudwatch_namespace
    value         = "1"
    default_value = "0"
  }
}

resource "aws_cloudwatch_metric_alarm" "workflow_failures" {
  alarm_name          = "${var.name}-workflow-failures"
  alarm_description   = "Workflow runs ended failed. Runbook: items in the dead-letter queue: `ebbflow dlq list` gives each reason; fix the cause, then `ebbflow dlq redrive --error-type T`, or `ebbflow dlq purge --error-type T` for what will never process."
  namespace           = var.scaler.cloudwatch_namespace
  metric_name         = local.workflow_failures_metric
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}
