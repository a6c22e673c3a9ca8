"""Errors a user can act on. Each carries a message that names the input and the reason."""

from __future__ import annotations


class FrontwatchError(Exception):
    """Base of every error the CLI and API turn into a clean message instead of a traceback."""

    status_code = 400


class InputError(FrontwatchError):
    """A file or value the user gave us cannot be used as it is."""

    def __init__(self, message: str, *, origin: str | None = None):
        self.origin = origin
        super().__init__(f"{origin}: {message}" if origin else message)


class NotFound(FrontwatchError):
    """A date, region, place or snapshot that is not in the store."""

    status_code = 404

    def __init__(self, message: str, *, suggestions: list[str] | None = None):
        self.suggestions = suggestions or []
        if self.suggestions:
            message = f"{message}; did you mean: {', '.join(self.suggestions)}?"
        super().__init__(message)


class StoreError(FrontwatchError):
    """The store cannot be opened or is in a state we cannot use."""

    status_code = 500
