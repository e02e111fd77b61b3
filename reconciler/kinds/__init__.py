"""Resource kinds (the lead's package; this placeholder only makes it importable here)."""
