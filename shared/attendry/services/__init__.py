"""Use cases: what the API and the workers ask of the domain, one function each."""
