# Read-only root filesystem with two writable directories, and the log group under a key the caller
# manages (no key created).
name                     = "shop-test"
container_image          = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop:1.4.2"
container_writable_paths = ["/tmp", "/var/cache/nginx"]
log_kms_key_arn          = "arn:aws:kms:eu-west-1:123456789012:key/1f2e3d4c-5b6a-4789-8a7b-6c5d4e3f2a1b"
log_retention_in_days    = 731
