"""Local tokens and the HTTP API's JWT authorizer, emulated.

Deployed, API Gateway checks the caller's token against the user pool before the function
runs and hands the function the claims. Locally the same happens with HS256 tokens signed
with LOCAL_JWT_SECRET, and the claims reach the function in the shape API Gateway gives
them: every value a string.
"""

import json
import os
import time
import warnings
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import jwt
from jwt.warnings import InsecureKeyLengthWarning

if TYPE_CHECKING:  # the token command stays free of the template machinery
    from attendry.local.topology import JwtAuthorizerDef

DEFAULT_JWT_SECRET = "local-dev-secret"  # noqa: S105 - documented local-only default
DEFAULT_TOKEN_TTL = timedelta(hours=12)

# The documented local default is short on purpose and never guards anything deployed.
warnings.filterwarnings("ignore", category=InsecureKeyLengthWarning)


class UnauthorizedError(Exception):
    """API Gateway answers 401 {"message": "Unauthorized"}."""


class ForbiddenError(Exception):
    """The token is good but lacks the route's scopes: 403 {"message": "Forbidden"}."""


def jwt_secret() -> str:
    return os.environ.get("LOCAL_JWT_SECRET") or DEFAULT_JWT_SECRET


def make_token(
    sub: str,
    *,
    ttl: timedelta = DEFAULT_TOKEN_TTL,
    secret: str | None = None,
    issuer: str | None = None,
    audience: Sequence[str] = (),
    claims: Mapping[str, Any] | None = None,
) -> str:
    """A token the local authorizer accepts for user `sub`."""
    now = int(time.time())
    payload: dict[str, Any] = {"sub": sub, "iat": now, "exp": now + int(ttl.total_seconds())}
    if issuer:
        payload["iss"] = issuer
    if audience:
        payload["aud"] = audience[0] if len(audience) == 1 else list(audience)
    payload.update(claims or {})
    return jwt.encode(payload, secret or jwt_secret(), algorithm="HS256")


def authorize(
    authorization: str | None,
    authorizer: "JwtAuthorizerDef",
    required_scopes: Sequence[str],
    secret: str,
) -> dict[str, Any]:
    """The `requestContext.authorizer` API Gateway would pass; raises on a refused token.

    Issuer and audience are checked when the token states them: a local token may omit
    them, but one made for another issuer or audience is refused as API Gateway would.
    """
    if not authorization:
        raise UnauthorizedError
    token = authorization.removeprefix("Bearer ").strip()
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            options={"verify_aud": False, "verify_iss": False},
        )
    except jwt.PyJWTError as error:
        raise UnauthorizedError from error
    if "iss" in claims and authorizer.issuer and claims["iss"] != authorizer.issuer:
        raise UnauthorizedError
    token_audience = claims.get("aud", claims.get("client_id"))
    if token_audience is not None and authorizer.audience:
        stated = token_audience if isinstance(token_audience, list) else [token_audience]
        if not set(map(str, stated)) & set(authorizer.audience):
            raise UnauthorizedError
    token_scopes = str(claims.get("scope", "")).split()
    if required_scopes and not set(required_scopes) & set(token_scopes):
        raise ForbiddenError
    return {
        "jwt": {
            "claims": {name: _as_claim_string(value) for name, value in claims.items()},
            "scopes": token_scopes if required_scopes else None,
        }
    }


def _as_claim_string(value: Any) -> str:
    """API Gateway's rendering: numbers and booleans as text, arrays as `[a b]`."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + " ".join(_as_claim_string(item) for item in value) + "]"
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)
