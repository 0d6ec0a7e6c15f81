"""One module (or package) per notebook: ``studies/sNN_name`` backs ``notebooks/NN_name.ipynb``.

A study module holds the study's own analysis, one function per figure the notebook saves (each returns a
matplotlib Figure; the notebook passes it to :func:`agenteff.report.save_fig`), and ``claims(...)``, which builds
the notebook's claims table from its results and the paper values. Tests mirror it in
``tests/studies/test_sNN_name.py``.
"""
