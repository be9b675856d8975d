# IAM roles for ebbflow's service accounts on EKS, one per process with only the statements it is given: trusted by
# EKS Pod Identity (and associated with the service account here), or by the cluster's OIDC provider (IRSA: annotate
# the service account with the role's ARN).

locals {
  pod_identity = var.identity == "pod-identity"
}

################################################################################
# Trust
################################################################################

data "aws_iam_policy_document" "assume" {
  for_each = var.roles

  dynamic "statement" {
    for_each = local.pod_identity ? [1] : []

    content {
      actions = ["sts:AssumeRole", "sts:TagSession"]

      principals {
        type        = "Service"
        identifiers = ["pods.eks.amazonaws.com"]
      }
    }
  }

  dynamic "statement" {
    for_each = local.pod_identity ? [] : [1]

    content {
      actions = ["sts:AssumeRoleWithWebIdentity"]

      principals {
        type        = "Federated"
        identifiers = [var.oidc_provider_arn]
      }

      condition {
        test     = "StringEquals"
        variable = "${var.oidc_issuer}:sub"
        values   = ["system:serviceaccount:${var.namespace}:${each.key}"]
      }

      condition {
        test     = "StringEquals"
        variable = "${var.oidc_issuer}:aud"
        values   = ["sts.amazonaws.com"]
      }
    }
  }
}

################################################################################
# Roles and their policies
################################################################################

resource "aws_iam_role" "this" {
  for_each = var.roles

  name_prefix        = "${substr("${var.name}-${trimprefix(each.key, "ebbflow-")}", 0, 30)}-"
  assume_role_policy = data.aws_iam_policy_document.assume[each.key].json
  tags               = var.tags
}

data "aws_iam_policy_document" "this" {
  for_each = var.roles

  dynamic "statement" {
    for_each = each.value

    content {
      sid       = statement.value.sid
      actions   = statement.value.actions
      resources = statement.value.resources

      dynamic "condition" {
        for_each = statement.value.conditions

        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }
}

resource "aws_iam_role_policy" "this" {
  for_each = var.roles

  name   = "ebbflow"
  role   = aws_iam_role.this[each.key].id
  policy = data.aws_iam_policy_document.this[each.key].json
}

resource "aws_eks_pod_identity_association" "this" {
  for_each = local.pod_identity ? var.roles : {}

  cluster_name    = var.cluster_name
  namespace       = var.namespace
  service_account = each.key
  role_arn        = aws_iam_role.this[each.key].arn
  tags            = var.tags
}
