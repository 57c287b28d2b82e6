"""Optional API key: when ``API_KEY`` is set, ``Authorization: Bearer <key>`` or ``x-api-key: <key>`` is required.

Meant for Function URLs with ``AuthType: NONE``; the default deployment uses AWS_IAM instead. The comparison is
constant-time (``hmac.compare_digest`` on bytes) and the key is never logged.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import HTTPException, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

api_key_header = APIKeyHeader(name="x-api-key", auto_error=False, description="The API_KEY, when one is set.")
bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer <API_KEY>, when one is set.")


def key_matches(given: str | None, expected: str) -> bool:
    """Constant-time comparison (time does not depend on where the strings differ)."""
    if given is None:
        return False
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass"))


def require_api_key(
    request: Request,
    x_api_key: Annotated[str | None, Security(api_key_header)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
) -> None:
    expected = request.app.state.api_key()
    if not expected:
        return
    token = credentials.credentials if credentials is not None else None
    # evaluate both (no short-circuit on the first) so timing does not reveal which header was checked
    ok_header = key_matches(x_api_key, expected)
    ok_bearer = key_matches(token, expected)
    if not (ok_header or ok_bearer):
        raise HTTPException(
            status_code=401,
            detail="missing or wrong API key: send 'Authorization: Bearer <key>' or 'x-api-key: <key>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
