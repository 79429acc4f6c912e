"""What the API's answers say, the assertion every refusal test makes (refused, and nothing written), and
what a Permissions panel shows."""

import re
import uuid
from collections.abc import Callable, Iterable
from html import unescape as html_unescape

from tests.access_helpers import row_counts
from tests.api_helpers import send

# Bodies whose name a create refuses, with the message that names the problem.
BAD_NEW_NAMES = [
    ({}, "name: This field is required."),
    ({"name": ""}, "name: This field may not be blank."),
    ({"name": "   "}, "name: This field may not be blank."),
    ({"name": 5}, "name: Not a valid string."),
]

# Bodies whose new name a patch refuses, with the message.
BAD_RENAMES = [
    ({"name": ""}, "name: This field may not be blank."),
    ({"name": 3}, "name: Not a valid string."),
]

# A patch that would move an object of a project to another project, refused: an object stays where it was made.
MOVE_TO_ANOTHER_PROJECT = ({"project_id": str(uuid.uuid4())}, "project_id: Unknown field.")

# The fields of an ACL as the API answers it, in the order it writes them.
ACL_FIELDS = (
    "id",
    "object_type",
    "object_id",
    "user_id",
    "group_id",
    "permission",
    "restrict_object_type",
    "role_id",
    "_object_org_id",
    "created",
    "expires_at",  # this server's addition
)


def error(response) -> dict:
    return response.json()["error"]


def not_found(object_type: str, object_id) -> dict:
    return {"error": {"status": 404, "message": f"No {object_type} with id {object_id} was found."}}


def names(response) -> set[str]:
    return {o["name"] for o in response.json()["objects"]}


def ids(response) -> set[str]:
    return {o["id"] for o in response.json()["objects"]}


def listed_ids(response) -> set[str]:
    """The ids a list answered, after checking that it answered 200."""
    assert response.status_code == 200, response.content
    return ids(response)


def listed_names(response) -> set[str]:
    """The names a list answered, after checking that it answered 200."""
    assert response.status_code == 200, response.content
    return names(response)


def rows_of(model) -> dict:
    """Every row of `model` as stored, by id: for a refusal to leave as it was."""
    return {row["id"]: row for row in model.objects.values()}


def assert_reads(client, object_type: str, object_id) -> None:
    """`client` reads the `object_type` `object_id` (at ``/v1/<object_type>/<id>``): a 200 with that object."""
    response = client.get(f"/v1/{object_type}/{object_id}")
    assert response.status_code == 200, response.content
    assert response.json()["id"] == str(object_id)


def assert_hidden_as_if_missing(client, object_type: str, object_id) -> None:
    """`client` reading the `object_type` `object_id` (at ``/v1/<object_type>/<id>``) gets the very 404 it gets
    for an id that does not exist: a caller who may not see an object cannot tell that it is there."""
    missing = uuid.uuid4()
    assert client.get(f"/v1/{object_type}/{missing}").json() == not_found(object_type, missing)
    response = client.get(f"/v1/{object_type}/{object_id}")
    assert response.status_code == 404, response.content
    assert response.json() == not_found(object_type, object_id)


def assert_refused_without_writing(
    call: Callable,
    status: int,
    message: str | None = None,
    *,
    ignore_case: bool = False,
    counts: Callable[[], object] = row_counts,
    also_unchanged: Iterable[Callable[[], object]] = (),
):
    """`call()` answers `status`, its error message containing `message`, and writes nothing: `counts()`
    (the rows of every table the services write, by default) and each reader in `also_unchanged` read
    the same after the call as before it. Returns the response."""
    readers = list(also_unchanged)
    before = counts(), [read() for read in readers]
    response = call()
    assert response.status_code == status, response.content
    if message is not None:
        said = error(response)["message"]
        assert (message.lower() in said.lower()) if ignore_case else (message in said), said
    assert (counts(), [read() for read in readers]) == before
    return response


def assert_taken_without_naming(call: Callable, hidden, *, refused: Callable = assert_refused_without_writing):
    """`call()` is refused because the name (or slug) it asks for is taken, writes nothing and does not say
    `hidden`'s id: a caller who may not read an object learns only that its name is in use."""
    response = refused(call, 400, "already exists")
    assert str(hidden.pk) not in response.content.decode()
    return response


def assert_every_call_refused_without_writing(client, calls, status: int, *, refused: Callable = assert_refused_without_writing) -> None:
    """Each ``(method, path, body)`` of `calls`, sent by `client`, is refused with `status` and writes
    nothing (`refused`: the file's own way of saying so, if it checks more)."""
    for method, path, body in calls:
        refused(lambda method=method, path=path, body=body: send(client, method, path, body), status)


def assert_non_object_bodies_refused(client, path: str, *, refused: Callable = assert_refused_without_writing) -> None:
    """A post to `path` whose body is JSON but not an object, or not JSON at all, is a 400 that says so and
    writes nothing (`refused`: the file's own way of saying so, if it checks more)."""
    refused(lambda: client.post(path, ["name"]), 400, "must be a JSON object")
    refused(lambda: client.raw_post(path, "{nope"), 400, "JSON parse error")


def refusal_names(words: str) -> str:
    """The 403 page's words for the permission it says is missing ("Read", "Manage access: list grants"), as
    the page marks them up: the dialogs' words first, any code after them."""
    return f'<strong><span class="permission">{words}'


# What a Permissions panel shows (web/views/permissions_panel.py)


def ticked_boxes_in(html: str) -> set[str]:
    """The values of the boxes (``name="boxes"``) a page or partial shows ticked."""
    inputs = re.findall(r"<input\b[^>]*>", html)
    return {re.search(r'value="([^"]*)"', tag).group(1) for tag in inputs if 'name="boxes"' in tag and re.search(r"\bchecked\b", tag)}


def panel_row(html: str, key: str) -> str:
    """The row of the panel's list for the principal `key` (``user:<id>``), or "" when it is not listed."""
    parts = html.split(f'<tr data-principal="{key}">')
    return parts[1].split("</tr>")[0] if len(parts) > 1 else ""


def holding_row(html: str, key: str) -> str:
    """The row of "Who has access here" for the principal `key`, or "" when it is not listed."""
    parts = html.split(f'<tr data-holder="{key}">')
    return parts[1].split("</tr>")[0] if len(parts) > 1 else ""


def pencil_target(row: str) -> str:
    """Where a row's pencil fetches the principal's boxes (htmx)."""
    return html_unescape(re.search(r'hx-get="([^"]*)" hx-target="#permission-boxes"', row).group(1))
