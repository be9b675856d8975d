output "role_arns" {
  description = "Service account name => role ARN (with IRSA, the eks.amazonaws.com/role-arn annotation)."
  value       = { for name in keys(var.roles) : name => aws_iam_role.this[name].arn }
}
