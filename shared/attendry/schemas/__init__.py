"""Pydantic models for what crosses the API: requests in, resources out."""
