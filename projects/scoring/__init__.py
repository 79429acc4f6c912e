"""Online scoring: "automatically evaluate production logs".

A project's ``online`` scores are rules: for each span inserted into the project's logs that a rule
matches, a sample (the rule's sampling rate) is scored by the rule's scorers, and each score lands on the
row under the scorer's name. Nothing of it runs inside the insert: when the insert commits, the matching
spans are queued as :class:`~projects.models.ScoringJob` rows (:mod:`.queue`), and a worker runs them
(:mod:`.runner`): the built-in one (``manage.py run_scoring_worker``, which ``make run`` starts), or Celery
when ``CELERY_BROKER_URL`` is set. A scorer that fails records its error on the row; the row stays.
"""
