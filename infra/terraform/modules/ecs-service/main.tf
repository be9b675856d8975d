# One ebbflow process as an ECS Fargate service: its task definition, a task role limited to the statements it is
# given, an execution role that may pull the image, read the listed secrets and write logs, and a log group.

data "aws_region" "current" {}
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  partition = data.aws_partition.current.partition

  # Counts depend on how many secrets and statements there are, never on their values: ARNs of resources created in
  # the same configuration are unknown until apply, and a count must be known when the plan is made.
  secret_arns = distinct(values(var.secrets))

  # ECS runs this inside the container: the image has node but no curl or wget.
  health_check = var.health_check == null ? null : {
    command = [
      "CMD", "node", "-e",
      "fetch('http://127.0.0.1:${var.health_check.port}${var.health_check.path}').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))",
    ]
    interval    = 30
    timeout     = 5
    retries     = 3
    startPeriod = var.health_check.start_period
  }

  container_definitions = jsonencode([
    {
      name        = "ebbflow"
      image       = var.image
      essential   = true
      command     = var.command
      stopTimeout = var.stop_timeout
      # An init process reaps children; node itself handles SIGTERM and drains.
      linuxParameters = { initProcessEnabled = true }
      environment     = [for k, v in var.environment : { name = k, value = v }]
      secrets         = [for k, v in var.secrets : { name = k, valueFrom = v }]
      portMappings    = [for port in var.port_mappings : { containerPort = port, protocol = "tcp" }]
      healthCheck     = local.health_check
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = aws_cloudwatch_log_group.this.name
          awslogs-region        = data.aws_region.current.region
          awslogs-stream-prefix = "ebbflow"
        }
      }
    }
  ])

  # Exactly one of the two forms exists.
  service_name = one(concat(aws_ecs_service.this[*].name, aws_ecs_service.scaled[*].name))
  service_arn  = one(concat(aws_ecs_service.this[*].id, aws_ecs_service.scaled[*].id))
}

################################################################################
# Logs
################################################################################

resource "aws_cloudwatch_log_group" "this" {
  # checkov:skip=CKV_AWS_338:Retention is the log_retention_days variable (30 days by default); a year is a choice for the team, not a default.
  # checkov:skip=CKV_AWS_158:Logs are encrypted by CloudWatch; a customer key is the log_kms_key_id variable, whose key policy must admit CloudWatch Logs.
  name              = "/ecs/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_id
  tags              = var.tags
}

################################################################################
# Execution role (image pull, logs, secrets)
################################################################################

# Only ECS tasks of this account may assume the roles (confused-deputy protection).
data "aws_iam_policy_document" "assume_ecs_tasks" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:ecs:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:*"]
    }
  }
}

resource "aws_iam_role" "task_execution" {
  name_prefix        = "${substr(var.name, 0, 24)}-exec-"
  assume_role_policy = data.aws_iam_policy_document.assume_ecs_tasks.json
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "task_execution" {
  role       = aws_iam_role.task_execution.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

data "aws_iam_policy_document" "task_execution_secrets" {
  count = length(var.secrets) > 0 ? 1 : 0

  statement {
    sid       = "ReadContainerSecrets"
    actions   = ["secretsmanager:GetSecretValue", "ssm:GetParameters"]
    resources = local.secret_arns
  }
}

resource "aws_iam_role_policy" "task_execution_secrets" {
  count = length(var.secrets) > 0 ? 1 : 0

  name   = "secrets"
  role   = aws_iam_role.task_execution.id
  policy = data.aws_iam_policy_document.task_execution_secrets[0].json
}

################################################################################
# Task role (what the process itself may do)
################################################################################

resource "aws_iam_role" "task" {
  name_prefix        = "${substr(var.name, 0, 24)}-task-"
  assume_role_policy = data.aws_iam_policy_document.assume_ecs_tasks.json
  tags               = var.tags
}

data "aws_iam_policy_document" "task" {
  count = length(var.task_role_statements) > 0 ? 1 : 0

  dynamic "statement" {
    for_each = var.task_role_statements

    content {
      sid       = statement.value.sid
      actions   = statement.value.actions
      resources = statement.value.resources

      dynamic "condition" {
        for_each = statement.value.conditions

        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }
}

resource "aws_iam_role_policy" "task" {
  count = length(var.task_role_statements) > 0 ? 1 : 0

  name   = "ebbflow"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.task[0].json
}

################################################################################
# Task definition
################################################################################

resource "aws_ecs_task_definition" "this" {
  family                   = var.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.cpu
  memory                   = var.memory
  execution_role_arn       = aws_iam_role.task_execution.arn
  task_role_arn            = aws_iam_role.task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  container_definitions = local.container_definitions

  tags = var.tags
}

################################################################################
# Service
################################################################################

# Two forms of one service: Terraform owns the task count of `this`; a scaler owns that of `scaled`, whose count
# Terraform sets at creation only. Switching between them replaces the service.
resource "aws_ecs_service" "this" {
  # checkov:skip=CKV_AWS_333:assign_public_ip is a variable, false by default; public subnets without NAT need it.
  count = var.desired_count_managed_externally ? 0 : 1

  name                    = var.name
  cluster                 = var.cluster_arn
  task_definition         = aws_ecs_task_definition.this.arn
  desired_count           = var.desired_count
  enable_execute_command  = var.enable_execute_command
  propagate_tags          = "SERVICE"
  enable_ecs_managed_tags = true

  dynamic "capacity_provider_strategy" {
    for_each = var.capacity_provider_strategy

    content {
      capacity_provider = capacity_provider_strategy.value.capacity_provider
      weight            = capacity_provider_strategy.value.weight
      base              = capacity_provider_strategy.value.base
    }
  }

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = var.security_group_ids
    assign_public_ip = var.assign_public_ip
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  tags = var.tags
}

resource "aws_ecs_service" "scaled" {
  # checkov:skip=CKV_AWS_333:assign_public_ip is a variable, false by default; public subnets without NAT need it.
  count = var.desired_count_managed_externally ? 1 : 0

  name                    = var.name
  cluster                 = var.cluster_arn
  task_definition         = aws_ecs_task_definition.this.arn
  desired_count           = var.desired_count
  enable_execute_command  = var.enable_execute_command
  propagate_tags          = "SERVICE"
  enable_ecs_managed_tags = true

  dynamic "capacity_provider_strategy" {
    for_each = var.capacity_provider_strategy

    content {
      capacity_provider = capacity_provider_strategy.value.capacity_provider
      weight            = capacity_provider_strategy.value.weight
      base              = capacity_provider_strategy.value.base
    }
  }

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = var.security_group_ids
    assign_public_ip = var.assign_public_ip
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  lifecycle {
    # The scaler changes desiredCount at run time; a plan must not undo it.
    ignore_changes = [desired_count]
  }

  tags = var.tags
}
