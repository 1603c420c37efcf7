"""The words around a question: prompt frames per version and language.

``prompt_v1`` (the first frame) frames every row in English. ``prompt_v2`` (the default)
frames a row in its own language, so that a German question is not asked after an English
"Question:". A language without a frame of its own gets the English one.

The same functions build the prompts of ``kcdata score`` and of the lm-evaluation-harness tasks
that ``kcdata export lm-eval`` writes (through :mod:`kcdata.score.lm_eval`), so both ask the
same text.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Frame:
    """The words of one language's prompt."""

    question: str
    """Label before the question (``Question:``)."""
    answer: str
    """Label the plain prompt ends with (``Answer:``); the model writes after it."""
    context: str
    """Label before the evidence passage (``Context:``)."""
    instruction: str
    """Second line of the chat user turn, in place of the answer label."""


_EN = Frame("Question:", "Answer:", "Context:", "Answer with a short phrase.")

PROMPTS: dict[str, dict[str, Frame]] = {
    "prompt_v1": {},
    "prompt_v2": {
        "en": _EN,
        "de": Frame("Frage:", "Antwort:", "Kontext:", "Antworte mit wenigen Wörtern."),
        "fr": Frame("Question :", "Réponse :", "Contexte :", "Réponds en quelques mots."),
        "ru": Frame("Вопрос:", "Ответ:", "Контекст:", "Ответь кратко, несколькими словами."),
    },
}
"""Frames per prompt version and language (``prompt_v1``: English for every language)."""

DEFAULT_PROMPT = "prompt_v2"


def frame(language: str | None, version: str = DEFAULT_PROMPT) -> Frame:
    """The frame of a row's language under a prompt version (English when it has none)."""
    if version not in PROMPTS:
        from kcdata.errors import ConfigError

        raise ConfigError(f"unknown prompt version {version!r}", f"use one of {', '.join(PROMPTS)}")
    lang = (language or "en").split("-")[0].lower()
    return PROMPTS[version].get(lang, _EN)


def plain_prompt(question: str, context: str | None = None, language: str | None = "en",
                 version: str = DEFAULT_PROMPT) -> str:
    """The prompt for a model without a chat template, ending where the answer starts.

    ``Context: …\\n\\nQuestion: …\\nAnswer:`` (the context paragraph only when given).
    """
    f = frame(language, version)
    prompt = f"{f.question} {question}\n{f.answer}"
    return f"{f.context} {context}\n\n{prompt}" if context else prompt


def chat_body(question: str, context: str | None = None, language: str | None = "en",
              version: str = DEFAULT_PROMPT) -> str:
    """The user turn for a model with a chat template.

    ``Context: …\\n\\nQuestion: …\\nAnswer with a short phrase.``
    """
    f = frame(language, version)
    body = f"{f.question} {question}\n{f.instruction}"
    return f"{f.context} {context}\n\n{body}" if context else body


def first_line(text: str) -> str:
    """The answer proper: the first non-empty line, stripped (base models run on past the answer)."""
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


__all__ = ["DEFAULT_PROMPT", "PROMPTS", "Frame", "chat_body", "first_line", "frame", "plain_prompt"]
