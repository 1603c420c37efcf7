"""kcdata: knowledge-conflict benchmarks from Wikidata and Wikipedia.

The data flow, one folder per stage::

    sources ──► facts ──► classify ──► counterfactual ──► render ──► validate ──► publish
    snapshot    Fact      static /      substitute,         questions,   JSON Schema   parquet, card,
    API, dump             temporal /    outdated, rival,    contexts     per row       manifest, Hub
    Wikipedia             disputable    number              per language                  └──► score

Each stage is a library module with a pure core; ``kcdata.cli`` is a thin Click layer over it.
"""

__version__ = "0.3.0"
