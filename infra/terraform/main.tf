# ebbflow on AWS: the event pipeline (S3 -> SQS with a DLQ, SNS), an ECS cluster with the worker (scaled by the backlog:
# ebbflow's scaler from zero, or Application Auto Scaling), the SQS bridge and the scaler on Fargate, the daily report
# schedule, alarms (alarms.tf) and, optionally, IAM roles for the same processes on EKS. Temporal runs elsewhere
# (Temporal Cloud or your own cluster) and is reached over the network.

data "aws_region" "current" {}
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  region     = data.aws_region.current.region
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  worker_service_name = "${var.name}-worker"

  alarm_actions = var.alarm_actions != null ? var.alarm_actions : [module.pipeline.topic_arn]

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
    # The bridge starts image runs only for the uploads S3 notifies: the same prefix and endings.
    EBBFLOW_IMAGE_KEY_PREFIX   = module.pipeline.image_key_prefix
    EBBFLOW_IMAGE_KEY_SUFFIXES = join(",", module.pipeline.image_key_suffixes)
    # Fargate kills a task at most 120 s after SIGTERM, and the worker waits for a running resize its whole timeout
    # plus 5 s: the timeout is what fits (the bridge passes it on in every start, so it is set for all processes).
    EBBFLOW_IMAGE_ACTIVITY_TIMEOUT = "${var.worker.shutdown_grace_seconds - 5}s"
    EBBFLOW_LOG_LEVEL              = "info"
  } : k => v if v != null }

  # Statements are chosen from inputs known when the plan is made (create_dlq), never by testing an ARN, which is
  # unknown until apply: a count that depends on it fails the first plan.
  create_dlq = var.pipeline.create_dlq
  dlq_arns   = local.create_dlq ? [module.pipeline.dlq_arn] : []

  worker_desired_count = {
    ebbflow           = 0
    "target-tracking" = max(var.scaler.min_tasks, 1)
    none              = var.worker.desired_count
  }[var.scaler.mode]

  # What each process may do, shared by its ECS task role and its EKS role.
  worker_statements = concat([
    {
      sid        = "ReadUploads"
      actions    = ["s3:GetObject"]
      resources  = ["${module.pipeline.input_bucket_arn}/*"]
      conditions = []
    },
    {
      sid        = "ListUploads"
      actions    = ["s3:ListBucket"]
      resources  = [module.pipeline.input_bucket_arn]
      conditions = []
    },
    {
      sid        = "WriteOutputs"
      actions    = ["s3:PutObject", "s3:AbortMultipartUpload"]
      resources  = ["${module.pipeline.output_bucket_arn}/*"]
      conditions = []
    },
    {
      sid        = "PublishNotifications"
      actions    = ["sns:Publish"]
      resources  = [module.pipeline.topic_arn]
      conditions = []
    },
    {
      # The topic is encrypted: publishing needs its key.
      sid        = "UseTopicKey"
      actions    = ["kms:GenerateDataKey*", "kms:Decrypt"]
      resources  = [module.pipeline.topic_kms_key_arn]
      conditions = []
    },
    ], local.create_dlq ? [{
      # The queue's size limit is read before sending; a larger body goes to the output bucket (WriteOutputs).
      sid        = "SendFailuresToDlq"
      actions    = ["sqs:SendMessage", "sqs:GetQueueAttributes"]
      resources  = local.dlq_arns
      conditions = []
  }] : [], var.worker.runs_bridge ? [local.consume_ingress_statement] : [])

  consume_ingress_statement = {
    sid        = "ConsumeIngress"
    actions    = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"]
    resources  = [module.pipeline.queue_arn]
    conditions = []
  }

  bridge_statements = concat([local.consume_ingress_statement], local.create_dlq ? [
    {
      sid        = "SendUnreadableToDlq"
      actions    = ["sqs:SendMessage", "sqs:GetQueueAttributes"]
      resources  = local.dlq_arns
      conditions = []
    },
    {
      # A message too large for the DLQ with its reason attached: its body is kept here and the letter points to it.
      sid        = "StoreLargeDeadLetters"
      actions    = ["s3:PutObject"]
      resources  = ["${module.pipeline.output_bucket_arn}/dead-letters/*"]
      conditions = []
    },
  ] : [])

  scaler_statements = [
    {
      sid        = "ReadQueueDepth"
      actions    = ["sqs:GetQueueAttributes"]
      resources  = [module.pipeline.queue_arn]
      conditions = []
    },
    local.put_metric_data_statement,
  ]

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
    filter_prefix   = var.pipeline.filter_prefix
    filter_suffixes = var.pipeline.filter_suffixes
  }

  ingress_queue = {
    visibility_timeout_seconds = var.pipeline.visibility_timeout
    max_message_age_seconds    = var.pipeline.max_message_age_seconds
  }

  create_dlq = var.pipeline.create_dlq
  dlq = {
    max_receive_count = var.pipeline.max_receive_count
    alarm             = var.pipeline.dlq_alarm
    alarm_actions     = var.pipeline.dlq_alarm_actions != null ? var.pipeline.dlq_alarm_actions : var.alarm_actions
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
  port_mappings    = var.worker.runs_bridge ? [9464, 9466] : [9464]
  health_check     = { port = 9464, path = "/metrics" }
  # SIGKILL only after the worker's own grace has passed, with a margin for the SDK to report cancellations.
  stop_timeout = var.worker.shutdown_grace_seconds + 15

  # Its count belongs to the scaler or to Application Auto Scaling, unless scaler.mode is "none".
  desired_count                    = local.worker_desired_count
  desired_count_managed_externally = var.scaler.mode != "none"

  capacity_provider_strategy = [{ capacity_provider = var.worker.use_spot ? "FARGATE_SPOT" : "FARGATE" }]

  subnet_ids         = var.subnet_ids
  security_group_ids = local.security_group_ids
  assign_public_ip   = var.assign_public_ip

  environment = merge(local.common_environment, {
    EBBFLOW_WORKER_MAX_ACTIVITIES = tostring(var.worker.max_activities)
    EBBFLOW_WORKER_SHUTDOWN_GRACE = "${var.worker.shutdown_grace_seconds}s"
    EBBFLOW_WORKER_BRIDGE         = tostring(var.worker.runs_bridge)
  }, var.worker.environment)
  secrets = var.secrets

  task_role_statements = concat(local.worker_statements, [
    {
      # Scale-in protection while an activity runs, set through the ECS agent endpoint with the task role.
      sid        = "ProtectBusyTask"
      actions    = ["ecs:UpdateTaskProtection", "ecs:GetTaskProtection"]
      resources  = ["arn:${local.partition}:ecs:${local.region}:${local.account_id}:task/${var.name}/*"]
      conditions = []
    },
  ])

  log_retention_days = var.log_retention_days
  tags               = var.tags

  # Services need the cluster's capacity providers in place before they can be created.
  depends_on = [aws_ecs_cluster_capacity_providers.this]
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
  # Terraform owns this count: turning worker.runs_bridge on later stops the bridge service.
  desired_count = var.worker.runs_bridge ? 0 : var.bridge.desired_count
  port_mappings = [9466]
  health_check  = { port = 9466, path = "/healthz" }
  stop_timeout  = 30

  subnet_ids         = var.subnet_ids
  security_group_ids = local.security_group_ids
  assign_public_ip   = var.assign_public_ip

  environment = merge(local.common_environment, var.bridge.environment)
  secrets     = var.secrets

  task_role_statements = local.bridge_statements

  log_retention_days = var.log_retention_days
  tags               = var.tags

  depends_on = [aws_ecs_cluster_capacity_providers.this]
}

