"""``/docs``: Swagger UI 5 (it renders the OpenAPI 3.1 schema FastAPI writes), served from the installed
``fastapi-swagger`` package's copy of the Swagger UI distribution, so the page works offline and loads nothing
from a CDN.

Every URL in the page is relative (``openapi.json``, ``docs/assets/...``), so it works under any root path: a
Function URL, an API Gateway stage or ``serve``.
"""

from __future__ import annotations

from importlib import resources

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from sambert_lambda.errors import TTSError

DOCS = "/docs"
ASSETS = "/docs/assets"


def assets_dir() -> str | None:
    """The directory of the Swagger UI bundle, stylesheet and icon inside the fastapi-swagger package (None when
    the package is not installed)."""
    try:
        return str(resources.files("fastapi_swagger").joinpath("resources"))
    except ModuleNotFoundError:
        return None


def install(app: FastAPI) -> None:
    """Serve ``/docs`` and its assets. The app must be made with ``docs_url=None``. Without fastapi-swagger
    installed (a broken install), ``/docs`` answers ``503 docs_unavailable`` and the rest of the app works."""
    assets = assets_dir()
    if assets is not None:
        app.mount(ASSETS, StaticFiles(directory=assets), name="docs-assets")
    rel = ASSETS.lstrip("/")

    @app.api_route(DOCS, methods=["GET", "HEAD"], include_in_schema=False, response_class=HTMLResponse)
    def swagger_ui() -> HTMLResponse:
        if assets is None:
            raise TTSError("the API page needs the fastapi-swagger package: pip install fastapi-swagger "
                           "(GET /openapi.json still serves the schema)", code="docs_unavailable", status=503)
        page = get_swagger_ui_html(
            openapi_url=(app.openapi_url or "/openapi.json").lstrip("/"),
            title=f"{app.title} - API",
            swagger_js_url=f"{rel}/swagger-ui-bundle.js",
            swagger_css_url=f"{rel}/swagger-ui.css",
            swagger_favicon_url=f"{rel}/favicon-32x32.png",
            oauth2_redirect_url=None,
        )
        page.headers["Cache-Control"] = "no-cache"
        return page
