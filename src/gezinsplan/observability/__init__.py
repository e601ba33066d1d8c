"""What operators see: Prometheus metrics and structured JSON logs (decision 0033)."""
