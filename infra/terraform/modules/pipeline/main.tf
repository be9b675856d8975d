# The event pipeline: uploads land in the input bucket, S3 notifies the ingress queue, the bridge turns each message
# into a workflow; the dead-letter queue takes what cannot be processed and the topic tells people about results.

data "aws_caller_identity" "current" {}

locals {
  input_bucket_name  = coalesce(var.input_bucket_name, "${var.name}-input")
  output_bucket_name = coalesce(var.output_bucket_name, "${var.name}-output")
  # Where the DLQ alarm notifies: the actions given, else the notification topic when there is one.
  dlq_alarm_actions = var.dlq.alarm_actions != null ? var.dlq.alarm_actions : aws_sns_topic.this[*].arn
}

################################################################################
# Buckets
################################################################################

resource "aws_s3_bucket" "input" {
  bucket        = local.input_bucket_name
  force_destroy = var.force_destroy
  tags          = var.tags
}

resource "aws_s3_bucket" "output" {
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

################################################################################
# Dead-letter queue
################################################################################

resource "aws_sqs_queue" "dlq" {
  count = var.create_dlq ? 1 : 0

  name                      = "${var.name}-dlq"
  message_retention_seconds = var.dlq.message_retention_seconds
  sqs_managed_sse_enabled   = var.ingress_queue.kms_master_key_id == null
  kms_master_key_id         = var.ingress_queue.kms_master_key_id
  tags                      = var.tags
}

resource "aws_sqs_queue_redrive_allow_policy" "dlq" {
  count = var.create_dlq ? 1 : 0

  queue_url = aws_sqs_queue.dlq[0].id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.this.arn]
  })
}

# Anything in the DLQ is an item that will not be processed until someone looks (`ebbflow dlq list`, then
# `ebbflow dlq redrive`), so one message is enough to raise it.
resource "aws_cloudwatch_metric_alarm" "dlq" {
  count = var.create_dlq && var.dlq.alarm ? 1 : 0

  alarm_name          = "${var.name}-dlq-not-empty"
  alarm_description   = "Messages in ${var.name}-dlq: items that failed for good or could not be started. See ebbflow dlq list."
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
  sqs_managed_sse_enabled    = var.ingress_queue.kms_master_key_id == null
  kms_master_key_id          = var.ingress_queue.kms_master_key_id

  redrive_policy = var.create_dlq ? jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq[0].arn
    maxReceiveCount     = var.dlq.max_receive_count
  }) : null

  tags = var.tags
}

data "aws_iam_policy_document" "queue" {
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

resource "aws_s3_bucket_notification" "this" {
  bucket = aws_s3_bucket.input.id

  queue {
    id            = "${var.name}-ingress"
    queue_arn     = aws_sqs_queue.this.arn
    events        = var.notification.events
    filter_prefix = var.notification.filter_prefix
    filter_suffix = var.notification.filter_suffix
  }

  # S3 checks that it may send to the queue when the notification is created.
  depends_on = [aws_sqs_queue_policy.this]
}

################################################################################
# Notification topic
################################################################################

resource "aws_sns_topic" "this" {
  count = var.create_topic ? 1 : 0

  name              = "${var.name}-notifications"
  kms_master_key_id = var.topic_kms_master_key_id
  tags              = var.tags
}
