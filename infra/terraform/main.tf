# ebbflow on AWS: the event pipeline (S3 -> SQS with a DLQ, SNS), an ECS cluster with the worker (scaled from zero by
# the backlog), the SQS bridge and the scaler on Fargate, and the daily report schedule. Temporal runs elsewhere
# (Temporal Cloud or your own cluster) and is reached over the network.

data "aws_region" "current" {}
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  region     = data.aws_region.current.region
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  worker_service_name = "${var.name}-worker"

  security_group_ids = concat(aws_security_group.this[*].id, var.security_group_ids)

  # Settings left null (no DLQ, no topic) are not set at all.
  common_environment = { for k, v in {
    TEMPORAL_ADDRESS               = var.temporal.address
    TEMPORAL_NAMESPACE             = var.temporal.namespace
    EBBFLOW_TASK_QUEUE             = var.temporal.task_queue
    EBBFLOW_TEMPORAL_UI_URL        = var.temporal.ui_url
    AWS_REGION                     = local.region
    EBBFLOW_INPUT_BUCKET           = module.pipeline.input_bucket_id
    EBBFLOW_OUTPUT_BUCKET          = module.pipeline.output_bucket_id
    EBBFLOW_INGRESS_QUEUE_URL      = module.pipeline.queue_url
    EBBFLOW_DLQ_URL                = module.pipeline.dlq_url
    EBBFLOW_NOTIFICATION_TOPIC_ARN = module.pipeline.topic_arn
    EBBFLOW_LOG_LEVEL              = "info"
  } : k => v if v != null }

  common_secrets = merge(
    var.temporal.api_key_secret_arn == null ? {} : { TEMPORAL_API_KEY = var.temporal.api_key_secret_arn },
    var.database_url_secret_arn == null ? {} : { EBBFLOW_DATABASE_URL = var.database_url_secret_arn },
  )

  dlq_arns = compact([module.pipeline.dlq_arn])

  # CloudWatch has no resource-level permissions for metrics: the namespace condition is what limits it.
  put_metric_data_statement = {
    sid       = "PublishMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]
    conditions = [{
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = [var.scaler.cloudwatch_namespace]
    }]
  }
}

################################################################################
# Pipeline
################################################################################

module "pipeline" {
  source = "./modules/pipeline"

  name               = var.name
  input_bucket_name  = var.pipeline.input_bucket_name
  output_bucket_name = var.pipeline.output_bucket_name
  force_destroy      = var.pipeline.force_destroy

  notification = {
    filter_prefix = var.pipeline.filter_prefix
    filter_suffix = var.pipeline.filter_suffix
  }

  ingress_queue = {
    visibility_timeout_seconds = var.pipeline.visibility_timeout
  }

  create_dlq = var.pipeline.create_dlq
  dlq = {
    max_receive_count = var.pipeline.max_receive_count
    alarm             = var.pipeline.dlq_alarm
    alarm_actions     = var.pipeline.dlq_alarm_actions
  }

  tags = var.tags
}

################################################################################
# Cluster
################################################################################

resource "aws_ecs_cluster" "this" {
  name = var.name

  setting {
    name  = "containerInsights"
    value = "enabled"
  }

  tags = var.tags
}

resource "aws_ecs_cluster_capacity_providers" "this" {
  cluster_name       = aws_ecs_cluster.this.name
  capacity_providers = ["FARGATE", "FARGATE_SPOT"]

  default_capacity_provider_strategy {
    capacity_provider = "FARGATE"
    weight            = 1
  }
}

resource "aws_security_group" "this" {
  count = var.create_security_group && var.vpc_id != null ? 1 : 0

  name_prefix = "${var.name}-tasks-"
  description = "ebbflow tasks: outbound only (Temporal, AWS APIs, database)"
  vpc_id      = var.vpc_id
  tags        = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_egress_rule" "this" {
  count = var.create_security_group && var.vpc_id != null ? 1 : 0

  security_group_id = aws_security_group.this[0].id
  description       = "All outbound traffic"
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}

################################################################################
# Worker
################################################################################

module "worker" {
  source = "./modules/ecs-service"

  name             = local.worker_service_name
  cluster_arn      = aws_ecs_cluster.this.arn
  image            = var.image
  command          = ["worker"]
  cpu              = var.worker.cpu
  memory           = var.worker.memory
  cpu_architecture = var.worker.cpu_architecture
  desired_count    = 0
  port_mappings    = var.worker.runs_bridge ? [9464, 9466] : [9464]
  # SIGKILL only after the worker's own grace has passed, with a margin for the SDK to report cancellations.
  stop_timeout = min(var.worker.shutdown_grace_seconds + 15, 120)

  capacity_provider_strategy = [{ capacity_provider = var.worker.use_spot ? "FARGATE_SPOT" : "FARGATE" }]

  subnet_ids         = var.subnet_ids
  security_group_ids = local.security_group_ids
  assign_public_ip   = var.assign_public_ip

  environment = merge(local.common_environment, {
    EBBFLOW_WORKER_MAX_ACTIVITIES = tostring(var.worker.max_activities)
    EBBFLOW_WORKER_SHUTDOWN_GRACE = "${var.worker.shutdown_grace_seconds}s"
    EBBFLOW_WORKER_BRIDGE         = tostring(var.worker.runs_bridge)
  }, var.worker.environment)
  secrets = local.common_secrets

