"""The HTTP API: one Powertools resolver, one router per area."""
