"""Nothing but names test_openapi_contract.py still imports from here.

The API fixtures are tests/integration/conftest.py's, their helpers tests/fixtures/api.py's;
this re-export goes once that test imports from tests.fixtures.api.
"""

from tests.fixtures.api import ApiResponse, LambdaContext, http_event

__all__ = ["ApiResponse", "LambdaContext", "http_event"]
