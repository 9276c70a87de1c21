"""The project's own policies: checkov custom checks (checkov loads only folders with this file)."""
