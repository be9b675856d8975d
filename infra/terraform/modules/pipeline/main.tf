# The event pipeline: uploads land in the input bucket, S3 notifies the ingress queue, the bridge turns each message
# into a workflow; the dead-letter queue takes what cannot be processed and the topic tells people about results.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  input_bucket_name  = coalesce(var.input_bucket_name, "${var.name}-input")
  output_bucket_name = coalesce(var.output_bucket_name, "${var.name}-output")
  # Where the DLQ alarm notifies: the actions given, else the notification topic when there is one.
  dlq_alarm_actions = var.dlq.alarm_actions != null ? var.dlq.alarm_actions : aws_sns_topic.this[*].arn

  # The topic is encrypted with the key given, else with a key of its own that CloudWatch alarms may use (the AWS
  # managed alias/aws/sns key cannot be granted to CloudWatch, so alarms could not publish to the topic).
  create_topic_key = var.create_topic && var.topic_kms_master_key_id == null
  topic_kms_key_id = local.create_topic_key ? aws_kms_key.topic[0].arn : var.topic_kms_master_key_id

  tls_only = merge(
    {
      input   = { actions = ["s3:*"], resources = [aws_s3_bucket.input.arn, "${aws_s3_bucket.input.arn}/*"] }
      output  = { actions = ["s3:*"], resources = [aws_s3_bucket.output.arn, "${aws_s3_bucket.output.arn}/*"] }
      ingress = { actions = ["sqs:*"], resources = [aws_sqs_queue.this.arn] }
    },
    var.create_dlq ? { dlq = { actions = ["sqs:*"], resources = [aws_sqs_queue.dlq[0].arn] } } : {},
  )

  # S3 takes one rule per suffix; every rule covers the same prefix.
  notification_rules = { for suffix in var.notification.filter_suffixes : suffix => suffix }
}

################################################################################
# Buckets
################################################################################

resource "aws_s3_bucket" "input" {
  # checkov:skip=CKV_AWS_18:Access logs need a log bucket of the team's choosing (or CloudTrail data events); not created by this module.
  # checkov:skip=CKV_AWS_144:Cross-region replication doubles storage for data that can be uploaded or produced again; a team choice.
  # checkov:skip=CKV_AWS_21:Objects are written once and never updated in place; versioning would keep every overwritten variant.
  # checkov:skip=CKV_AWS_145:SSE-S3 (AES256) encrypts every object; a customer KMS key would need grants for every task role and for S3 notifications.
  bucket        = local.input_bucket_name
  force_destroy = var.force_destroy
  tags          = var.tags
}

resource "aws_s3_bucket" "output" {
  # checkov:skip=CKV_AWS_18:Access logs need a log bucket of the team's choosing (or CloudTrail data events); not created by this module.
  # checkov:skip=CKV_AWS_144:Cross-region replication doubles storage for data that can be uploaded or produced again; a team choice.
  # checkov:skip=CKV_AWS_21:Objects are written once and never updated in place; versioning would keep every overwritten variant.
  # checkov:skip=CKV_AWS_145:SSE-S3 (AES256) encrypts every object; a customer KMS key would need grants for every task role and for S3 notifications.
  # checkov:skip=CKV2_AWS_62:Results are read by people and programs; only the input bucket starts work, through the notification.
  bucket        = local.output_bucket_name
  force_destroy = var.force_destroy
  tags          = var.tags
}