################################################################################
# Scaler
################################################################################

module "scaler" {
  source = "./modules/ecs-service"
  count  = var.scaler.mode == "ebbflow" ? 1 : 0

  name             = "${var.name}-scaler"
  cluster_arn      = aws_ecs_cluster.this.arn
  image            = var.image
  command          = ["scaler"]
  cpu              = var.scaler.cpu
  memory           = var.scaler.memory
  cpu_architecture = var.scaler.cpu_architecture
  desired_count    = 1
  port_mappings    = [9465]
  health_check     = { port = 9465, path = "/healthz" }
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
  secrets = var.secrets

  task_role_statements = concat(local.scaler_statements, [
    {
      sid        = "ScaleWorkers"
      actions    = ["ecs:DescribeServices", "ecs:UpdateService"]
      resources  = [module.worker.service_arn]
      conditions = []
    },
    {
      # The worker's size and architecture for the scaler's cost estimate. DescribeTaskDefinition has no
      # resource-level permissions: it reads definitions only, never secrets' values.
      sid        = "ReadWorkerTaskSize"
      actions    = ["ecs:DescribeTaskDefinition"]
      resources  = ["*"]
      conditions = []
    },
  ])

  log_retention_days = var.log_retention_days
  tags               = var.tags

  depends_on = [aws_ecs_cluster_capacity_providers.this]
}

