################################################################################
# Buckets
################################################################################

output "input_bucket_id" {
  description = "Name of the input bucket (EBBFLOW_INPUT_BUCKET)."
  value       = aws_s3_bucket.input.id
}

output "input_bucket_arn" {
  description = "ARN of the input bucket."
  value       = aws_s3_bucket.input.arn
}

output "output_bucket_id" {
  description = "Name of the output bucket (EBBFLOW_OUTPUT_BUCKET)."
  value       = aws_s3_bucket.output.id
}

output "output_bucket_arn" {
  description = "ARN of the output bucket."
  value       = aws_s3_bucket.output.arn
}

################################################################################
# Queues
################################################################################

output "queue_url" {
  description = "URL of the ingress queue (EBBFLOW_INGRESS_QUEUE_URL)."
  value       = aws_sqs_queue.this.id
}

output "queue_arn" {
  description = "ARN of the ingress queue."
  value       = aws_sqs_queue.this.arn
}

output "dlq_url" {
  description = "URL of the dead-letter queue (EBBFLOW_DLQ_URL), or null without one."
  value       = try(aws_sqs_queue.dlq[0].id, null)
}

output "dlq_arn" {
  description = "ARN of the dead-letter queue, or null without one."
  value       = try(aws_sqs_queue.dlq[0].arn, null)
}

output "dlq_alarm_arn" {
  description = "ARN of the CloudWatch alarm on a non-empty dead-letter queue, or null without one."
  value       = try(aws_cloudwatch_metric_alarm.dlq[0].arn, null)
}

################################################################################
# Notification topic
################################################################################

output "topic_arn" {
  description = "ARN of the notification topic (EBBFLOW_NOTIFICATION_TOPIC_ARN), or null without one."
  value       = try(aws_sns_topic.this[0].arn, null)
}

output "topic_kms_key_arn" {
  description = "KMS key of the notification topic; publishers need kms:GenerateDataKey* and kms:Decrypt on it."
  value       = var.create_topic ? local.topic_kms_key_id : null
}

output "dlq_name" {
  description = "Name of the dead-letter queue, or null without one."
  value       = try(aws_sqs_queue.dlq[0].name, null)
}

output "queue_name" {
  description = "Name of the ingress queue (the CloudWatch QueueName dimension)."
  value       = aws_sqs_queue.this.name
}

output "image_key_prefix" {
  description = "Prefix of the uploads that are notified to the ingress queue (EBBFLOW_IMAGE_KEY_PREFIX)."
  value       = var.notification.filter_prefix
}

output "image_key_suffixes" {
  description = "Endings of the uploads that are notified, lower-cased once each (EBBFLOW_IMAGE_KEY_SUFFIXES: the bridge matches any case)."
  value       = distinct([for suffix in var.notification.filter_suffixes : lower(suffix)])
}
