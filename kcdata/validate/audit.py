"""``kcdata audit``: a deterministic quality report of a built dataset.

Each check counts rows and keeps the first offending row ids. Checks marked *must be zero* fail the
audit (``kcdata audit`` exits 1); the others are reported for a reader to weigh:

* ``counter_context_names_original`` (must be zero): a counter context names a form of an original
  answer (normalised, whole words).
* ``counter_answers_overlap_answers`` (must be zero): a counter answer equals, contains or is
  contained in an answer (:func:`kcdata.normalise.overlaps`).
* ``counter_context_keeps_original_date`` (must be zero): a counter context states the original
  value's start date (``valid_from``, rendered in the row's language).
* ``unsafe_alias_in_answers`` (must be zero): an alias in ``answers`` / ``counter_answers`` that
  :func:`kcdata.normalise.matchable_alias` rejects (``us``, ``can``).
* ``passage_replacement_in_longer_name`` (must be zero): in a counter passage, the counterfactual
  sits inside a longer capitalised name.
* ``substitute_class_differs`` (must be zero; only with class data): a substitute shares no known
  P31 class with the original.
* ``duplicate_questions``: one question text in one language for several facts.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kcdata.errors import ValidationError
from kcdata.normalise import any_overlap, matchable_alias, names
from kcdata.render import format_date
from kcdata.schemas import Problem, problems
from kcdata.types import PRECISION_DAY, PRECISION_MONTH, PRECISION_YEAR, TimeValue
from kcdata.validate import iter_rows

MUST_BE_ZERO = (
    "counter_context_names_original",
    "counter_answers_overlap_answers",
    "counter_context_keeps_original_date",
    "unsafe_alias_in_answers",
    "passage_replacement_in_longer_name",
    "substitute_class_differs",
)
REPORTED = ("duplicate_questions",)
EXAMPLES = 5
"""Row ids kept per check."""

_ISO = re.compile(r"^(-?)(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")


@dataclass
class Check:
    """One check's outcome."""

    name: str
    must_be_zero: bool
    count: int = 0
    examples: list[str] = field(default_factory=list)
    checked: bool = True
    """False when the data for the check is missing (e.g. no class data)."""

    def hit(self, row_id: str) -> None:
        self.count += 1
        if len(self.examples) < EXAMPLES:
            self.examples.append(row_id)

    @property
    def failed(self) -> bool:
        return self.must_be_zero and self.checked and self.count > 0


