variable "name" {
  description = "Prefix of the role names."
  type        = string
  default     = "ebbflow"
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

################################################################################
# Cluster
################################################################################

variable "cluster_name" {
  description = "EKS cluster whose pods assume the roles."
  type        = string
  default     = null

  validation {
    condition     = var.cluster_name != null
    error_message = "Set cluster_name to the EKS cluster's name."
  }
}

variable "namespace" {
  description = "Namespace of the service accounts (the overlay's namespace)."
  type        = string
  default     = "ebbflow"
}

variable "identity" {
  description = "\"pod-identity\" (EKS Pod Identity: needs the eks-pod-identity-agent add-on) or \"irsa\" (IAM roles for service accounts: needs oidc_provider_arn and oidc_issuer)."
  type        = string
  default     = "pod-identity"

  validation {
    condition     = contains(["pod-identity", "irsa"], var.identity)
    error_message = "identity must be \"pod-identity\" or \"irsa\"."
  }
}

variable "oidc_provider_arn" {
  description = "ARN of the cluster's IAM OIDC provider (identity = \"irsa\")."
  type        = string
  default     = null

  validation {
    condition     = var.identity != "irsa" || var.oidc_provider_arn != null
    error_message = "identity \"irsa\" needs oidc_provider_arn."
  }
}

variable "oidc_issuer" {
  description = "The cluster's OIDC issuer without https:// (identity = \"irsa\"), e.g. oidc.eks.<region>.amazonaws.com/id/<id>."
  type        = string
  default     = null

  validation {
    condition     = var.identity != "irsa" || try(length(var.oidc_issuer) > 0 && !startswith(var.oidc_issuer, "https://"), false)
    error_message = "identity \"irsa\" needs oidc_issuer, without https://."
  }
}

################################################################################
# Roles
################################################################################

variable "roles" {
  description = "Service account name => the IAM statements of its role (the same shape as the ECS task roles')."
  type = map(list(object({
    sid       = optional(string)
    actions   = list(string)
    resources = list(string)
    conditions = optional(list(object({
      test     = string
      variable = string
      values   = list(string)
    })), [])
  })))
  default = {}
}
