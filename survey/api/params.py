"""Path parameters shared by the routes: a row id is a positive 64-bit integer, so an id no table can hold is a 422
naming the parameter, never an overflow in the database driver."""

from __future__ import annotations

from typing import Annotated

from litestar.params import PathParameter

RowId = Annotated[int, PathParameter(ge=1, le=2**63 - 1)]
