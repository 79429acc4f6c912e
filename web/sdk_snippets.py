"""What an empty Logs or Experiments tab shows: how to send data to this server with Braintrust's SDK.

The views build these strings (this server's public URL, the project's name as a Python string literal)
and the templates print them, autoescaped, inside ``<pre><code>``.
"""

import json
import shlex

from django.http import HttpRequest
from django.urls import reverse

from accounts.models import Organization
from braintrust_site.public_url import public_base_url
from projects.models import Project

API_KEY_PLACEHOLDER = "<an API key from Settings → API keys>"

LOGS_EXAMPLE = """\
import braintrust

logger = braintrust.init_logger(project={project})


@braintrust.traced
def answer(question):
    return "Hello " + question  # call your model here


answer("world")
logger.log(input="2+2", output="4", scores={{"correct": 1}})
logger.flush()
"""

EXPERIMENTS_EXAMPLE = """\
import braintrust
from autoevals import Levenshtein

braintrust.Eval(
    {project},
    data=lambda: [{{"input": "Foo", "expected": "Hi Foo"}}],
    task=lambda input: "Hi " + input,
    scores=[Levenshtein],
)
"""


def _setup(request: HttpRequest, packages: str) -> str:
    return "\n".join(
        (
            f"pip install {packages}",
            f"export BRAINTRUST_APP_URL={shlex.quote(public_base_url(request))}",
            f"export BRAINTRUST_API_KEY={API_KEY_PLACEHOLDER}",
        )
    )


def _python_string(value: str) -> str:
    """`value` as a Python string literal (a JSON string is one)."""
    return json.dumps(value, ensure_ascii=False)


def sdk_snippet(request: HttpRequest, org: Organization, project: Project, what: str) -> dict[str, str]:
    """The snippet for the empty tab `what` ("logs" or "experiments"): the shell setup, the Python example,
    and the URL of the API keys page the setup refers to."""
    if what == "logs":
        setup, example = _setup(request, "braintrust"), LOGS_EXAMPLE
    elif what == "experiments":
        setup, example = _setup(request, "braintrust autoevals"), EXPERIMENTS_EXAMPLE
    else:
        raise ValueError(f"No SDK snippet for {what!r}.")
    return {
        "setup": setup,
        "example": example.format(project=_python_string(project.name)).rstrip("\n"),
        "api_keys_url": reverse("web:api-keys", kwargs={"org_name": org.name}),
    }