################################################################################
# Worker scaling without ebbflow's scaler: Application Auto Scaling target tracking
################################################################################

# The AWS-native way the article describes: backlog per task = visible ingress messages / running workers, kept at the
# target (5) between 1 and 10 tasks, 60 s after a scale-out and 300 s after a scale-in. It cannot scale from zero
# (no running task, no datapoint), hence at least one task; `ebbflow simulate` compares it with ebbflow's scaler.
resource "aws_appautoscaling_target" "worker" {
  count = var.scaler.mode == "target-tracking" ? 1 : 0

  service_namespace  = "ecs"
  scalable_dimension = "ecs:service:DesiredCount"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${module.worker.service_name}"
  min_capacity       = max(var.scaler.min_tasks, 1)
  max_capacity       = var.scaler.max_tasks
  tags               = var.tags
}

resource "aws_appautoscaling_policy" "worker" {
  count = var.scaler.mode == "target-tracking" ? 1 : 0

  name               = "${var.name}-backlog-per-task"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.worker[0].service_namespace
  scalable_dimension = aws_appautoscaling_target.worker[0].scalable_dimension
  resource_id        = aws_appautoscaling_target.worker[0].resource_id

  target_tracking_scaling_policy_configuration {
    target_value       = var.scaler.target_backlog_per_task
    scale_out_cooldown = var.scaler.scale_out_cooldown
    scale_in_cooldown  = var.scaler.scale_in_cooldown

    customized_metric_specification {
      metrics {
        id          = "backlog"
        return_data = false

        metric_stat {
          stat = "Sum"

          metric {
            namespace   = "AWS/SQS"
            metric_name = "ApproximateNumberOfMessagesVisible"

            dimensions {
              name  = "QueueName"
              value = module.pipeline.queue_name
            }
          }
        }
      }

      metrics {
        id          = "tasks"
        return_data = false

        metric_stat {
          stat = "Average"

          metric {
            namespace   = "ECS/ContainerInsights"
            metric_name = "RunningTaskCount"

            dimensions {
              name  = "ClusterName"
              value = aws_ecs_cluster.this.name
            }

            dimensions {
              name  = "ServiceName"
              value = module.worker.service_name
            }
          }
        }
      }

      metrics {
        id          = "backlog_per_task"
        label       = "Visible ingress messages per running worker"
        expression  = "backlog / tasks"
        return_data = true
      }
    }
  }
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
  alarm_actions                = local.alarm_actions

  tags = var.tags
}

################################################################################
# IAM roles for ebbflow's service accounts on EKS
################################################################################

module "eks_roles" {
  source = "./modules/eks-roles"
  count  = var.eks == null ? 0 : 1

  name              = var.name
  cluster_name      = var.eks.cluster_name
  namespace         = var.eks.namespace
  identity          = var.eks.identity
  oidc_provider_arn = var.eks.oidc_provider_arn
  oidc_issuer       = var.eks.oidc_issuer

  roles = {
    ebbflow-worker = local.worker_statements
    ebbflow-bridge = local.bridge_statements
    ebbflow-scaler = local.scaler_statements
  }

  tags = var.tags
}
