"""The runner and row scoring with tiny random models (GPT-2 and Llama architectures)."""

from __future__ import annotations

import json

import pytest

from kcdata.errors import ConfigError
from kcdata.score.data import read_done
from kcdata.score.rows import score_rows
from kcdata.score.runner import ModelRunner, ScoreConfig, build_prompt

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _encode(tok, rows):
    prompts, conts = [], []
    for r in rows:
        for ctx in (None, r["context_original"], r["context_counter"]):
            p = build_prompt(tok, r["question"], ctx)
            for ans in (r["object"]["label"], r["counterfactual"]["label"]):
                prompts.append(tok(p)["input_ids"])
                conts.append(tok(" " + ans, add_special_tokens=False)["input_ids"])
    return prompts, conts


def test_batched_equals_one_at_a_time(tiny_model, rows):
    model, tok = tiny_model
    runner = ModelRunner(model, tok, ScoreConfig(batch_size=8))
    prompts, conts = _encode(tok, rows)
    batched = runner.score(prompts, conts)
    single = [runner.score([p], [c], batch_size=1)[0] for p, c in zip(prompts, conts, strict=True)]
    assert len({len(p) for p in prompts}) > 3  # really ragged
    for b, s in zip(batched, single, strict=True):
        assert len(b) == len(s) > 0
        assert b == pytest.approx(s, abs=1e-4)


def test_scoring_matches_full_forward(tiny_model, rows):
    import torch

    model, tok = tiny_model
    runner = ModelRunner(model, tok, ScoreConfig(batch_size=4))
    prompts, conts = _encode(tok, rows[:2])
    got = runner.score(prompts, conts)
    for p, c, g in zip(prompts, conts, got, strict=True):
        ids = torch.tensor([p + c], device=model.device)
        with torch.inference_mode():
            logp = torch.log_softmax(model(ids).logits[0].float(), -1)
        want = [logp[len(p) + k - 1, t].item() for k, t in enumerate(c)]
        assert g == pytest.approx(want, abs=1e-4)


def test_padding_side_does_not_change_scores(tiny_model, rows):
    model, tok = tiny_model
    runner = ModelRunner(model, tok, ScoreConfig(batch_size=6))
    prompts, conts = _encode(tok, rows)
    right = runner.score(prompts, conts, padding_side="right")
    left = runner.score(prompts, conts, padding_side="left")
    for a, b in zip(right, left, strict=True):
        assert a == pytest.approx(b, abs=1e-4)


def test_generation_shared_prefill_matches_unbatched_and_hf_greedy(tiny_model, rows):
    import torch

    model, tok = tiny_model
    runner = ModelRunner(model, tok, ScoreConfig(samples=3, max_new_tokens=5, batch_size=4))
    prompts = [tok(build_prompt(tok, r["question"], r["context_counter"]))["input_ids"] for r in rows]
    seeds = list(range(len(prompts)))
    batched = runner.generate(prompts, seeds)
    single = [runner.generate([p], [s], batch_size=1)[0] for p, s in zip(prompts, seeds, strict=True)]
    for b, s, p in zip(batched, single, prompts, strict=True):
        assert b.greedy == s.greedy
        assert b.samples == s.samples
        assert b.logliks == pytest.approx(s.logliks, abs=1e-4)
        assert b.mean_dists.shape == (3, len(tok))
        assert torch.allclose(b.first_logprobs, s.first_logprobs, atol=1e-4)
        with torch.inference_mode():
            hf = model.generate(
                torch.tensor([p], device=model.device),
                attention_mask=torch.ones(1, len(p), dtype=torch.long, device=model.device),
                max_new_tokens=5,
                do_sample=False,
                pad_token_id=tok.pad_token_id,
                eos_token_id=tok.eos_token_id,
            )
        want = hf[0, len(p) :].tolist()
        want = want[: want.index(tok.eos_token_id)] if tok.eos_token_id in want else want
        assert b.greedy == want


