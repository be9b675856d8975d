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
  description = "Where Temporal runs. For Temporal Cloud: address <namespace>.<account>.tmprl.cloud:7233 and an API key stored in Secrets Manager."
  type = object({
    address            = optional(string, "localhost:7233")
    namespace          = optional(string, "default")
    task_queue         = optional(string, "ebbflow")
    api_key_secret_arn = optional(string)
    ui_url             = optional(string, "https://cloud.temporal.io")
  })
  default = {}
}

variable "database_url_secret_arn" {
  description = "Secrets Manager ARN of EBBFLOW_DATABASE_URL (postgres://user:password@host:5432/db) for the sales report; null leaves it unset."
  type        = string
  default     = null
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
    filter_prefix      = optional(string)
    filter_suffix      = optional(string)
    create_dlq         = optional(bool, true)
    max_receive_count  = optional(number, 3)
    visibility_timeout = optional(number, 60)
    # Where the alarm on a non-empty DLQ notifies (null: the notification topic); dlq_alarm = false for none.
    dlq_alarm         = optional(bool, true)
    dlq_alarm_actions = optional(list(string))
  })
  default = {}
}

################################################################################
# Services
################################################################################

variable "worker" {
  description = "The worker service. It starts at 0 tasks; the scaler sets the count from the backlog."
  type = object({
    cpu                    = optional(number, 1024)
    memory                 = optional(number, 2048)
    cpu_architecture       = optional(string, "X86_64")
    use_spot               = optional(bool, false)
    max_activities         = optional(number, 4)
    shutdown_grace_seconds = optional(number, 30)
    # Run the SQS bridge inside each worker task (EBBFLOW_WORKER_BRIDGE); the bridge service then runs no task.
    runs_bridge = optional(bool, false)
    environment = optional(map(string), {})
  })
  default = {}
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
  description = "The backlog scaler service, which sets the worker service's desired count."
  type = object({
    enabled                 = optional(bool, true)
    cpu                     = optional(number, 256)
    memory                  = optional(number, 512)
    cpu_architecture        = optional(string, "X86_64")
    min_tasks               = optional(number, 0)
    max_tasks               = optional(number, 10)
    target_backlog_per_task = optional(number, 5)
    cloudwatch_namespace    = optional(string, "ebbflow")
    environment             = optional(map(string), {})
  })
  default = {}
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
