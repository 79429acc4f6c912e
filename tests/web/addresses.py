"""Where the pages are: the address of a page by the name the URLconf gives it, in an organization, in its
Settings → Permission groups, or in a project."""

from django.urls import reverse


def org_page(org, name: str, **kwargs) -> str:
    """The page `name` of `org`, with the rest of its path in `kwargs`."""
    return reverse(f"web:{name}", kwargs={"org_name": org.name, **kwargs})


def groups_page(org, name: str = "groups", group=None) -> str:
    """Settings → Permission groups of `org`, or its page `name` of `group`."""
    return org_page(org, name, **({} if group is None else {"group_id": group.pk}))


def project_page(project, name: str = "project-configuration", **kwargs) -> str:
    """The page `name` of `project` (its Configuration unless told otherwise)."""
    return org_page(project.org, name, project_id=project.pk, **kwargs)
