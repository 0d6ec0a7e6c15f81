"""One package per notebook: ``studies/sNN_name/`` backs ``notebooks/NN_name.ipynb``.

Each study keeps the contract stated and checked in :mod:`agenteff.studies.contract`: modules ``analysis``,
``figures`` (one ``@report.figure`` function per saved file, returning the figure and its caption) and ``claims``
(``claims(paper, *, ...)``, one keyed row per claim), ``NOTEBOOK`` and ``__all__``. Tests mirror it in
``tests/studies/test_sNN_name.py``; ``tests/studies/test_contract.py`` checks every study against the contract.
"""