  task_role_statements = concat([
    {
      sid       = "ReadUploads"
      actions   = ["s3:GetObject"]
      resources = ["${module.pipeline.input_bucket_arn}/*"]
    },
    {
      sid       = "ListUploads"
      actions   = ["s3:ListBucket"]
      resources = [module.pipeline.input_bucket_arn]
    },
    {
      sid       = "WriteOutputs"
      actions   = ["s3:PutObject", "s3:AbortMultipartUpload"]
      resources = ["${module.pipeline.output_bucket_arn}/*"]
    },
    {
      sid       = "SendFailuresToDlq"
      actions   = ["sqs:SendMessage"]
      resources = local.dlq_arns
    },
    {
      sid       = "PublishNotifications"
      actions   = ["sns:Publish"]
      resources = compact([module.pipeline.topic_arn])
    },
    local.put_metric_data_statement,
    {
      # Scale-in protection while an activity runs, set through the ECS agent endpoint with the task role.
      sid       = "ProtectBusyTask"
      actions   = ["ecs:UpdateTaskProtection", "ecs:GetTaskProtection"]
      resources = ["arn:${local.partition}:ecs:${local.region}:${local.account_id}:task/${var.name}/*"]
    },
    ], var.worker.runs_bridge ? [
    {
      # The bridge inside the worker consumes the ingress queue (unreadable messages go to the DLQ, granted above).
      sid       = "ConsumeIngress"
      actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"]
      resources = [module.pipeline.queue_arn]
    },
  ] : [])

  log_retention_days = var.log_retention_days
  tags               = var.tags
}

################################################################################
# Bridge
################################################################################

module "bridge" {
  source = "./modules/ecs-service"

  name             = "${var.name}-bridge"
  cluster_arn      = aws_ecs_cluster.this.arn
  image            = var.image
  command          = ["bridge"]
  cpu              = var.bridge.cpu
  memory           = var.bridge.memory
  cpu_architecture = var.bridge.cpu_architecture
  desired_count    = var.worker.runs_bridge ? 0 : var.bridge.desired_count
  port_mappings    = [9466]
  stop_timeout     = 30

  subnet_ids         = var.subnet_ids
  security_group_ids = local.security_group_ids
  assign_public_ip   = var.assign_public_ip

  environment = merge(local.common_environment, var.bridge.environment)
  secrets     = local.common_secrets

  task_role_statements = [
    {
      sid = "ConsumeIngress"
      actions = [
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility",
        "sqs:GetQueueAttributes",
      ]
      resources = [module.pipeline.queue_arn]
    },
    {
      sid       = "SendUnreadableToDlq"
      actions   = ["sqs:SendMessage", "sqs:GetQueueAttributes"]
      resources = local.dlq_arns
    },
  ]

  log_retention_days = var.log_retention_days
  tags               = var.tags
}

################################################################################
# Scaler
################################################################################

module "scaler" {
  source = "./modules/ecs-service"
  count  = var.scaler.enabled ? 1 : 0

  name             = "${var.name}-scaler"
  cluster_arn      = aws_ecs_cluster.this.arn
  image            = var.image
  command          = ["scaler"]
  cpu              = var.scaler.cpu
  memory           = var.scaler.memory
  cpu_architecture = var.scaler.cpu_architecture
  desired_count    = 1
  port_mappings    = [9465]
  stop_timeout     = 10

  subnet_ids         = var.subnet_ids
  security_group_ids = local.security_group_ids
  assign_public_ip   = var.assign_public_ip

  environment = merge(local.common_environment, {
    EBBFLOW_SCALER_DRIVER                  = "ecs"
    EBBFLOW_ECS_CLUSTER                    = aws_ecs_cluster.this.name
    EBBFLOW_ECS_SERVICE                    = module.worker.service_name
    EBBFLOW_SCALER_MIN_TASKS               = tostring(var.scaler.min_tasks)
    EBBFLOW_SCALER_MAX_TASKS               = tostring(var.scaler.max_tasks)
    EBBFLOW_SCALER_TARGET_BACKLOG_PER_TASK = tostring(var.scaler.target_backlog_per_task)
    EBBFLOW_CLOUDWATCH_NAMESPACE           = var.scaler.cloudwatch_namespace
  }, var.scaler.environment)
  secrets = local.common_secrets

  task_role_statements = [
    {
      sid       = "ReadQueueDepth"
      actions   = ["sqs:GetQueueAttributes"]
      resources = concat([module.pipeline.queue_arn], local.dlq_arns)
    },
    {
      sid       = "ScaleWorkers"
      actions   = ["ecs:DescribeServices", "ecs:UpdateService"]
      resources = [module.worker.service_arn]
    },
    local.put_metric_data_statement,
  ]

  log_retention_days = var.log_retention_days
  tags               = var.tags
}

################################################################################
# Daily report schedule
################################################################################

module "daily_report_schedule" {
  source = "./modules/schedule"
  count  = var.daily_report_schedule.enabled ? 1 : 0

  name                         = "${var.name}-daily-sales"
  schedule_expression          = var.daily_report_schedule.schedule_expression
  schedule_expression_timezone = var.daily_report_schedule.timezone
  queue_arn                    = module.pipeline.queue_arn
  workflow                     = "dailySalesReportWorkflow"
  id_prefix                    = "daily-sales-"
  input                        = var.daily_report_schedule.input
  dead_letter_arn              = module.pipeline.dlq_arn

  tags = var.tags
}
