"""Data quality of responses: flags from a named, versioned rule set (flag, never delete; scoring excludes)."""
