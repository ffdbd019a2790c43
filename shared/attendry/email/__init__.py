"""Composing and reading outreach email: headers, unsubscribe tokens, reply addresses, MIME.

Pure functions only (no database, no SES calls), so the Sender, the API's unsubscribe
routes and the inbound function share one implementation of every rule about what an
email carries.
"""
