"""The data plane: the rows of experiments, datasets and project logs.

* :mod:`~projects.events.writes`: insert (replace, deep merge, delete), feedback, computed scores;
* :mod:`~projects.events.reads`: fetch whole traces, now or as of a version, with an opaque cursor;
* :mod:`~projects.events.summaries`: experiment and dataset summaries;
* :mod:`~projects.events.aggregates`: a project's aggregate scores, computed on read.
"""
