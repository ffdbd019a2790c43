"""The agents: outreach, follow-up and planning, and what they share."""