resource "aws_s3_bucket_public_access_block" "input" {
  bucket                  = aws_s3_bucket.input.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_public_access_block" "output" {
  bucket                  = aws_s3_bucket.output.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "input" {
  bucket = aws_s3_bucket.input.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "output" {
  bucket = aws_s3_bucket.output.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

# Every bucket and queue refuses requests that do not use TLS.
data "aws_iam_policy_document" "tls_only" {
  for_each = local.tls_only

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = each.value.actions
    resources = each.value.resources

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "input" {
  bucket = aws_s3_bucket.input.id
  policy = data.aws_iam_policy_document.tls_only["input"].json

  depends_on = [aws_s3_bucket_public_access_block.input]
}

resource "aws_s3_bucket_policy" "output" {
  bucket = aws_s3_bucket.output.id
  policy = data.aws_iam_policy_document.tls_only["output"].json

  depends_on = [aws_s3_bucket_public_access_block.output]
}

# Parts of uploads that never completed are paid for until removed; processed originals can expire on request.
resource "aws_s3_bucket_lifecycle_configuration" "input" {
  bucket = aws_s3_bucket.input.id

  rule {
    id     = "abort-incomplete-uploads"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  dynamic "rule" {
    for_each = var.expire_uploads_after_days == null ? [] : [var.expire_uploads_after_days]

    content {
      id     = "expire-uploads"
      status = "Enabled"

      filter {
        prefix = var.notification.filter_prefix
      }

      expiration {
        days = rule.value
      }

      abort_incomplete_multipart_upload {
        days_after_initiation = 7
      }
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "output" {
  bucket = aws_s3_bucket.output.id

  rule {
    id     = "abort-incomplete-uploads"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  # Bodies of dead letters too large for the queue outlive their letter by a day, then go.
  rule {
    id     = "expire-dead-letter-bodies"
    status = "Enabled"

    filter {
      prefix = "dead-letters/"
    }

    expiration {
      days = ceil(var.dlq.message_retention_seconds / 86400) + 1
    }
  }
}

################################################################################
# Dead-letter queue
################################################################################

resource "aws_sqs_queue" "dlq" {
  count = var.create_dlq ? 1 : 0

  name                      = "${var.name}-dlq"
  message_retention_seconds = var.dlq.message_retention_seconds
  # The provider refuses sqs_managed_sse_enabled next to kms_master_key_id, even when false: one or the other.
  sqs_managed_sse_enabled = var.ingress_queue.kms_master_key_id == null ? true : null
  kms_master_key_id       = var.ingress_queue.kms_master_key_id
  tags                    = var.tags
}

resource "aws_sqs_queue_redrive_allow_policy" "dlq" {
  count = var.create_dlq ? 1 : 0

  queue_url = aws_sqs_queue.dlq[0].id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.this.arn]
  })
}

resource "aws_sqs_queue_policy" "dlq" {
  count = var.create_dlq ? 1 : 0

  queue_url = aws_sqs_queue.dlq[0].id
  policy    = data.aws_iam_policy_document.tls_only["dlq"].json
}

# Anything in the DLQ is an item that will not be processed until someone looks (`ebbflow dlq list`, then
# `ebbflow dlq redrive`), so one message is enough to raise it.
resource "aws_cloudwatch_metric_alarm" "dlq" {
  count = var.create_dlq && var.dlq.alarm ? 1 : 0

  alarm_name          = "${var.name}-dlq-not-empty"
  alarm_description   = "Messages in ${var.name}-dlq: items that failed for good or could not be started. Runbook: `ebbflow dlq list` gives each reason; fix the cause, then `ebbflow dlq redrive --error-type T`, or `ebbflow dlq purge --error-type T` for what will never process."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.dlq[0].name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.dlq_alarm_actions
  ok_actions          = local.dlq_alarm_actions
  tags                = var.tags
}

################################################################################
# Ingress queue
################################################################################

resource "aws_sqs_queue" "this" {
  name                       = "${var.name}-ingress"
  visibility_timeout_seconds = var.ingress_queue.visibility_timeout_seconds
  message_retention_seconds  = var.ingress_queue.message_retention_seconds
  receive_wait_time_seconds  = var.ingress_queue.receive_wait_time_seconds
  sqs_managed_sse_enabled    = var.ingress_queue.kms_master_key_id == null ? true : null
  kms_master_key_id          = var.ingress_queue.kms_master_key_id

  redrive_policy = var.create_dlq ? jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq[0].arn
    maxReceiveCount     = var.dlq.max_receive_count
  }) : null

  tags = var.tags
}

# The oldest message has waited too long: nothing is starting work from the queue.
resource "aws_cloudwatch_metric_alarm" "ingress_age" {
  count = var.ingress_queue.max_message_age_seconds == null ? 0 : 1

  alarm_name          = "${var.name}-ingress-waiting"
  alarm_description   = "The oldest message in ${var.name}-ingress has waited over ${coalesce(var.ingress_queue.max_message_age_seconds, 0)} s. Runbook: messages wait in the ingress queue, nothing starts: the bridge is down or waits for Temporal; ebbflow_bridge_temporal_reachable is 0 and its log says why."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateAgeOfOldestMessage"
  dimensions          = { QueueName = aws_sqs_queue.this.name }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 5
  comparison_operator = "GreaterThanThreshold"
  threshold           = coalesce(var.ingress_queue.max_message_age_seconds, 0)
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.dlq_alarm_actions
  ok_actions          = local.dlq_alarm_actions
  tags                = var.tags
}

data "aws_iam_policy_document" "queue" {
  source_policy_documents = [data.aws_iam_policy_document.tls_only["ingress"].json]

  statement {
    sid       = "AllowInputBucketNotifications"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.this.arn]

    principals {
      type        = "Service"
      identifiers = ["s3.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [aws_s3_bucket.input.arn]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_sqs_queue_policy" "this" {
  queue_url = aws_sqs_queue.this.id
  policy    = data.aws_iam_policy_document.queue.json
}

################################################################################
# S3 -> SQS notification
################################################################################

# Only images under the uploads prefix start work: ETL data, sources and anything else written to the bucket must not
# (each would become a failed image run and a dead letter).
resource "aws_s3_bucket_notification" "this" {
  bucket = aws_s3_bucket.input.id

  dynamic "queue" {
    for_each = local.notification_rules

    content {
      id            = "${var.name}-ingress${replace(lower(queue.key), "/[^a-z0-9]/", "-")}"
      queue_arn     = aws_sqs_queue.this.arn
      events        = var.notification.events
      filter_prefix = var.notification.filter_prefix
      filter_suffix = queue.value
    }
  }

  # S3 checks that it may send to the queue when the notification is created.
  depends_on = [aws_sqs_queue_policy.this]
}

################################################################################
# Notification topic
################################################################################

data "aws_iam_policy_document" "topic_key" {
  count = local.create_topic_key ? 1 : 0

  # checkov:skip=CKV_AWS_109:A key policy applies to its own key only; "*" is this key, as AWS documents key policies.
  # checkov:skip=CKV_AWS_111:A key policy applies to its own key only; "*" is this key, as AWS documents key policies.
  # checkov:skip=CKV_AWS_356:A key policy applies to its own key only; "*" is this key, as AWS documents key policies.
  statement {
    sid       = "AccountAdministersKey"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  statement {
    sid       = "CloudWatchAlarmsPublish"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_kms_key" "topic" {
  count = local.create_topic_key ? 1 : 0

  description         = "${var.name}-notifications topic"
  enable_key_rotation = true
  policy              = data.aws_iam_policy_document.topic_key[0].json
  tags                = var.tags
}

resource "aws_kms_alias" "topic" {
  count = local.create_topic_key ? 1 : 0

  name          = "alias/${var.name}-notifications"
  target_key_id = aws_kms_key.topic[0].key_id
}

resource "aws_sns_topic" "this" {
  count = var.create_topic ? 1 : 0

  name              = "${var.name}-notifications"
  kms_master_key_id = local.topic_kms_key_id
  tags              = var.tags
}
