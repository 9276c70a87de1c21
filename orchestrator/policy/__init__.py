"""Policy checks of plans: checkov with the project's own checks (policies/checkov/)."""
