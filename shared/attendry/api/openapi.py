"""The OpenAPI document and Swagger UI, built on request rather than at cold start.

Powertools' `enable_swagger` imports its OpenAPI models (about 400 ms here) as the API
module loads, to serve a page few requests ever ask for. These two routes import them
only when asked, and serve the same document and the same bundled Swagger UI.
"""

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.openapi.models import OpenAPI

TITLE = "Attendry Agents API"
VERSION = "1.0.0"


def _document(app: APIGatewayHttpResolver) -> "OpenAPI":
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer, Server

    return app.get_openapi_schema(
        title=TITLE,
        version=VERSION,
        servers=[Server(url="/")],
        security_schemes={"bearerAuth": HTTPBearer(bearerFormat="JWT")},
        security=[{"bearerAuth": []}],
    )


def register_openapi_routes(app: APIGatewayHttpResolver) -> None:
    @app.get("/openapi.json", include_in_schema=False)
    def openapi_document() -> dict[str, Any]:
        document: dict[str, Any] = _document(app).model_dump(
            mode="json", by_alias=True, exclude_none=True
        )
        return document

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> Response[str]:
        from aws_lambda_powertools.event_handler.openapi import swagger_ui
        from aws_lambda_powertools.event_handler.openapi.swagger_ui.html import (
            generate_swagger_html,
        )

        assets = Path(swagger_ui.__file__).parent
        spec = json.dumps(
            _document(app).model_dump(mode="json", by_alias=True, exclude_none=True)
        ).replace("</", "<\\/")
        page = generate_swagger_html(
            spec,
            (assets / "swagger-ui-bundle.min.js").read_text(encoding="utf-8"),
            (assets / "swagger-ui.min.css").read_text(encoding="utf-8"),
            "",
            None,
        )
        return Response(status_code=200, content_type=content_types.TEXT_HTML, body=page)
