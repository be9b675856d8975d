################################################################################
# Pipeline
################################################################################

output "input_bucket" {
  description = "Bucket to upload images to."
  value       = module.pipeline.input_bucket_id
}

output "output_bucket" {
  description = "Bucket with processed images and reports."
  value       = module.pipeline.output_bucket_id
}

output "ingress_queue_url" {
  description = "Ingress queue read by the bridge."
  value       = module.pipeline.queue_url
}

output "dlq_url" {
  description = "Dead-letter queue (`ebbflow dlq list` reads it)."
  value       = module.pipeline.dlq_url
}

output "dlq_alarm_arn" {
  description = "CloudWatch alarm raised when the dead-letter queue holds a message; it notifies the notification topic."
  value       = module.pipeline.dlq_alarm_arn
}

output "notification_topic_arn" {
  description = "Topic for job notifications; subscribe an email address or a chat webhook to it."
  value       = module.pipeline.topic_arn
}

################################################################################
# Services
################################################################################

output "cluster_name" {
  description = "ECS cluster of the services."
  value       = aws_ecs_cluster.this.name
}

output "worker_service_name" {
  description = "Worker service, scaled by the scaler."
  value       = module.worker.service_name
}

output "bridge_service_name" {
  description = "Bridge service."
  value       = module.bridge.service_name
}

output "scaler_service_name" {
  description = "Scaler service, or null unless scaler.mode is \"ebbflow\"."
  value       = try(module.scaler[0].service_name, null)
}

output "worker_task_role_arn" {
  description = "Task role of the worker, to grant it more (e.g. the database's secret)."
  value       = module.worker.task_role_arn
}

output "daily_report_schedule_arn" {
  description = "ARN of the daily report schedule, or null when disabled."
  value       = try(module.daily_report_schedule[0].schedule_arn, null)
}

output "environment" {
  description = "The settings every ebbflow process gets here; export them to run the CLI against this deployment."
  value       = local.common_environment
}

output "eks_role_arns" {
  description = "Service account name => IAM role ARN on EKS, or null without eks."
  value       = try(module.eks_roles[0].role_arns, null)
}
