"""The exception types whose message is shown to a user as is."""


class QuantlogicError(Exception):
    """A problem with the user's input: bad file, impossible setting, refused size (exit status 2)."""

    exit_code = 2


class NotProvedError(QuantlogicError):
    """A circuit that is not proved equal to its network, so nothing is written: exit status 1 when it was
    disproved, 3 when the proof was undecided."""

    def __init__(self, message, verdict):
        super().__init__(message)
        self.verdict = verdict
        self.exit_code = 1 if verdict.status == "disproved" else 3

    def __reduce__(self):  # pickled whole, so it crosses to and from worker processes
        return type(self), (str(self), self.verdict)