def test_fixed_seed_repeats_and_seed_changes_samples(tiny_model, rows):
    model, tok = tiny_model
    prompts = [tok(build_prompt(tok, r["question"]))["input_ids"] for r in rows[:3]]
    cfg = ScoreConfig(samples=4, temperature=1.0, max_new_tokens=4, batch_size=2)
    a = ModelRunner(model, tok, cfg).generate(prompts, [1, 2, 3])
    b = ModelRunner(model, tok, cfg).generate(prompts, [1, 2, 3])
    c = ModelRunner(model, tok, cfg).generate(prompts, [7, 8, 9])
    assert [g.samples for g in a] == [g.samples for g in b]
    assert [g.samples for g in a] != [g.samples for g in c]


def test_score_rows_writes_valid_rows_and_resumes(tiny_model, rows, tmp_path):
    jsonschema = pytest.importorskip("jsonschema")

    model, tok = tiny_model
    cfg = ScoreConfig(samples=3, max_new_tokens=4, batch_size=3)
    out = tmp_path / "scores.jsonl"
    first = score_rows(rows[:3], model, tok, out, config=cfg)
    assert [r["id"] for r in first] != []
    # simulate a kill in the middle of writing a line
    with out.open("a") as fh:
        fh.write('{"id": "torn')
    results = score_rows(rows, model, tok, out, config=cfg)
    ids = [r["id"] for r in results]
    assert sorted(ids) == sorted(r["id"] for r in rows)
    assert len(ids) == len(set(ids))
    # repeat: nothing new scored, same results
    again = score_rows(rows, model, tok, out, config=cfg)
    assert again == results
    from kcdata.resources import schemas_dir

    schema = json.loads((schemas_dir() / "score_row.schema.json").read_text())
    for rec in results:
        jsonschema.validate(rec, schema)
    bad = json.loads(json.dumps(results[0]))
    bad["conditions"]["none"]["match"] = "maybe"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)
    del bad["conditions"]["none"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)
        assert set(rec["conditions"]) == {"none", "original", "counter"}
        assert len(rec["conditions"]["none"]["samples"]) == 3
        assert rec["persuasion"]["no_context"]["counter"] >= 0
        disputable = rec["kind"] == "disputable"
        assert (rec["conditions"]["none"]["acknowledges_conflict"] is None) != disputable


def test_resume_gives_same_rows_as_one_run(tiny_model, rows, tmp_path):
    model, tok = tiny_model
    cfg = ScoreConfig(samples=2, max_new_tokens=3, batch_size=2)
    whole = score_rows(rows, model, tok, tmp_path / "a.jsonl", config=cfg)
    score_rows(rows[:2], model, tok, tmp_path / "b.jsonl", config=cfg)
    parts = score_rows(rows, model, tok, tmp_path / "b.jsonl", config=cfg)

    def key(rs):
        return {
            r["id"]: (
                r["conditions"]["none"]["samples"],
                r["conditions"]["counter"]["prediction"],
                round(r["conditions"]["counter"]["logprob_counter"], 4),
            )
            for r in rs
        }

    assert key(whole) == key(parts)


def test_other_settings_refuse_to_resume(tiny_model, rows, tmp_path):
    from kcdata.errors import ConfigError

    model, tok = tiny_model
    out = tmp_path / "s.jsonl"
    score_rows(rows[:1], model, tok, out, config=ScoreConfig(samples=1, max_new_tokens=2))
    with pytest.raises(ConfigError):
        score_rows(rows, model, tok, out, config=ScoreConfig(samples=2, max_new_tokens=2))
    assert read_done(out) == {rows[0]["id"]}


def test_chat_template_prompt(tiny_tokenizer):
    import copy

    tok = copy.deepcopy(tiny_tokenizer)
    tok.chat_template = "{% for m in messages %}<{{ m.role }}> {{ m.content }}\n{% endfor %}<assistant>"
    text = build_prompt(tok, "What is the capital of France?", "The capital of France is Lyon.")
    assert text.startswith("<user> Context: The capital of France is Lyon.")
    assert text.endswith("<assistant>")
    assert build_prompt(tiny_tokenizer, "Q?") == "Question: Q?\nAnswer:"


