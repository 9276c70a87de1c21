# A work queue with a dead-letter queue, both encrypted with a customer managed KMS key, reachable
# over TLS only, and the least-privilege IAM policy a consumer (the worker's task role) attaches.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  queue_name = "${var.name}-${var.queue_name}"
  account    = data.aws_caller_identity.current.account_id
  root       = "arn:${data.aws_partition.current.partition}:iam::${local.account}:root"
}

resource "aws_kms_key" "queue" {
  description             = "${local.queue_name}: messages of the queue and its dead-letter queue"
  deletion_window_in_days = var.kms_deletion_window_in_days
  enable_key_rotation     = true
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdministersTheKey"
        Effect    = "Allow"
        Principal = { AWS = local.root }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "SqsUsesTheKeyForThisAccount"
        Effect    = "Allow"
        Principal = { Service = "sqs.amazonaws.com" }
        Action    = ["kms:GenerateDataKey", "kms:Decrypt"]
        Resource  = "*"
        Condition = { StringEquals = { "aws:SourceAccount" = local.account } }
      },
    ]
  })
  tags = var.tags
}

resource "aws_sqs_queue" "dead_letter" {
  name                              = "${local.queue_name}-dlq"
  kms_master_key_id                 = aws_kms_key.queue.arn
  kms_data_key_reuse_period_seconds = 300
  message_retention_seconds         = var.dead_letter_retention_seconds
  tags                              = var.tags
}

resource "aws_sqs_queue" "this" {
  name                              = local.queue_name
  kms_master_key_id                 = aws_kms_key.queue.arn
  kms_data_key_reuse_period_seconds = 300
  visibility_timeout_seconds        = var.visibility_timeout_seconds
  message_retention_seconds         = var.message_retention_seconds
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dead_letter.arn
    maxReceiveCount     = var.max_receive_count
  })
  tags = var.tags
}

# Only this queue may move messages into the dead-letter queue.
resource "aws_sqs_queue_redrive_allow_policy" "dead_letter" {
  queue_url = aws_sqs_queue.dead_letter.id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.this.arn]
  })
}

resource "aws_sqs_queue_policy" "this" {
  for_each  = { queue = aws_sqs_queue.this, dead_letter = aws_sqs_queue.dead_letter }
  queue_url = each.value.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "sqs:*"
      Resource  = each.value.arn
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })
}

# What a consumer needs, and nothing more: receive, delete, extend visibility on this queue; decrypt.
resource "aws_iam_policy" "consumer" {
  name        = "${local.queue_name}-consumer"
  description = "Consume ${local.queue_name}: receive and delete its messages, decrypt them."
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ConsumeTheQueue"
        Effect   = "Allow"
        Action   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"]
        Resource = aws_sqs_queue.this.arn
      },
      {
        Sid      = "DecryptItsMessages"
        Effect   = "Allow"
        Action   = "kms:Decrypt"
        Resource = aws_kms_key.queue.arn
      },
    ]
  })
  tags = var.tags
}

# The consumers: services of the ecs stack whose task role gets the consumer policy. The role
# names come from the ecs stack's output (an input in stacks.yaml, which also applies ecs first);
# before ecs was ever applied, the plan names the role as the ecs module does.
resource "aws_iam_role_policy_attachment" "consumer" {
  for_each = toset(var.consumer_services)

  role       = lookup(var.service_task_role_names, each.key, "${var.name}-${each.key}-task")
  policy_arn = aws_iam_policy.consumer.arn

  lifecycle {
    precondition {
      condition     = length(var.service_task_role_names) == 0 || contains(keys(var.service_task_role_names), each.key)
      error_message = "consumer_services names ${each.key}, which is not one of the ecs stack's services (${join(", ", keys(var.service_task_role_names))})."
    }
  }
}
