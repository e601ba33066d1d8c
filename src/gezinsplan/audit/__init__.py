"""The audit log: who did what to whose data, when, why, and with what outcome."""
