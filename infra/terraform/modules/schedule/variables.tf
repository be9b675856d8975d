variable "name" {
  description = "Name of the schedule and its IAM role."
  type        = string
  default     = "ebbflow-daily-sales"
}

variable "tags" {
  description = "Tags added to the IAM role (schedules themselves take no tags)."
  type        = map(string)
  default     = {}
}

################################################################################
# When
################################################################################

variable "schedule_expression" {
  description = "When to fire: cron(...), rate(...) or at(...). The default is the daily report at 06:00."
  type        = string
  default     = "cron(0 6 * * ? *)"
}

variable "schedule_expression_timezone" {
  description = "Time zone of the schedule expression."
  type        = string
  default     = "UTC"
}

variable "enabled" {
  description = "Whether the schedule fires (false keeps it, paused)."
  type        = bool
  default     = true
}

variable "flexible_time_window_minutes" {
  description = "Let the schedule fire up to this many minutes late, to spread load (0: exactly on time)."
  type        = number
  default     = 0
}

################################################################################
# What
################################################################################

variable "queue_arn" {
  description = "ARN of the ingress queue that receives the envelope; the bridge starts the workflow from it."
  type        = string
  default     = null

  validation {
    condition     = var.queue_arn != null
    error_message = "Set queue_arn to the ingress queue's ARN."
  }
}

variable "workflow" {
  description = "Workflow type named in the envelope."
  type        = string
  default     = "dailySalesReportWorkflow"
}

variable "id_prefix" {
  description = "Prefix of the envelope's idempotency key; the scheduled time is appended, so a retried invocation never starts a second run."
  type        = string
  default     = "daily-sales-"
}

variable "input" {
  description = "Workflow input in the envelope. Scheduler context keywords such as <aws.scheduler.scheduled-time> are replaced when it fires."
  type        = any
  default     = {}
}

variable "retry_policy" {
  description = "How long and how often Scheduler retries a failed send."
  type = object({
    maximum_event_age_in_seconds = optional(number, 3600)
    maximum_retry_attempts       = optional(number, 10)
  })
  default = {}
}

variable "dead_letter_arn" {
  description = "SQS queue for invocations Scheduler gave up on (null: none)."
  type        = string
  default     = null
}

variable "alarm_actions" {
  description = "Where the alarm on failed sends notifies (null: no alarm; [] an alarm that notifies no one)."
  type        = list(string)
  default     = null
}
