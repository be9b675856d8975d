################################################################################
# Service
################################################################################

output "service_name" {
  description = "Name of the ECS service (EBBFLOW_ECS_SERVICE for the scaler)."
  value       = local.service_name
}

output "service_arn" {
  description = "ARN of the ECS service."
  value       = local.service_arn
}

output "task_definition_arn" {
  description = "ARN of the task definition revision the service runs."
  value       = aws_ecs_task_definition.this.arn
}

################################################################################
# IAM and logs
################################################################################

output "task_role_arn" {
  description = "ARN of the task role."
  value       = aws_iam_role.task.arn
}

output "task_role_name" {
  description = "Name of the task role, to attach more policies."
  value       = aws_iam_role.task.name
}

output "task_execution_role_arn" {
  description = "ARN of the task execution role."
  value       = aws_iam_role.task_execution.arn
}

output "log_group_name" {
  description = "CloudWatch log group of the containers."
  value       = aws_cloudwatch_log_group.this.name
}
