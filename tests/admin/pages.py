"""What the admin tests share: the address of an admin page, a client logged in to the admin, an owner who
may use it, what a change form posts, the messages a response carried, the grants page's form, and what a
changelist costs."""

from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from permissions.services.roles import system_role
from tests.factories import owner_of


def url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def admin_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def staff_owner_of(org) -> User:
    """The organization's first owner, made staff so that the admin lets them in."""
    operator = owner_of(org)
    operator.is_staff = True
    operator.save(update_fields=["is_staff"])
    return operator


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def form_data(response, **overrides) -> dict:
    """What the admin form on `response` would post unchanged, with `overrides` (None drops a field)."""
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        if value is True:
            data[name] = "on"
        elif isinstance(value, list | tuple):
            data[name] = [str(v) for v in value]
        else:
            data[name] = str(value)
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


def post_change(client: Client, obj, *, follow: bool = False, **overrides):
    """Post the change form of `obj` as the admin shows it, with `overrides`."""
    page = client.get(url(type(obj), "change", obj.pk))
    assert page.status_code == 200
    return client.post(url(type(obj), "change", obj.pk), form_data(page, **overrides), follow=follow)


def role_grant_form(project, user: User, role: str = "viewer", **fields) -> dict:
    """The grants page's form giving `user` the system role `role` on `project`, with more `fields`."""
    return {
        "object_type": "project",
        "object_id": str(project.pk),
        "user": str(user.pk),
        "role": str(system_role(role).pk),
        **fields,
    }


def changelist_queries(client: Client, model) -> tuple[int, int]:
    """The rows the changelist of `model` shows, and the queries it costs once the session is warm."""
    client.get(url(model, "changelist"))  # warm the content types and the session
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url(model, "changelist"))
    assert response.status_code == 200
    return len(response.context["cl"].result_list), len(queries)
