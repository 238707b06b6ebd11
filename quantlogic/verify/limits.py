"""How far verification goes: every input pattern up to EXHAUSTIVE_LIMIT inputs, else random vectors; and
the proof effort, a factor on every budget a proof can run out of (algebra terms, SAT decisions, the guided
search), set for a block of work with proof_effort(scale)."""
import contextlib
from dataclasses import dataclass

EXHAUSTIVE_LIMIT = 22
RANDOM_VECTORS = 1 << 14


@dataclass(frozen=True)
class ProofEffort:
    scale: int = 1  # every budget is multiplied by this

    def __post_init__(self):
        if not isinstance(self.scale, int) or self.scale < 1:
            raise ValueError(f"the proof effort must be a whole number >= 1, not {self.scale!r}")


_CURRENT = [ProofEffort()]


@contextlib.contextmanager
def proof_effort(scale):
    """Multiply every proof budget by scale inside the block."""
    _CURRENT.append(ProofEffort(scale))
    try:
        yield
    finally:
        _CURRENT.pop()


def effort():
    """The factor on every proof budget now."""
    return _CURRENT[-1].scale


def raise_hint():
    """What an undecided verdict tells the user to try."""
    return f"--proof-effort {2 * effort()} doubles every proof budget (now {effort()})"
