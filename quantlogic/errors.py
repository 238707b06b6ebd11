"""The one exception type whose message is shown to a user as is."""


class QuantlogicError(Exception):
    """A problem with the user's input: bad file, impossible setting, refused size."""
