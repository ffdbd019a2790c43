"""Who is calling: the JWT `sub` the API Gateway authorizer verified."""

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from attendry.core.errors import UnauthorizedError


def current_user_id(router: Router) -> str:
    """The caller's user id. API Gateway has checked the token; we only read its claims.

    A route reached without claims is a wiring mistake (a route left without the
    authorizer), so it answers 401 instead of serving data for nobody. The `sub` becomes
    the `user_id` of every row the user owns, and no text column can hold U+0000: a
    token whose subject holds one identifies nobody the API can store, so it is refused
    like a missing one, saying why.
    """
    event = router.current_event
    claims = (
        event.request_context.authorizer.jwt_claim
        if isinstance(event, APIGatewayProxyEventV2)
        else None
    )
    sub = (claims or {}).get("sub")
    if not isinstance(sub, str) or not sub:
        raise UnauthorizedError("A valid bearer token is required.")
    if "\x00" in sub:
        raise UnauthorizedError("The token's subject (sub) holds a NUL character (U+0000).")
    return sub
