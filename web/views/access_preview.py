"""The Preview step of a dialog that changes access: what its Save would do, in words, before saving.

A dialog page that changes grants or a group's members mixes in :class:`PreviewsAccessChange` and says,
in :meth:`PreviewsAccessChange.preview_change`, how its form's data becomes a dry run of the very call its
Save makes (:mod:`permissions.services.preview`). Its preview route is the same view with
``previewing=True``: a POST there with the form's data runs the dry run and answers the fragment
``web/access_preview_result.html`` to htmx, or the whole dialog page with the preview above its buttons
without JavaScript. The template side is one line inside the dialog's form,
``{% include "web/access_preview.html" %}``: the Preview button (``formaction`` without JavaScript,
``hx-post`` with it) and the place where the preview appears.

The words (:func:`preview_in_words`): "gives 34 people Read on 5 projects; takes Update on dataset D from
2 service accounts".
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from django.shortcuts import render
from django.urls import URLPattern, path

from permissions.engine.holdings import Place
from permissions.exceptions import ValidationError
from permissions.labels import MANAGE_ACCESS, permission_label
from permissions.services.preview import AccessChange, AccessPreview, dry_run, grant_change_targets, grant_change_within
from permissions.types import ACL_PERMISSIONS, ALL_PERMISSIONS
from web.views.outcomes import save_form

# How a node is named in a sentence, by its type: the node's name is the organization's (or project's)
# for a node that hangs on one.
_NODE_WORDS = {
    "organization": "the organization {name}",
    "org_member": "the members of {name}",
    "org_audit_logs": "the audit log of {name}",
    "org_project": "all projects",
    "group": "the group {name}",
    "role": "the role {name}",
    "project": "project {name}",
    "project_log": "the logs of project {name}",
    "experiment": "experiment {name}",
    "dataset": "dataset {name}",
    "prompt": "prompt {name}",
    "prompt_session": "playground {name}",
}
_PLURALS = {
    "organization": "organizations",
    "org_member": "member lists",
    "org_audit_logs": "audit logs",
    "org_project": "organizations' projects",
    "group": "groups",
    "role": "roles",
    "project": "projects",
    "project_log": "projects' logs",
    "experiment": "experiments",
    "dataset": "datasets",
    "prompt": "prompts",
    "prompt_session": "playgrounds",
}
# Several principals of a kind are counted, one is named.
_PRINCIPALS = {
    "user": ("people", "{name}"),
    "service_account": ("service accounts", "the service account {name}"),
    "group": ("groups", "the group {name}"),
}
PLACES_NAMED = 3  # places listed by name before "and N more"


def place_in_words(place: Place, name: str) -> str:
    """ "dataset D", "all projects", or for a restricted place "the experiments of project P"."""
    node = _NODE_WORDS[place.node_type].format(name=name)
    if place.restrict_object_type is None:
        return node
    if place.node_type == "org_project":
        return f"the {_PLURALS[place.as_type]} of every project"
    return f"the {_PLURALS[place.as_type]} of {node}"


def _places_in_words(places: dict[Place, str]) -> str:
    kinds = {(place.node_type, place.as_type) for place in places}
    if len(places) > 1 and len(kinds) == 1:
        node_type, as_type = next(iter(kinds))
        if node_type == as_type:
            return f"{len(places)} {_PLURALS[node_type]}"
    named = sorted(place_in_words(place, name) for place, name in places.items())
    if len(named) <= PLACES_NAMED + 1:
        return named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"
    return f"{', '.join(named[:PLACES_NAMED])} and {len(named) - PLACES_NAMED} more"


def _principals_in_words(kind: str, names: list[str]) -> str:
    many, named = _PRINCIPALS[kind]
    return named.format(name=names[0]) if len(names) == 1 else f"{len(names)} {many}"


def _permissions_in_words(permissions: list[str]) -> str:
    """ "Read and Update"; the four parts of Manage access, given or taken together, as the box says it."""
    labels = [permission_label(p) for p in sorted(permissions, key=ALL_PERMISSIONS.index) if p not in ACL_PERMISSIONS]
    if set(ACL_PERMISSIONS) <= set(permissions):
        labels.append(MANAGE_ACCESS)
    else:
        labels += [permission_label(p) for p in ACL_PERMISSIONS if p in permissions]
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"


def _clauses(changes: tuple[AccessChange, ...], verb: str) -> list[str]:
    """Clauses that are each true of every principal and place they name: the principals of one kind
    gaining (or losing) a permission on exactly the same places are one clause, and permissions given to
    the same principals on the same places are said together."""
    principals_at: dict[tuple[str, str, Place], set] = defaultdict(set)
    names, place_names = {}, {}
    for change in changes:
        principals_at[change.principal.kind, change.permission, change.place].add(change.principal)
        names[change.principal], place_names[change.place] = change.principal_name, change.place_name
    places_of: dict[tuple[str, str, frozenset], set[Place]] = defaultdict(set)
    for (kind, permission, place), principals in principals_at.items():
        places_of[kind, permission, frozenset(principals)].add(place)
    permissions_of: dict[tuple[str, frozenset, frozenset], list[str]] = defaultdict(list)
    for (kind, permission, principals), places in places_of.items():
        permissions_of[kind, principals, frozenset(places)].append(permission)

    def order(key: tuple) -> tuple:
        kind, principals, _ = key
        return (list(_PRINCIPALS).index(kind), -len(principals), min(ALL_PERMISSIONS.index(p) for p in permissions_of[key]))

    clauses = []
    for key in sorted(permissions_of, key=order):
        kind, principals, places = key
        who = _principals_in_words(kind, sorted((names[p] for p in principals), key=str.casefold))
        what, where = _permissions_in_words(permissions_of[key]), _places_in_words({p: place_names[p] for p in places})
        clauses.append(f"gives {who} {what} on {where}" if verb == "gives" else f"takes {what} on {where} from {who}")
    return clauses


def preview_in_words(preview: AccessPreview) -> list[str]:
    """The preview as clauses of one sentence, gains first: "gives 34 people Read on 5 projects", "takes
    Update on dataset D from 2 service accounts". Empty when the change gives and takes nothing."""
    return _clauses(preview.gains, "gives") + _clauses(preview.losses, "takes")


