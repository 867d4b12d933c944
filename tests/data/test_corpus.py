from synthdiv.data.corpus import load_corpus_stories, split_sentences


def test_split_sentences():
    assert split_sentences('He said, "Go home." She went. Then? Yes!') == ['He said, "Go home."', "She went.", "Then?", "Yes!"]


def test_corpus_has_thousands_of_windows_split_by_chapter():
    train = load_corpus_stories("train")
    test = load_corpus_stories("test")
    assert len(train) > 3000 and len(test) > 300
    assert {r.group for r in train}.isdisjoint({r.group for r in test})
    assert len({r.id for r in train + test}) == len(train) + len(test)
    rec = train[0]
    assert rec.task == "story_completion" and rec.source == "real" and rec.split == "train"
    assert rec.provenance.dataset == "web-prose-v1"
    assert "`" not in rec.context
    # cached: a second load gives the same records
    assert load_corpus_stories("train")[:5] == train[:5]


def test_dense_windows_take_every_sentence_once_as_a_target_and_split_by_the_sweeps_fraction():
    from synthdiv.data.corpus import SOURCES, corpus_split, load_dense_windows

    dense = load_dense_windows()
    greedy = load_corpus_stories(None)
    assert len(dense) > 4 * len(greedy)  # about five windows for each non-overlapping one
    assert len({(r.group, r.target) for r in dense}) > 0.99 * len(dense)  # a target is a sentence, not a repeat
    assert {r.provenance.dataset for r in dense} == {SOURCES["corpus-dense"]}
    first, second = dense[0], dense[1]
    assert first.group == second.group and second.context.startswith(first.context.split(". ", 1)[1][:20])
    train, test = corpus_split("corpus-dense", 0.65, 0)
    assert {r.group for r in train}.isdisjoint({r.group for r in test})
    assert len(test) > 10_000 and len(train) + len(test) == len(dense)
    assert corpus_split("corpus-dense", 0.65, 0)[1][:3] == test[:3]  # seeded
    assert corpus_split("corpus", 0.65, 0)[0] == load_corpus_stories("train")  # the greedy corpus keeps its own split
