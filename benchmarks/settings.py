"""The site's settings with the benchmark's URLconf, for the server ``manage.py bench_api`` starts.

Production never loads this module: it exists so that the unrestricted twins of :mod:`benchmarks.urls`
are routed only in a server started for a benchmark. Everything else (database, middleware,
authentication, DEBUG and the rest of the environment) is read exactly as the site reads it.
"""

from braintrust_site.settings import *  # noqa: F403 (the site's settings, every one of them)

ROOT_URLCONF = "benchmarks.urls"
