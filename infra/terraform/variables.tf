variable "name" {
  description = "Prefix of every resource name."
  type        = string
  default     = "ebbflow"
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

variable "image" {
  description = "ebbflow container image built from infra/Dockerfile (one image for worker, bridge and scaler)."
  type        = string
  default     = null

  validation {
    condition     = var.image != null
    error_message = "Set image to the ebbflow container image, e.g. <account>.dkr.ecr.<region>.amazonaws.com/ebbflow:<tag>."
  }
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the logs of every service."
  type        = number
  default     = 30
}

################################################################################
# Temporal and database
################################################################################

variable "temporal" {
  description = "Where Temporal runs: address (required; for Temporal Cloud <namespace>.<account>.tmprl.cloud:7233, with the API key in secrets) and namespace."
  type = object({
    address    = string
    namespace  = optional(string, "default")
    task_queue = optional(string, "ebbflow")
    ui_url     = optional(string, "https://cloud.temporal.io")
  })
  default = { address = null }

  validation {
    condition     = var.temporal != null && try(length(var.temporal.address) > 0 && !startswith(var.temporal.address, "localhost") && !startswith(var.temporal.address, "127."), false)
    error_message = "Set temporal.address to the Temporal frontend the tasks can reach (e.g. <namespace>.<account>.tmprl.cloud:7233); localhost is the task itself."
  }
}

variable "secrets" {
  description = "Settings read from Secrets Manager or SSM Parameter Store at task start: TEMPORAL_API_KEY and/or EBBFLOW_DATABASE_URL (postgres://user:password@host:5432/db) => secret or parameter ARN. The names decide what is created, so the ARNs may come from resources of the same configuration."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for name in keys(var.secrets) : contains(["TEMPORAL_API_KEY", "EBBFLOW_DATABASE_URL", "TEMPORAL_TLS_CLIENT_CERT_DATA", "TEMPORAL_TLS_CLIENT_KEY_DATA"], name)])
    error_message = "secrets may name TEMPORAL_API_KEY, EBBFLOW_DATABASE_URL, TEMPORAL_TLS_CLIENT_CERT_DATA and TEMPORAL_TLS_CLIENT_KEY_DATA only."
  }
}

################################################################################
# Network
################################################################################

variable "vpc_id" {
  description = "VPC of the tasks; used for the security group created here."
  type        = string
  default     = null
}

variable "subnet_ids" {
  description = "Subnets of the tasks. They need outbound access to Temporal and AWS APIs (NAT, VPC endpoints or public IPs)."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.subnet_ids) > 0
    error_message = "Set subnet_ids (at least one): ECS refuses to create a service without subnets."
  }
}

variable "create_security_group" {
  description = "Create an egress-only security group for the tasks (needs vpc_id)."
  type        = bool
  default     = true
}

variable "security_group_ids" {
  description = "Extra security groups of the tasks (e.g. the one that may reach the database)."
  type        = list(string)
  default     = []
}

variable "assign_public_ip" {
  description = "Give each task a public IP (public subnets without NAT)."
  type        = bool
  default     = false
}

################################################################################
# Pipeline
################################################################################

variable "pipeline" {
  description = "Buckets, queues and topic. The DLQ is on by default with redrive after 3 receives."
  type = object({
    input_bucket_name  = optional(string)
    output_bucket_name = optional(string)
    force_destroy      = optional(bool, false)
    # Uploads that start an image run: under this prefix, with one of these suffixes (null: the module's image list).
    filter_prefix      = optional(string, "uploads/")
    filter_suffixes    = optional(list(string))
    create_dlq         = optional(bool, true)
    max_receive_count  = optional(number, 3)
    visibility_timeout = optional(number, 60)
    # Alarm when the oldest ingress message has waited this long (the bridge is not starting work).
    max_message_age_seconds = optional(number, 900)
    # Where the alarm on a non-empty DLQ notifies (null: the notification topic); dlq_alarm = false for none.
    dlq_alarm         = optional(bool, true)
    dlq_alarm_actions = optional(list(string))
  })
  default = {}

  validation {
    condition     = var.pipeline.create_dlq
    error_message = "pipeline.create_dlq must stay true: the bridge and the workers send what cannot be processed, with its reason, to the dead-letter queue, and do not start without one."
  }
}

################################################################################
# Services
################################################################################

