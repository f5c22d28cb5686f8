"""How a command-line command reports a domain error: a message on stderr naming the field or object, exit 2."""

from __future__ import annotations

import sys
from collections.abc import Callable

from survey.errors import Conflict, InvalidInput, NotFound, Unavailable

USAGE_ERROR = 2


def reported(program: str, work: Callable[[], int], *also: type[Exception]) -> int:
    """Run `work`; a domain error (or one of `also`) becomes `program: <what>` lines on stderr and exit 2."""
    try:
        return work()
    except InvalidInput as exc:
        for error in exc.errors:
            print(f"{program}: {error.field}: {error.reason}", file=sys.stderr)
    except NotFound as exc:
        print(f"{program}: not found: {exc}", file=sys.stderr)
    except (Conflict, Unavailable, *also) as exc:
        print(f"{program}: {exc}", file=sys.stderr)
    return USAGE_ERROR
