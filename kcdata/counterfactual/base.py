"""The strategy interface and its registry: one class per versioned strategy name.

A strategy proposes the counter-memory answer for one fact. It returns ``None`` when it does not
apply to the fact (a rival strategy on a fact without rivals), and raises
:class:`~kcdata.errors.SkipItem` when it applies but cannot produce a valid answer (an empty
substitution pool). Names are versioned: a change of behaviour is a new class with a new name,
and the old one stays registered and selectable.
"""

from __future__ import annotations

import difflib
import random
from dataclasses import dataclass, field

from kcdata.counterfactual.pool import Pool
from kcdata.errors import ConfigError
from kcdata.labels import LabelStore
from kcdata.relations import RelationSpec
from kcdata.types import Classification, Counterfactual, Fact, Value


def rng_for(seed: int, fact_id: str) -> random.Random:
    """The per-fact generator: ``Random(f"{seed}:{fact_id}")`` (str seeds hash with SHA-512)."""
    return random.Random(f"{seed}:{fact_id}")


@dataclass(frozen=True)
class Request:
    """Everything a strategy may read about the fact it proposes an answer for."""

    fact: Fact
    """The statement group."""
    cls: Classification
    """Its classification: current, former and rival statements, ``as_of``."""
    spec: RelationSpec
    """The relation (object type and substitution class)."""
    pool: Pool
    """Substitution candidates of the build."""
    store: LabelStore
    """Labels, for alias collisions and language coverage."""
    languages: tuple[str, ...]
    """Languages the subject has a label in (the rows that will be rendered)."""
    rng: random.Random
    """The fact's generator (:func:`rng_for`); strategies draw from it in a fixed order."""
    avoid: tuple[tuple[str, str], ...] = ()
    """(language, text) of passages chosen for the fact's rows: a substitute they name would make
    the counter passage contradict itself."""
    memo: dict = field(default_factory=dict, compare=False, repr=False)
    """What the strategies work out once per request (the true values' normalised forms)."""

    @property
    def original(self) -> Value:
        """The original answer: the first current value."""
        return self.cls.current[0].value

    def coverage(self, qid: str | None) -> int:
        """In how many of the row languages ``qid`` has a label."""
        return sum(1 for lang in self.languages if self.store.label(qid, lang))


class Strategy:
    """Base class: propose a counterfactual for one fact, or ``None`` when not applicable."""

    name = "base"
    """Versioned registry name, recorded in every row's ``counterfactual.strategy``."""

    def propose(self, request: Request) -> Counterfactual | None:
        """The counterfactual, or ``None`` when this strategy does not apply.

        Raises:
            SkipItem: The strategy applies but no valid answer exists.
        """
        raise NotImplementedError


STRATEGIES: dict[str, Strategy] = {}
"""Every registered strategy by name."""


def register(cls: type[Strategy]) -> type[Strategy]:
    """Class decorator: register one instance of a strategy under its ``name``."""
    if cls.name in STRATEGIES:
        raise ValueError(f"strategy {cls.name!r} is registered twice")
    STRATEGIES[cls.name] = cls()
    return cls


def get_strategy(name: str) -> Strategy:
    """The registered strategy called ``name``.

    Raises:
        ConfigError: Unknown name, with the closest registered names.
    """
    try:
        return STRATEGIES[name]
    except KeyError:
        close = difflib.get_close_matches(name, list(STRATEGIES), n=2)
        hint = f"did you mean {' or '.join(close)}?" if close else f"choose one of {', '.join(STRATEGIES)}"
        raise ConfigError(f"unknown counterfactual strategy {name!r}", hint) from None

