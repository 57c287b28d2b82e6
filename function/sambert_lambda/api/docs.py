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

DOCS = "/docs"
ASSETS = "/docs/assets"


def assets_dir() -> str:
    """The directory of the Swagger UI bundle, stylesheet and icon inside the fastapi-swagger package."""
    return str(resources.files("fastapi_swagger").joinpath("resources"))


def install(app: FastAPI) -> None:
    """Serve ``/docs`` and its assets. The app must be made with ``docs_url=None``."""
    app.mount(ASSETS, StaticFiles(directory=assets_dir()), name="docs-assets")
    rel = ASSETS.lstrip("/")

    @app.api_route(DOCS, methods=["GET", "HEAD"], include_in_schema=False, response_class=HTMLResponse)
    def swagger_ui() -> HTMLResponse:
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
