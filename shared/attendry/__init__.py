"""Attendry's agent system: the domain, agents, data access and adapters every Lambda shares."""
