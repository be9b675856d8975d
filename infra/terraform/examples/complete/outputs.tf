################################################################################
# ebbflow
################################################################################

output "input_bucket" {
  description = "Upload images here: aws s3 cp photo.jpg s3://<bucket>/photos/"
  value       = module.ebbflow.input_bucket
}

output "output_bucket" {
  description = "Processed images and reports appear here."
  value       = module.ebbflow.output_bucket
}

output "cluster_name" {
  description = "ECS cluster."
  value       = module.ebbflow.cluster_name
}

output "environment" {
  description = "Settings to export for running the ebbflow CLI (status, dlq, submit) against this deployment."
  value       = module.ebbflow.environment
}