@dataclass(frozen=True)
class PreviewShown:
    """What the fragment shows: the sentence's clauses and the counts behind them."""

    clauses: list[str]
    gains: int
    losses: int

    @classmethod
    def of(cls, preview: AccessPreview) -> "PreviewShown":
        return cls(preview_in_words(preview), len(preview.gains), len(preview.losses))


def preview_of_grants_change(change: Callable[[], object]) -> tuple["PreviewShown | None", str]:
    """The words of `change` (a call of ``save_boxes`` or of the grant services) run as a dry run, or why it
    cannot be made: the service's refusal, as the Save would show it."""
    try:
        return PreviewShown.of(dry_run(change=change, targets=grant_change_targets, within=grant_change_within)), ""
    except ValidationError as exc:
        return None, " ".join(exc.messages)


def preview_fragment(request, shown: "PreviewShown | None", error: str):
    """The preview's words as the fragment htmx puts below the Preview button."""
    return render(request, "web/access_preview_result.html", {"access_preview": shown, "preview_error": error})


class PreviewsAccessChange:
    """A dialog page whose Save changes access and that offers a Preview of it (see the module's doc).

    The page sets ``preview_url_name`` (its preview route, named by the same path arguments) and
    implements :meth:`preview_change`; the preview route is ``as_view(previewing=True)``. Showing the
    page and previewing need what saving needs, as the page declares it.
    """

    preview_url_name: ClassVar[str] = ""
    previewing: bool = False

    def preview_change(self, request) -> tuple[object, Callable[[dict], AccessPreview]]:
        """The bound form of `request`'s data and, given its cleaned data, the dry run of the Save's call."""
        raise NotImplementedError

    def preview_url(self) -> str:
        raise NotImplementedError

    def post(self, request, *args, **kwargs):
        if not self.previewing:
            return super().post(request, *args, **kwargs)
        form, dry_run = self.preview_change(request)
        preview = save_form(form, dry_run)  # bad input, or the service's refusal, becomes the form's error
        shown = PreviewShown.of(preview) if preview is not None else None
        if request.htmx:
            return render(request, "web/access_preview_result.html", {"access_preview": shown, "preview_form": form})
        return self.render_to_response(self.get_context_data(form=form, access_preview=shown), status=200 if shown else 400)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["preview_url"] = self.preview_url()
        return context


def routes_with_preview(route: str, view: type[PreviewsAccessChange], name: str) -> list[URLPattern]:
    """The routes of a dialog page whose Save changes access: the page at `route`, named `name`, and its
    Preview at ``<route>preview/``, named ``<name>-preview``, POST only, which the same view answers."""
    return [
        path(route, view.as_view(), name=name),
        path(f"{route}preview/", view.as_view(previewing=True, http_method_names=["post"]), name=f"{name}-preview"),
    ]
