"""An answer that refuses: `{"detail": sentence, …}` with its status, raised anywhere in a
route or its dependencies and written by one handler."""

from __future__ import annotations

import math
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse


class Problem(Exception):
    def __init__(self, status: int, detail: str, retry_after_s: float | None = None,
                 **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.detail, self.extra = status, detail, extra
        self.headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
        if retry_after_s is not None:
            self.extra["retry_after_s"] = retry_after_s
            self.headers["Retry-After"] = str(max(1, math.ceil(retry_after_s)))

    def response(self) -> JSONResponse:
        return JSONResponse({"detail": self.detail, **self.extra}, status_code=self.status,
                            headers=self.headers)


async def answer(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)  # registered for Problem only
    return exc.response()
