################################################################################
# Schedule
################################################################################

output "schedule_arn" {
  description = "ARN of the schedule."
  value       = aws_scheduler_schedule.this.arn
}

output "role_arn" {
  description = "ARN of the role Scheduler assumes to send the envelope."
  value       = aws_iam_role.this.arn
}

output "envelope" {
  description = "The message body sent at each firing, before Scheduler replaces its keywords."
  value       = local.envelope_json
}
