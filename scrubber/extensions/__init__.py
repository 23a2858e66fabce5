"""Extensions: components outside the pipelines (health check)."""
