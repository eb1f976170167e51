"""Errors a user can fix. The CLI prints them as one line and exits 2, never a traceback."""


class UserError(Exception):
    """A mistake in what the user gave us (a path, a flag, a table); the message says which."""


class ContractError(UserError):
    """The data folder breaks the contract at table or column level, so no row can be trusted."""
