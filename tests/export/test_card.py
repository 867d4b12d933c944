"""The dataset card: its YAML front matter field by field, and the numbers of its body
compared with the metrics stage computing them directly."""

from __future__ import annotations

import yaml

from synthdiv.cli.main import main
from synthdiv.data.records_io import write_records
from synthdiv.export.panels import fmt
from synthdiv.export.settings import config_name, size_category
from synthdiv.metrics.panel import diversity_report
from synthdiv.metrics.shift import shift_report
from synthdiv.metrics.texts import load_texts


def front_matter(card: str) -> dict:
    assert card.startswith("---\n")
    return yaml.safe_load(card.split("---\n", 2)[1])


def export_hf(src, out, *extra) -> str:
    assert main(["export", str(src), "--format", "hf", "--out", str(out), "--embedder", "none", *extra]) == 0
    return (out / "README.md").read_text(encoding="utf-8")


def test_size_buckets_follow_the_hub():
    assert [size_category(n) for n in (0, 999, 1000, 9999, 10_000, 999_999, 1_000_000, 10**12)] == [
        "n<1K", "n<1K", "1K<n<10K", "1K<n<10K", "10K<n<100K", "100K<n<1M", "1M<n<10M", "n>1T"]


def test_config_names_from_run_labels():
    assert config_name("Gen-D3") == "D3"
    assert config_name("Gen-D3 50%") == "D3-50pct"
    assert config_name("Gen-D6 12.5% (n=100)") == "D6-12-5pct-n100"


def test_front_matter_of_a_generated_file(gen_file, real_file, tmp_path):
    meta = front_matter(export_hf(gen_file, tmp_path / "hf", "--real", str(real_file)))
    assert meta == {
        "pretty_name": "gen-D3",
        "configs": [{"config_name": "default", "data_files": [{"split": "train", "path": ["data/default/train-00000-of-00001.parquet"]}]}],
        "tags": ["synthetic", "synthdiv", "story-completion"],
        "size_categories": ["n<1K"],
        "language_creators": ["machine-generated"],
        "task_categories": ["text-generation"],
        "source_datasets": ["LSDSem/story_cloze"],  # from the real records' provenance
    }  # no licence: it is never guessed


def test_licence_only_when_given_and_found_for_real_records(gen_file, real_file, tmp_path):
    from synthdiv.data.records_io import read_records

    mixed = tmp_path / "mixed.jsonl"
    write_records(read_records(gen_file) + read_records(real_file), mixed)
    meta = front_matter(export_hf(mixed, tmp_path / "hf", "--license", "cc-by-4.0"))
    assert meta["license"] == "cc-by-4.0"
    assert meta["language_creators"] == ["machine-generated", "found"]
    assert meta["source_datasets"] == ["LSDSem/story_cloze"]
    assert meta["size_categories"] == ["n<1K"]


def test_body_carries_the_panel_with_sample_sizes(gen_file, real_file, tmp_path):
    card = export_hf(gen_file, tmp_path / "hf", "--real", str(real_file))
    div = diversity_report(load_texts(gen_file))
    shift = shift_report(load_texts(real_file), load_texts(gen_file))
    assert "| metric | default (n=12 records) |" in card
    for k in "12345":
        assert f"| distinct-{k} | {fmt(div['distinct'][k])} |" in card
    assert f"| distinct-1..5 summed (n-gram diversity score) | {fmt(div['ngram_diversity_score'])} |" in card
    assert f"| compression ratio (higher = more repetitive) | {fmt(div['compression_ratio'])} |" in card
    assert f"| self-BLEU-4 (higher = records more alike) | {fmt(div['self_bleu'])} |" in card
    assert "| metric | default (n=12 per side) |" in card  # 20 real vs 12 generated: compared at 12
    assert f"| 2-gram Jensen-Shannon divergence (bits) | {fmt(shift['ngram_js']['2'])} |" in card
    assert f"| length of target: KS statistic | {fmt(shift['lengths']['target']['ks'])} |" in card
    assert "real.jsonl (20 records)" in card
    assert "- default: embedding metrics not computed: no embedder (--embedder none)" in card


def test_body_names_the_generator_and_hides_local_paths(gen_file, real_file, tmp_path):
    card = export_hf(gen_file, tmp_path / "hf", "--real", str(real_file))
    assert "| level | D3 |" in card
    assert "| topic-set size \\|T\\| | 100 |" in card
    assert "| backend | dummy |" in card and "| model | dummy |" in card
    assert "| sampling | max_tokens=160, seed=0, temperature=0.7, top_p=1.0 |" in card  # sample_index is per record
    assert "| distinct topics used | 4 |" in card
    assert "| distinct prompts (prompt_hash) | 12 over 12 records |" in card
    assert "`story.txt`: `" in card  # the built-in template's sha256
    assert '"id": "gen-0"' in card  # the sample row
    assert "story_cloze_sample.csv" in card and "/home/someone" not in card


def test_shift_says_why_it_is_missing(gen_file, tmp_path):
    card = export_hf(gen_file, tmp_path / "hf")
    assert "## Shift from real data\n\nNot computed: no real data was given (`--real`)." in card
    assert "- default: shift from real data not computed: no real data given (--real)" in card
    assert "source_datasets" not in front_matter(card)
