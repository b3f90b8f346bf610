"""Personal API tokens: scripts and services reach this API without a password or a browser."""
