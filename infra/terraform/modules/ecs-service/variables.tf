variable "name" {
  description = "Name of the service, its task definition family, roles and log group."
  type        = string
  default     = "ebbflow-worker"
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

################################################################################
# Placement
################################################################################

variable "cluster_arn" {
  description = "ARN of the ECS cluster that runs the service."
  type        = string
  default     = null

  validation {
    condition     = var.cluster_arn != null
    error_message = "Set cluster_arn to the ARN of an ECS cluster."
  }
}

variable "subnet_ids" {
  description = "Subnets of the tasks. They need a route to Temporal and to AWS APIs (NAT, VPC endpoints or a public IP)."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.subnet_ids) > 0
    error_message = "Set subnet_ids: an awsvpc service without subnets is refused when it is created."
  }
}

variable "security_group_ids" {
  description = "Security groups of the tasks. ebbflow processes only make outbound connections."
  type        = list(string)
  default     = []
}

variable "assign_public_ip" {
  description = "Give each task a public IP (public subnets without NAT)."
  type        = bool
  default     = false
}

variable "capacity_provider_strategy" {
  description = "Fargate capacity providers and their weights. [{ capacity_provider = \"FARGATE_SPOT\" }] runs on Spot: interrupted tasks get SIGTERM two minutes ahead and Temporal retries what they had not finished."
  type = list(object({
    capacity_provider = string
    weight            = optional(number, 1)
    base              = optional(number, 0)
  }))
  default = [{ capacity_provider = "FARGATE" }]
}

variable "desired_count" {
  description = "Tasks to run; with desired_count_managed_externally, at creation only."
  type        = number
  default     = 1
}

variable "desired_count_managed_externally" {
  description = "A scaler (ebbflow's or Application Auto Scaling) owns the task count: Terraform sets desired_count at creation and ignores later changes."
  type        = bool
  default     = false
}

################################################################################
# Task definition
################################################################################

variable "image" {
  description = "Container image built from infra/Dockerfile, e.g. <account>.dkr.ecr.<region>.amazonaws.com/ebbflow:<tag>."
  type        = string
  default     = null

  validation {
    condition     = var.image != null
    error_message = "Set image to the ebbflow container image."
  }
}

variable "command" {
  description = "ebbflow command the container runs: worker, bridge or scaler."
  type        = list(string)
  default     = ["worker"]
}

variable "cpu" {
  description = "Task CPU units (1024 = 1 vCPU)."
  type        = number
  default     = 512
}

variable "memory" {
  description = "Task memory in MiB."
  type        = number
  default     = 1024
}

variable "cpu_architecture" {
  description = "X86_64 or ARM64 (Graviton: about 20 % cheaper per vCPU-hour; the image must be built for it)."
  type        = string
  default     = "X86_64"

  validation {
    condition     = contains(["X86_64", "ARM64"], var.cpu_architecture)
    error_message = "cpu_architecture must be X86_64 or ARM64."
  }
}

variable "environment" {
  description = "Plain environment variables of the container (see the configuration table in the README)."
  type        = map(string)
  default     = {}
}

variable "secrets" {
  description = "Environment variables read from Secrets Manager or SSM Parameter Store at task start: name => secret or parameter ARN."
  type        = map(string)
  default     = {}
}

variable "port_mappings" {
  description = "Container ports to expose (the Prometheus /metrics endpoint)."
  type        = list(number)
  default     = []
}

variable "stop_timeout" {
  description = "Seconds between SIGTERM and SIGKILL (Fargate allows at most 120). Keep it above the process's own shutdown grace."
  type        = number
  default     = 45

  validation {
    condition     = var.stop_timeout >= 2 && var.stop_timeout <= 120
    error_message = "stop_timeout must be between 2 and 120 seconds."
  }
}

variable "health_check" {
  description = "Container health check: an HTTP GET of path on port inside the container must answer 2xx (null: none). start_period is the grace after start, seconds."
  type = object({
    port         = number
    path         = string
    start_period = optional(number, 30)
  })
  default = null
}

variable "enable_execute_command" {
  description = "Allow `aws ecs execute-command` into the tasks."
  type        = bool
  default     = false
}

################################################################################
# IAM and logs
################################################################################

variable "task_role_statements" {
  description = "IAM statements of the task role: exactly what the process needs, nothing more."
  type = list(object({
    sid       = optional(string)
    actions   = list(string)
    resources = list(string)
    conditions = optional(list(object({
      test     = string
      variable = string
      values   = list(string)
    })), [])
  }))
  default = []
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the container logs."
  type        = number
  default     = 30
}

variable "log_kms_key_id" {
  description = "KMS key ARN that encrypts the log group (null: CloudWatch's own encryption). Its key policy must admit logs.<region>.amazonaws.com."
  type        = string
  default     = null
}
