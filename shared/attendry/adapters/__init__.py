"""Thin, injectable clients of AWS services: they know AWS and none of the domain's rules."""
