"""The template-driven local runtime: template.yaml run on one machine, never deployed."""
