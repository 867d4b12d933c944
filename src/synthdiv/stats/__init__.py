"""Statistics: how sure a number is, and what a run's numbers say.

The numbers come from the stages (metrics measure sets, evaluation scores models); this package
turns them into intervals and verdicts, apart from the run engine (experiments) that schedules
the stages. numpy only, never torch.

* ``bootstrap_settings``: the settings of every bootstrap, defined once (numpy-free, for the CLI);
* ``uncertainty``: bootstrap intervals of a test loss, paired differences over test records, seeds;
* ``comparison``: ``synthdiv compare`` / ``synthdiv.compare``, the paired difference of two files;
* ``trends``: Spearman rank trends with a bootstrap interval; ``formatting``: how an interval is written;
* ``evidence``, ``sweep_trends``, ``findings``, ``plane``: a sweep's intervals, seed aggregates, trend
  tests, the paper's claims with verdicts, and the diversity–shift regression; ``assess`` runs them
  on a finished sweep's tables;
* ``ladder``: whether measured diversity rises with the level (the rows: ``metrics.ladder``).
"""
