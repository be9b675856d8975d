variable "region" {
  description = "AWS region to deploy to."
  type        = string
  default     = "us-east-1"
}

variable "name" {
  description = "Prefix of every resource name; bucket names derive from it, so make it unique to you."
  type        = string
  default     = "ebbflow-example"
}

variable "image" {
  description = "ebbflow image pushed to a registry the tasks can pull from (e.g. ECR)."
  type        = string
  default     = null
}

variable "temporal_address" {
  description = "Temporal frontend the tasks reach, e.g. <namespace>.<account>.tmprl.cloud:7233 for Temporal Cloud."
  type        = string
  default     = null
}

variable "temporal_namespace" {
  description = "Temporal namespace, e.g. <namespace>.<account> for Temporal Cloud."
  type        = string
  default     = "default"
}

variable "temporal_api_key_secret_arn" {
  description = "Secrets Manager ARN of a Temporal Cloud API key (null: no API key)."
  type        = string
  default     = null
}

variable "vpc_cidr" {
  description = "Address range of the example VPC."
  type        = string
  default     = "10.42.0.0/16"
}