@pytest.mark.parametrize(
    ("lang", "plain", "chat"),
    [
        ("de", "Kontext: K.\n\nFrage: Q?\nAntwort:", "Kontext: K.\n\nFrage: Q?\nAntworte mit wenigen Wörtern."),
        ("fr", "Contexte : K.\n\nQuestion : Q?\nRéponse :", "Contexte : K.\n\nQuestion : Q?\nRéponds en quelques mots."),
        ("ru", "Контекст: K.\n\nВопрос: Q?\nОтвет:", "Контекст: K.\n\nВопрос: Q?\nОтветь кратко, несколькими словами."),
        ("it", "Context: K.\n\nQuestion: Q?\nAnswer:", "Context: K.\n\nQuestion: Q?\nAnswer with a short phrase."),
    ],
)
def test_prompt_v2_frames_a_row_in_its_language_and_v1_in_english(tiny_tokenizer, lang, plain, chat):
    import copy

    assert build_prompt(tiny_tokenizer, "Q?", "K.", lang) == plain
    assert build_prompt(tiny_tokenizer, "Q?", "K.", lang, "prompt_v1") == "Context: K.\n\nQuestion: Q?\nAnswer:"
    tok = copy.deepcopy(tiny_tokenizer)
    tok.chat_template = "{% for m in messages %}{{ m.content }}{% endfor %}"
    assert build_prompt(tok, "Q?", "K.", lang) == chat
    with pytest.raises(ConfigError, match="unknown prompt version"):
        build_prompt(tiny_tokenizer, "Q?", None, lang, "prompt_v9")


def test_shared_prompt_scoring_equals_flat_scoring(tiny_model, rows):
    model, tok = tiny_model
    runner = ModelRunner(model, tok, ScoreConfig(batch_size=5))
    prompts, conts = _encode(tok, rows)
    assert max(len(c) for c in conts) > 1  # multi-token answers go through the cache
    shared = runner.score(prompts, conts)
    flat = runner._score_flat(prompts, conts)
    for a, b in zip(shared, flat, strict=True):
        assert a == pytest.approx(b, abs=1e-4)


def test_common_prompt_prefix_runs_once_and_changes_nothing(tiny_model, rows):
    import copy

    from kcdata.score import runner as runner_mod

    model, tok = tiny_model
    chat = copy.deepcopy(tok)
    system = "Question : Answer : Context : short phrase with a the of is what who which"
    chat.chat_template = system + " {% for m in messages %}{{ m.content }} {% endfor %}Answer :"
    prompts, conts = _encode(chat, rows)
    assert runner_mod._common_prefix(prompts) >= runner_mod.MIN_SHARED_PREFIX
    runner = ModelRunner(model, chat, ScoreConfig(batch_size=4))
    flat = runner._score_flat(prompts, conts)
    for side in ("right", "left"):
        shared = runner.score(prompts, conts, padding_side=side)
        for a, b in zip(shared, flat, strict=True):
            assert a == pytest.approx(b, abs=1e-4)


def test_row_without_counterfactual_label_scores_null(tiny_model, rows, tmp_path):
    model, tok = tiny_model
    row = dict(rows[0], counterfactual=dict(rows[0]["counterfactual"], label=""))
    (rec,) = score_rows(
        [row], model, tok, tmp_path / "s.jsonl", config=ScoreConfig(samples=0, max_new_tokens=2)
    )
    assert rec["conditions"]["counter"]["logprob_counter"] is None
    assert rec["conditions"]["counter"]["tokens_counter"] == 0
    assert rec["conditions"]["counter"]["logprob_original"] < 0
    assert rec["coherent_persuasion"] == {"original": None, "counter": None}
    assert "samples" not in rec["conditions"]["none"]
