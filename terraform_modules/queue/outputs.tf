output "queue_url" {
  description = "URL of the queue (what SQS clients take)."
  value       = aws_sqs_queue.this.url
}

output "queue_arn" {
  description = "ARN of the queue."
  value       = aws_sqs_queue.this.arn
}

output "queue_name" {
  description = "Name of the queue."
  value       = aws_sqs_queue.this.name
}

output "dead_letter_queue_url" {
  description = "URL of the dead-letter queue."
  value       = aws_sqs_queue.dead_letter.url
}

output "dead_letter_queue_arn" {
  description = "ARN of the dead-letter queue."
  value       = aws_sqs_queue.dead_letter.arn
}

output "kms_key_arn" {
  description = "ARN of the KMS key that encrypts both queues."
  value       = aws_kms_key.queue.arn
}

output "consumer_policy_arn" {
  description = "ARN of the IAM policy a consumer's role attaches (e.g. the worker's ECS task role): receive, delete and change visibility of messages of the queue, decrypt them."
  value       = aws_iam_policy.consumer.arn
}

output "consumer_role_names" {
  description = "The task roles the consumer policy is attached to (consumer service => role name)."
  value       = { for name, attachment in aws_iam_role_policy_attachment.consumer : name => attachment.role }
}

output "visibility_timeout_seconds" {
  description = "The queue's visibility timeout as applied: what `promote` reads to move it with the worker's release (promotion.yaml)."
  value       = aws_sqs_queue.this.visibility_timeout_seconds
}
