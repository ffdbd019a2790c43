"""Local tokens and the HTTP API's JWT authorizer, emulated.

Deployed, API Gateway checks the caller's token before the function runs and hands the
function the claims. Locally the same checks run, in the order "Control access to HTTP
APIs with JWT authorizers" lists them
(https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html),
and the claims reach the function in the shape API Gateway gives them: every value a
string. What differs, and why:

- the signature is HS256 with LOCAL_JWT_SECRET: API Gateway verifies RSA signatures with
  the keys of the issuer's `jwks_uri` (so it also matches the `kid` header), and there is
  no issuer to fetch keys from on this machine;
- the identity source must read exactly `Bearer <jwt>`. API Gateway also takes a bare
  token; refusing it here keeps clients to RFC 6750's form, which API Gateway takes too
  and so does every other resource server.

A refusal is answered as API Gateway answers it: 401 `{"message":"Unauthorized"}` with a
`www-authenticate: Bearer scope="..." error="invalid_token" error_description="..."`
header naming the cause ("Troubleshooting issues with HTTP API JWT authorizers",
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-troubleshooting-jwt.html,
shows the form; "the token has expired" and "the token does not have a valid audience"
are its words, the other causes are worded alike). A request without the header gets the
body alone. A token without one of the route's scopes is 403 `{"message":"Forbidden"}`,
its header in the same form with RFC 6750's `insufficient_scope`.
"""

import json
import os
import time
import warnings
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar

import jwt
from jwt.types import Options
from jwt.warnings import InsecureKeyLengthWarning

if TYPE_CHECKING:  # the token command stays free of the template machinery
    from attendry_local.topology import JwtAuthorizerDef

DEFAULT_JWT_SECRET = "local-dev-secret"  # noqa: S105 - documented local-only default
DEFAULT_TOKEN_TTL = timedelta(hours=12)
BEARER_PREFIX = "Bearer "

# The documented local default is short on purpose and never guards anything deployed.
warnings.filterwarnings("ignore", category=InsecureKeyLengthWarning)

# The claims are checked here, one by one, so each refusal can say which check failed.
_SIGNATURE_ONLY: Options = {
    "verify_exp": False,
    "verify_nbf": False,
    "verify_iat": False,
    "verify_aud": False,
    "verify_iss": False,
    "verify_sub": False,
    "verify_jti": False,
}


class RefusedError(Exception):
    """The authorizer's answer in place of the function's."""

    status: ClassVar[int]
    message: ClassVar[str]

    def __init__(self, www_authenticate: str | None) -> None:
        super().__init__(www_authenticate or self.message)
        self.www_authenticate = www_authenticate


class UnauthorizedError(RefusedError):
    """No token, or one that fails a check: 401."""

    status = 401
    message = "Unauthorized"


class ForbiddenError(RefusedError):
    """A good token without any of the route's scopes: 403."""

    status = 403
    message = "Forbidden"


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
    """A token for user `sub`; the authorizer accepts it when `issuer` and `audience` are
    its own (`token_for` fills them in)."""
    now = int(time.time())
    payload: dict[str, Any] = {"sub": sub, "iat": now, "exp": now + int(ttl.total_seconds())}
    if issuer:
        payload["iss"] = issuer
    if audience:
        payload["aud"] = audience[0] if len(audience) == 1 else list(audience)
    payload.update(claims or {})
    return jwt.encode(payload, secret or jwt_secret(), algorithm="HS256")


def token_for(
    sub: str,
    authorizer: "JwtAuthorizerDef | None",
    *,
    ttl: timedelta = DEFAULT_TOKEN_TTL,
    secret: str | None = None,
) -> str:
    """A token `authorizer` accepts for user `sub`: its issuer, its first audience."""
    if authorizer is None:
        return make_token(sub, ttl=ttl, secret=secret)
    return make_token(
        sub, ttl=ttl, secret=secret, issuer=authorizer.issuer, audience=authorizer.audience[:1]
    )


def authorize(
    authorization: str | None,
    authorizer: "JwtAuthorizerDef",
    required_scopes: Sequence[str],
    secret: str,
) -> dict[str, Any]:
    """The `requestContext.authorizer` API Gateway would pass; raises `RefusedError`."""

    def refused(description: str) -> UnauthorizedError:
        return UnauthorizedError(_challenge("invalid_token", description, required_scopes))

    if not authorization:
        raise UnauthorizedError(None)
    if not authorization.startswith(BEARER_PREFIX):
        raise refused("the token must be sent as Authorization: Bearer <jwt>")
    try:
        claims: dict[str, Any] = jwt.decode(
            authorization.removeprefix(BEARER_PREFIX),
            secret,
            algorithms=["HS256"],
            options=_SIGNATURE_ONLY,
        )
    except jwt.InvalidSignatureError as error:
        raise refused("the token does not have a valid signature") from error
    except jwt.InvalidAlgorithmError as error:
        raise refused("the token is not signed with HS256") from error
    except jwt.PyJWTError as error:
        raise refused("the token is not a valid JWT") from error
    problem = _claims_problem(claims, authorizer, time.time())
    if problem is not None:
        raise refused(problem)
    token_scopes = _scopes(claims)
    if required_scopes and not set(required_scopes) & set(token_scopes):
        raise ForbiddenError(
            _challenge(
                "insufficient_scope", "the token has none of the route's scopes", required_scopes
            )
        )
    return {
        "jwt": {
            "claims": {name: _as_claim_string(value) for name, value in claims.items()},
            "scopes": token_scopes if required_scopes else None,
        }
    }


def _claims_problem(
    claims: Mapping[str, Any], authorizer: "JwtAuthorizerDef", now: float
) -> str | None:
    """Why the claims fail API Gateway's checks, or None: `iss` is the issuer; `aud`, or
    `client_id` only when there is no `aud`, is one of the audience entries; `exp` is after
    now; `nbf` and `iat`, when present, are not."""
    if claims.get("iss") != authorizer.issuer:
        return "the token does not have a valid issuer"
    stated = claims["aud"] if "aud" in claims else claims.get("client_id")
    audiences = stated if isinstance(stated, list) else [stated]
    if not any(isinstance(entry, str) and entry in authorizer.audience for entry in audiences):
        return "the token does not have a valid audience"
    expires = _time_claim(claims, "exp")
    if expires is None:
        return "the token does not have a valid exp claim"
    if expires <= now:
        return "the token has expired"
    for name, problem in (
        ("nbf", "the token is not valid yet"),
        ("iat", "the token was issued in the future"),
    ):
        if name not in claims:
            continue
        moment = _time_claim(claims, name)
        if moment is None:
            return f"the token does not have a valid {name} claim"
        if moment > now:
            return problem
    return None


def _time_claim(claims: Mapping[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _scopes(claims: Mapping[str, Any]) -> list[str]:
    """The token's scopes: `scope` (space-separated), else `scp` (a list or a string)."""
    value = claims["scope"] if "scope" in claims else claims.get("scp")
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [str(scope) for scope in value]
    return []


def _challenge(error: str, description: str, scopes: Sequence[str]) -> str:
    return f'Bearer scope="{" ".join(scopes)}" error="{error}" error_description="{description}"'


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
