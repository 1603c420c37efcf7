"""Glue for the lm-evaluation-harness tasks that ``kcdata export lm-eval`` writes.

The exported task folder holds a small module, ``kcdata_tasks.py``, that imports these functions,
so a harness run asks the prompts ``kcdata score`` asks and matches answers as it does:

* ``doc_to_text``: :func:`kcdata.score.prompts.plain_prompt` for the plain tasks (models without a
  chat template), :func:`kcdata.score.prompts.chat_body` for the ``_chat`` tasks (run them with
  ``lm_eval --apply_chat_template``: the harness then wraps the body in the model's chat template
  with the generation prompt, as ``kcdata score`` does), in the row's language;
* generation runs greedy up to end of sequence or ``max_gen_toks`` (24, ``kcdata score``'s
  default ``--max-new-tokens``), with no stop string: the answer is the first non-empty line
  (:func:`kcdata.score.prompts.first_line`), so a model that starts with a newline is not scored
  empty;
* :func:`process_results` gives, per row, exact and contains match against the original answers
  and against the counter answers (every alias, the normaliser of :mod:`kcdata.normalise`), the
  fields ``kcdata score`` writes as ``exact_original``, ``contains_original``, ``exact_counter``
  and ``contains_counter``.
"""

from __future__ import annotations

from typing import Any

from kcdata.score import metrics
from kcdata.score.prompts import DEFAULT_PROMPT, chat_body, first_line, plain_prompt

METRICS = ("contains_original", "exact_original", "contains_counter", "exact_counter")
"""The per-row metrics of every exported task (the mean over rows is the task's score)."""


def _context(doc: dict[str, Any], context: str) -> str | None:
    return None if context == "none" else doc[f"context_{context}"]


def doc_text(doc: dict[str, Any], context: str = "none", *, chat: bool = False,
             version: str = DEFAULT_PROMPT) -> str:
    """The prompt of one row under one condition (``none``, ``original``, ``counter``)."""
    build = chat_body if chat else plain_prompt
    return build(doc["question"], _context(doc, context), doc.get("language"), version)


def process_results(doc: dict[str, Any], results: list[str]) -> dict[str, bool]:
    """The row's matches for the harness: ``results[0]`` is the generated text."""
    pred = first_line(results[0] if results else "")
    lang = doc.get("language")
    answers, counters = list(doc["answers"]), list(doc["counter_answers"])
    return {
        "contains_original": metrics.contains_match(pred, answers, lang),
        "exact_original": metrics.exact_match(pred, answers, lang),
        "contains_counter": metrics.contains_match(pred, counters, lang),
        "exact_counter": metrics.exact_match(pred, counters, lang),
    }


def text_none(doc: dict[str, Any]) -> str:
    return doc_text(doc, "none")


def text_original(doc: dict[str, Any]) -> str:
    return doc_text(doc, "original")


def text_counter(doc: dict[str, Any]) -> str:
    return doc_text(doc, "counter")


def chat_none(doc: dict[str, Any]) -> str:
    return doc_text(doc, "none", chat=True)


def chat_original(doc: dict[str, Any]) -> str:
    return doc_text(doc, "original", chat=True)


def chat_counter(doc: dict[str, Any]) -> str:
    return doc_text(doc, "counter", chat=True)


__all__ = ["METRICS", "chat_counter", "chat_none", "chat_original", "doc_text", "process_results",
           "text_counter", "text_none", "text_original"]