variable "worker" {
  description = "The worker service. It starts at 0 tasks; the scaler sets the count from the backlog."
  type = object({
    cpu              = optional(number, 1024)
    memory           = optional(number, 2048)
    cpu_architecture = optional(string, "X86_64")
    use_spot         = optional(bool, false)
    max_activities   = optional(number, 4)
    # On SIGTERM running activities get this long to finish. Scale-in never stops a busy task (task protection); this
    # is for deploys and Spot interruptions, and Fargate allows at most 120 s of stop timeout (grace + 15 s). A resize
    # attempt may last the grace less 5 s (EBBFLOW_IMAGE_ACTIVITY_TIMEOUT), so none is cut off by the kill.
    shutdown_grace_seconds = optional(number, 100)
    # Tasks when scaler.mode = "none" (Terraform owns the count then).
    desired_count = optional(number, 1)
    # Run the SQS bridge inside each worker task (EBBFLOW_WORKER_BRIDGE); the bridge service then runs no task.
    runs_bridge = optional(bool, false)
    environment = optional(map(string), {})
  })
  default = {}

  validation {
    condition     = var.worker.shutdown_grace_seconds >= 10 && var.worker.shutdown_grace_seconds <= 105
    error_message = "worker.shutdown_grace_seconds must be from 10 to 105: Fargate kills a task at most 120 s after SIGTERM, and the worker needs 15 s of that after its grace."
  }
}

variable "bridge" {
  description = "The SQS bridge service (one task is plenty for thousands of messages a minute)."
  type = object({
    desired_count    = optional(number, 1)
    cpu              = optional(number, 256)
    memory           = optional(number, 512)
    cpu_architecture = optional(string, "X86_64")
    environment      = optional(map(string), {})
  })
  default = {}
}

variable "scaler" {
  description = "Who sets the worker count: \"ebbflow\" (the backlog scaler service, from zero), \"target-tracking\" (Application Auto Scaling on backlog per task, the AWS-native way: min_tasks at least 1) or \"none\" (worker.desired_count, fixed)."
  type = object({
    mode                    = optional(string, "ebbflow")
    cpu                     = optional(number, 256)
    memory                  = optional(number, 512)
    cpu_architecture        = optional(string, "X86_64")
    min_tasks               = optional(number, 0)
    max_tasks               = optional(number, 10)
    target_backlog_per_task = optional(number, 5)
    # Target tracking only: seconds after a scale-out, and after a scale-in, before the next one.
    scale_out_cooldown   = optional(number, 60)
    scale_in_cooldown    = optional(number, 300)
    cloudwatch_namespace = optional(string, "ebbflow")
    environment          = optional(map(string), {})
  })
  default = {}

  validation {
    condition     = contains(["ebbflow", "target-tracking", "none"], var.scaler.mode)
    error_message = "scaler.mode must be \"ebbflow\", \"target-tracking\" or \"none\"."
  }

  validation {
    condition     = var.scaler.mode != "none" || var.worker.desired_count >= 1
    error_message = "scaler.mode \"none\" runs worker.desired_count tasks and nothing else starts one: set it to 1 or more."
  }

  validation {
    condition     = var.scaler.min_tasks <= var.scaler.max_tasks && var.scaler.max_tasks >= 1
    error_message = "scaler needs 0 <= min_tasks <= max_tasks and max_tasks >= 1."
  }
}

variable "alarm_actions" {
  description = "Where every alarm notifies (null: the notification topic). [] raises alarms without notifying."
  type        = list(string)
  default     = null
}

variable "eks" {
  description = "Also create IAM roles for ebbflow's service accounts on EKS (null: none). identity \"pod-identity\" associates them with EKS Pod Identity; \"irsa\" trusts the cluster's OIDC provider (oidc_provider_arn and oidc_issuer, without https://) for the role-arn annotations."
  type = object({
    cluster_name      = string
    namespace         = optional(string, "ebbflow")
    identity          = optional(string, "pod-identity")
    oidc_provider_arn = optional(string)
    oidc_issuer       = optional(string)
  })
  default = null

  validation {
    condition     = var.eks == null || try(contains(["pod-identity", "irsa"], var.eks.identity), false)
    error_message = "eks.identity must be \"pod-identity\" or \"irsa\"."
  }
}

################################################################################
# Daily report schedule
################################################################################

variable "daily_report_schedule" {
  description = "EventBridge Scheduler schedule that sends the daily sales report envelope to the ingress queue."
  type = object({
    enabled             = optional(bool, true)
    schedule_expression = optional(string, "cron(0 6 * * ? *)")
    timezone            = optional(string, "UTC")
    input               = optional(map(string), {})
  })
  default = {}
}
