from agenteff.progress import progress


def test_bars_follow_tqdm_disable(monkeypatch):
    monkeypatch.setenv("TQDM_DISABLE", "1")
    assert progress(range(3)).disable
    monkeypatch.setenv("TQDM_DISABLE", "")
    bar = progress(range(3))
    assert not bar.disable
    bar.close()
    assert progress(range(3), disable=True).disable  # an explicit choice wins
