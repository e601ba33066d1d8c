"""What operators see: Prometheus metrics and structured JSON logs (decision 0033)."""

# prometheus-client picks multiprocess mode when it is first imported: `gezinsplan serve` sets
# this variable before anything imports it, so the name lives here, away from the library.
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
