"""Token checks shared by the socket and the REST API."""

import hmac
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a request was refused, in words and as a machine-readable code."""

    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


def check_token(expected: str, given: object) -> Refusal | None:
    """None when the token opens the service, else why not."""
    if given is None or given == "":
        return Refusal("auth_required", "a token is required: open the URL that carries it")
    if not isinstance(given, str) or not hmac.compare_digest(
        given.encode("utf-8", "surrogateescape"), expected.encode("utf-8")
    ):
        return Refusal("auth_invalid", "the token is not valid")
    return None
