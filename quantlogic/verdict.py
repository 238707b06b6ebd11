"""The one answer every check gives: proved, disproved (with a confirmed counterexample), undecided (what ran
out), or tested (vectors only, written only when the user allows an unproved circuit)."""
from dataclasses import dataclass, field

STATUSES = ("proved", "disproved", "undecided", "tested")
EXIT_CODES = {"proved": 0, "disproved": 1, "undecided": 3, "tested": 3}


@dataclass
class Verdict:
    status: str
    method: str  # how it was decided: exhaustive, per-neuron + composition, equivalence, ...
    reason: str = ""  # disproved / undecided / tested: what differs or what ran out
    vectors: int = 0  # vectors simulated along the way
    counterexample: list = None  # disproved: input codes (one per feature) where the circuit is wrong
    details: list = field(default_factory=list)  # longer lines for `verify --verbose` and `inspect`
    witness: dict = None  # disproved: {"codes", "features" (float values reaching the codes), "circuit", "network"}

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"unknown verdict status {self.status!r}")

    @property
    def ok(self):
        return self.status == "proved"

    @property
    def text(self):
        """The headline: its first word is the status."""
        if self.status == "proved":
            return f"proved ({self.method})"
        if self.status == "tested":
            return f"tested on {self.vectors} vectors (not proved): {self.reason}"
        return f"{self.status} ({self.method}): {self.reason}"

    def as_dict(self):
        return {"status": self.status, "ok": self.ok, "text": self.text, "method": self.method,
                "reason": self.reason, "vectors": self.vectors, "counterexample": self.counterexample,
                "details": list(self.details), "witness": self.witness}


def proved(method, *details, vectors=0):
    return Verdict("proved", method, vectors=vectors, details=list(details))


def disproved(method, reason, codes=None, vectors=0, witness=None):
    return Verdict("disproved", method, reason, vectors, codes, witness=witness)


def undecided(method, reason, vectors=0, details=()):
    return Verdict("undecided", method, reason, vectors, details=list(details))


def from_dict(data):
    """A Verdict read back from a file's metadata (None when absent or not understood)."""
    if not isinstance(data, dict) or data.get("status") not in STATUSES:
        return None
    details = data.get("details", [])
    try:
        return Verdict(data["status"], str(data.get("method", ""))[:200], str(data.get("reason", ""))[:2000],
                       int(data.get("vectors", 0) or 0), None,
                       [d for d in details if isinstance(d, str)][:20] if isinstance(details, list) else [])
    except (TypeError, ValueError, OverflowError):
        return None
