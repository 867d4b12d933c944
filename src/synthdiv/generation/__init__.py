"""Diversity-controlled generation: topic-guided stories and paraphrase-augmented QA
(paper §3.2.1), over any backend, through a durable response cache."""
