"""Card feedback: its checks (CDS Hooks 2.0 §Feedback) and its durable store."""