@dataclass
class AuditReport:
    """The audit of a set of rows."""

    rows: int
    checks: list[Check]
    counts: list[dict[str, Any]]
    """Rows per kind x language x relation."""

    @property
    def ok(self) -> bool:
        return not any(c.failed for c in self.checks)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready report."""
        return {
            "rows": self.rows,
            "ok": self.ok,
            "checks": [{"name": c.name, "must_be_zero": c.must_be_zero, "checked": c.checked,
                        "count": c.count, "examples": c.examples} for c in self.checks],
            "counts": self.counts,
        }

    def table(self) -> str:
        """The checks as a plain-text table."""
        width = max(len(c.name) for c in self.checks)
        lines = [f"{'check':<{width}}  {'rows':>5}  result ({self.rows} rows audited)"]
        for c in self.checks:
            result = "not checked" if not c.checked else ("FAIL" if c.failed else "ok" if c.must_be_zero else "reported")
            tail = f"  e.g. {', '.join(c.examples)}" if c.count and c.examples else ""
            lines.append(f"{c.name:<{width}}  {c.count:>5}  {result}{tail}")
        return "\n".join(lines)


def _time_from_iso(text: str | None) -> TimeValue | None:
    m = _ISO.match(text or "")
    if not m:
        return None
    sign, year, month, day = m.groups()
    y = int(year) * (-1 if sign else 1)
    precision = PRECISION_DAY if day else PRECISION_MONTH if month else PRECISION_YEAR
    return TimeValue(y, int(month or 0), int(day or 0), precision)


def _inside_longer_name(text: str, label: str, language: str) -> bool:
    """Whether ``label`` sits inside a longer name in ``text`` (:func:`kcdata.render.passages_v2.embedded`)."""
    from kcdata.render.passages_v2 import embedded

    return any(embedded(text, m, language) for m in re.finditer(re.escape(label), text))


def audit_path(path: Path, nli_model: str | Path | None = None) -> AuditReport:
    """Audit a built folder or a JSONL file of rows (``kcdata audit``).

    Raises:
        InputError: The path is missing or unreadable.
        ValidationError: A line is not JSON or a row does not match the row schema (the audit
            reads valid rows only; ``kcdata validate`` lists every problem).
    """
    rows, bad = [], []
    for loc, row in iter_rows(Path(path)):
        found = [Problem(loc, "$", row["__error__"])] if "__error__" in row else problems(row, "row", loc)
        if found:
            bad.append(found[0])
        else:
            rows.append(row)
    if bad:
        raise ValidationError(f"{len(bad)} row(s) of {path} are not valid rows (first: {bad[0]})",
                              f"run `kcdata validate {path}` to list every problem")
    report = audit_rows(rows)
    if nli_model is not None:
        from kcdata.validate.nli import judge, load_nli

        model, tokenizer, entail = load_nli(nli_model)
        for name, ids in judge(rows, model, tokenizer, entail).items():
            check = Check(name, True)
            for rid in ids:
                check.hit(rid)
            report.checks.append(check)
    return report


def audit_rows(rows: Iterable[dict[str, Any]], classes: Any = None) -> AuditReport:
    """Audit rows (dicts of the row schema).

    Args:
        rows: The dataset rows.
        classes: ``qid -> tuple of P31 ids`` (e.g. ``LabelStore.classes``) for the substitute
            class check; without it that check is reported as not checked.
    """
    auditor = Auditor(classes)
    for r in rows:
        auditor.add(r)
    return auditor.report()


class Auditor:
    """:func:`audit_rows` one row at a time, for rows that are never all in memory (a build's
    rows on their way to disk): the same report for the same rows in the same order. It keeps
    per row only a digest of its question and its ids (for ``duplicate_questions``);
    :meth:`report` is called once, at the end."""

    def __init__(self, classes: Any = None) -> None:
        self.classes = classes
        self.checks = {name: Check(name, True) for name in MUST_BE_ZERO}
        self.checks.update({name: Check(name, False) for name in REPORTED})
        if classes is None:
            self.checks["substitute_class_differs"].checked = False
        # duplicate_questions: each (language, question) as a 128-bit digest with its first row
        # id; the text is kept only for questions asked of a second fact
        self.first_id: dict[int, str | tuple[str, str]] = {}
        self.duplicates: dict[tuple[str, str], str] = {}
        self.table: Counter[tuple[str, str, str]] = Counter()
        self.n = 0

    def add(self, r: dict[str, Any]) -> None:
        checks, classes = self.checks, self.classes
        self.n += 1
        rid, lang = r["id"], r["language"]
        self.table[(r["kind"], lang, r["relation"])] += 1
        if any(names(r["context_counter"], a, lang) for a in r["answers"]):
            checks["counter_context_names_original"].hit(rid)
        if any_overlap(r["counter_answers"], r["answers"], lang):
            checks["counter_answers_overlap_answers"].hit(rid)
        start = _time_from_iso(r.get("valid_from"))
        if start is not None and format_date(start, lang) in r["context_counter"] \
                and format_date(start, lang) in r["context_original"]:
            checks["counter_context_keeps_original_date"].hit(rid)
        labels = {r["object"]["label"], r["counterfactual"]["label"]}
        if any(not matchable_alias(a, lang) for a in (*r["answers"], *r["counter_answers"]) if a not in labels
               and r["object"]["value_type"] == "item"):
            checks["unsafe_alias_in_answers"].hit(rid)
        if r.get("wiki_context_counter") and _inside_longer_name(
                r["wiki_context_counter"], r["counterfactual"]["label"], lang):
            checks["passage_replacement_in_longer_name"].hit(rid)
        if classes is not None and r["counterfactual"]["strategy"].startswith("substitute") \
                and r["object"]["id"] and r["counterfactual"]["id"]:
            mine, theirs = set(classes(r["object"]["id"])), set(classes(r["counterfactual"]["id"]))
            if mine and theirs and not mine & theirs:
                checks["substitute_class_differs"].hit(rid)
        digest = int.from_bytes(hashlib.blake2b(f"{lang}\0{r['question']}".encode("utf-8", "surrogatepass"), digest_size=16).digest())
        fact = r["fact_id"]
        # a build's row id is "<fact id>:<language>": then the id alone says both
        first = self.first_id.setdefault(digest, rid if rid == f"{fact}:{lang}" else (rid, fact))
        first_rid, first_fact = (first, first[:-len(lang) - 1]) if isinstance(first, str) else first
        if first_fact != fact:
            self.duplicates.setdefault((lang, r["question"]), first_rid)

    def report(self) -> AuditReport:
        checks = self.checks
        for key in sorted(self.duplicates):
            checks["duplicate_questions"].hit(self.duplicates[key])
        counts = [{"kind": k, "language": lang, "relation": rel, "n": c}
                  for (k, lang, rel), c in sorted(self.table.items(), key=lambda kv: (kv[0][0], kv[0][1], int(kv[0][2][1:])))]
        return AuditReport(self.n, [checks[name] for name in (*MUST_BE_ZERO, *REPORTED)], counts)
