variable "name" {
  description = "Prefix of every resource name: <name>-input, <name>-output, <name>-ingress, <name>-dlq, <name>-notifications."
  type        = string
  default     = "ebbflow"
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

################################################################################
# Buckets
################################################################################

variable "input_bucket_name" {
  description = "Name of the bucket that receives uploads (default: <name>-input). Bucket names are global: set one that is yours."
  type        = string
  default     = null
}

variable "output_bucket_name" {
  description = "Name of the bucket for processed images and reports (default: <name>-output)."
  type        = string
  default     = null
}

variable "force_destroy" {
  description = "Let terraform destroy delete the buckets with their objects. Keep false outside of experiments."
  type        = bool
  default     = false
}

variable "notification" {
  description = "Which uploads to the input bucket are sent to the ingress queue."
  type = object({
    events        = optional(list(string), ["s3:ObjectCreated:*"])
    filter_prefix = optional(string)
    filter_suffix = optional(string)
  })
  default = {}
}

################################################################################
# Queues
################################################################################

variable "ingress_queue" {
  description = "Settings of the ingress queue read by the bridge. The visibility timeout must exceed the time the bridge needs to start the workflows of one message."
  type = object({
    visibility_timeout_seconds = optional(number, 60)
    message_retention_seconds  = optional(number, 345600)
    receive_wait_time_seconds  = optional(number, 20)
    kms_master_key_id          = optional(string)
  })
  default = {}
}

variable "create_dlq" {
  description = "Create the dead-letter queue and redrive the ingress queue to it. On by default: without it a poison message is retried until it expires."
  type        = bool
  default     = true
}

variable "dlq" {
  description = "Settings of the dead-letter queue, shared by ingress failures (redrive) and work that failed for good (sent by the worker)."
  type = object({
    max_receive_count         = optional(number, 3)
    message_retention_seconds = optional(number, 1209600)
    # A CloudWatch alarm when the DLQ holds any message, notifying alarm_actions (null: the notification topic, when
    # created; a topic with a customer KMS key must let CloudWatch use the key).
    alarm         = optional(bool, true)
    alarm_actions = optional(list(string))
  })
  default = {}
}

################################################################################
# Notifications
################################################################################

variable "create_topic" {
  description = "Create the SNS topic for job notifications (reports ready, failures)."
  type        = bool
  default     = true
}

variable "topic_kms_master_key_id" {
  description = "KMS key for the SNS topic (null: not encrypted with a customer key)."
  type        = string
  default     = null
}
