"""Pure rules the services apply: follow-up timing, suppression, rates. No I/O here."""
