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
