"""What the surfaces share: a finished job as Documents, and as text for a model."""
