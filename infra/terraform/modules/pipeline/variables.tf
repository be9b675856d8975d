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
  description = "Name of the bucket for processed images and reports (default: <name>-output). Never the input bucket: variants written there would be processed again."
  type        = string
  default     = null

  validation {
    condition     = coalesce(var.output_bucket_name, "${var.name}-output") != coalesce(var.input_bucket_name, "${var.name}-input")
    error_message = "output_bucket_name must differ from the input bucket: every variant written to the input bucket would start another image run."
  }
}

variable "force_destroy" {
  description = "Let terraform destroy delete the buckets with their objects. Keep false outside of experiments."
  type        = bool
  default     = false
}

variable "notification" {
  description = "Which uploads to the input bucket are sent to the ingress queue: objects under filter_prefix (where `ebbflow submit` puts them) ending with one of filter_suffixes, one S3 rule per suffix (S3 suffixes are case-sensitive). Keep ETL data and sources outside the prefix."
  type = object({
    events          = optional(list(string), ["s3:ObjectCreated:*"])
    filter_prefix   = optional(string, "uploads/")
    filter_suffixes = optional(list(string), [".jpg", ".jpeg", ".png", ".webp", ".gif", ".tif", ".tiff", ".avif", ".heic", ".heif", ".JPG", ".JPEG", ".PNG", ".WEBP", ".GIF", ".TIF", ".TIFF", ".AVIF", ".HEIC", ".HEIF"])
  })
  default = {}

  validation {
    condition     = length(var.notification.filter_prefix) > 0 && length(var.notification.filter_suffixes) > 0
    error_message = "notification needs a filter_prefix and at least one suffix: without them every object written to the input bucket (ETL data too) becomes an image run."
  }

  validation {
    condition     = alltrue([for a in var.notification.filter_suffixes : length([for b in var.notification.filter_suffixes : b if endswith(b, a)]) == 1])
    error_message = "notification.filter_suffixes must not overlap (S3 refuses two rules where one suffix ends with another, or a suffix listed twice)."
  }
}

variable "expire_uploads_after_days" {
  description = "Delete uploads under the notification prefix this many days after they were written (null: keep them)."
  type        = number
  default     = null
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
    # Alarm (to the DLQ alarm's actions) when the oldest message has waited this long; null: no alarm.
    max_message_age_seconds = optional(number, 900)
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
  description = "KMS key of the SNS topic (null: a key created here, which CloudWatch alarms may use). A key of your own must let CloudWatch (alarms) and the worker's task role use it."
  type        = string
  default     = null
}
