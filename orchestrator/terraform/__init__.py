"""The engine: which Terraform runs, how it is invoked, and the working directory it runs in."""
