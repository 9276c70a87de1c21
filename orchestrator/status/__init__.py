"""`status ENV`: is the path API -> VPC link -> internal ALB -> ECS whole? (checks and sources)."""
