"""The bases of every admin of the project: who is an operator, how a write goes through a service with the
operator as the actor, and the read-only and service-backed model admins."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, ClassVar

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.utils.text import capfirst

from braintrust_site.client_address import client_address
from permissions.audit import request_origin
from permissions.engine import restrict
from permissions.engine.nodes import model_for_type
from permissions.exceptions import AccessDenied, NotFound, ValidationError
from permissions.models import Role

User = get_user_model()

MANAGE_ACCESS_WARNING = (
    "Manage access (create_acls and the other *_acls permissions) is a super-user ability: whoever holds "
    "create_acls on the organization can grant themselves anything."
)


def is_operator(user) -> bool:
    """Who may use the admin at all. What an operator may change is still the engine's decision."""
    return bool(user.is_active and user.is_staff)


class AdminRefusal(Exception):
    """A service refused an operator's write: shown as an error message, never as a server error."""


def _refusal_message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


@contextmanager
def operator_write(request) -> Iterator[None]:
    """Declare the admin as the origin of the audit events written inside, and turn a service's refusal
    (not found, access denied, invalid) into an :class:`AdminRefusal`."""
    origin = {
        "channel": "admin",
        "ip": client_address(request) or None,
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:200],
    }
    with request_origin(**origin):
        try:
            yield
        except (AccessDenied, NotFound, ValidationError) as exc:
            raise AdminRefusal(_refusal_message(exc)) from exc


def cleaned(form: forms.ModelForm, *fields: str) -> dict:
    """The cleaned values of `fields`, by name: what a create service is given."""
    return {field: form.cleaned_data[field] for field in fields}


def changed(form: forms.ModelForm, *fields: str) -> dict:
    """The cleaned values of those of `fields` the operator changed: what an update service is given."""
    return {field: form.cleaned_data[field] for field in fields if field in form.changed_data}


def member_changes(name: str, current: set, chosen: set) -> dict[str, list]:
    """The ``add_<name>`` and ``remove_<name>`` arguments of an update service that make the members
    `current` into the members `chosen`, sorted so that the audit event lists them in a stable order."""
    return {f"add_{name}": sorted(chosen - current), f"remove_{name}": sorted(current - chosen)}


@dataclass(frozen=True)
class MemberKind:
    """A kind of member a change form picks (a group's member users, a role's permission pairs): the update
    service's name for them, the form field that picks them, the form's attribute holding the current ones
    (a set), and what a picked value is among those (a row's primary key, unless said otherwise)."""

    name: str
    field: str
    current: str
    key: Callable[[Any], Any] = attrgetter("pk")


class MembersChangeForm(forms.ModelForm):
    """The change form of a row with members of the kinds :attr:`member_kinds` lists, whose ``__init__`` sets
    the current members of each; :meth:`member_changes` is what the operator added and removed."""

    member_kinds: ClassVar[tuple[MemberKind, ...]] = ()

    def member_changes(self) -> dict[str, list]:
        """The update service's ``add_<name>`` and ``remove_<name>`` arguments, for every kind of member."""
        changes: dict[str, list] = {}
        for kind in self.member_kinds:
            chosen = {kind.key(value) for value in self.cleaned_data[kind.field]}
            changes.update(member_changes(kind.name, getattr(self, kind.current), chosen))
        return changes


def organization_display(obj) -> str:
    """The organization column of rows that belong to a project; the changelist selects it along."""
    return obj.project.org.name


def organizations_choices():
    """Every organization, as the admin offers them to operators (who act across organizations)."""
    return model_for_type("organization").objects.all()


def visible_roles(queryset, user):
    """The system roles, and the organization roles `user` may read."""
    return queryset.filter(Q(org__isnull=True) | Q(pk__in=restrict(Role.objects.filter(org__isnull=False), user, "read")))


class PreparedChangeList(ChangeList):
    """A changelist that hands its page of rows to :meth:`OperatorAdmin.prepare_rows` once fetched, so that
    what the columns show of other tables is fetched for the whole page at once, never per row."""

    def get_results(self, request) -> None:
        super().get_results(request)
        self.result_list = list(self.result_list)
        self.model_admin.prepare_rows(self.result_list)


class OperatorAdmin(admin.ModelAdmin):
    """Every operator may look; nobody may write unless a subclass hands the write to a service.

    Django's model permissions are not consulted: the models here declare none (the engine's permissions
    are about nodes, not tables), and which writes are allowed is decided by the services.

    What an operator sees is restricted like everything else: a superuser (the hosting operator) sees
    every row; any other staff member sees only the rows the engine lets them read, in changelists,
    change pages, search and autocomplete alike (they all start from :meth:`get_queryset`). A model that
    is a node of the hierarchy is restricted by the engine directly; any other admin says how its rows
    map to nodes, by naming in :attr:`visible_through` the foreign key to the node whose readers see a
    row or by overriding :meth:`visible_to_staff`, and shows a staff member nothing until it does.
    """

    visible_through: str | None = None

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return self.visible_to_staff(queryset, request.user)

    def visible_to_staff(self, queryset, user):
        """The rows a staff member who is not a superuser may see: those the engine lets them read."""
        if self.visible_through:
            node_model = queryset.model._meta.get_field(self.visible_through).related_model
            return queryset.filter(**{f"{self.visible_through}__in": restrict(node_model._default_manager.all(), user, "read")})
        if getattr(queryset.model, "acl_object_type", None):
            return restrict(queryset, user, "read")
        return queryset.none()

    def get_changelist(self, request, **kwargs):
        return PreparedChangeList

    def prepare_rows(self, rows: list) -> None:
        """Fetch, for a page of rows, what their columns show of other tables (none by default)."""

    def has_module_permission(self, request) -> bool:
        return is_operator(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return is_operator(request.user)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class MemberCountAdmin(OperatorAdmin):
    """Counts each row's members (the rows of :attr:`member_count_of`) as ``member_count`` in the
    changelist's own query, whatever the page size. The count's GROUP BY drops ``Meta.ordering``, so a
    subclass states its ``ordering``."""

    member_count_of: str

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count(self.member_count_of, distinct=True))


class ReadOnlyAdmin(OperatorAdmin):
    """History or derived rows: they are written by the services that make the changes they record."""


class ServiceAdmin(OperatorAdmin):
    """An admin whose writes are made by services.

    A subclass offers adding, changing or deleting by implementing :meth:`create_through_service`,
    :meth:`update_through_service` or :meth:`delete_through_service`; the admin offers nothing else.
    The service receives the operator as its actor and runs inside the admin's transaction, so a refusal
    rolls back everything the request wrote (Django's own change log included) and is shown as a message.
    """

    add_form: type[forms.ModelForm] | None = None
    add_fields: tuple[str, ...] = ()
    soft_delete = False  # the service marks the row deleted (it stays, with its grants and contents)

    def create_through_service(self, request, form: forms.ModelForm) -> models.Model:
        raise NotImplementedError

    def update_through_service(self, request, obj: models.Model, form: forms.ModelForm) -> models.Model:
        raise NotImplementedError

    def delete_through_service(self, request, obj: models.Model) -> None:
        raise NotImplementedError

    def offers(self, name: str) -> bool:
        return getattr(type(self), name) is not getattr(ServiceAdmin, name)

    def has_add_permission(self, request) -> bool:
        return is_operator(request.user) and self.offers("create_through_service")

    def has_change_permission(self, request, obj=None) -> bool:
        return is_operator(request.user) and self.offers("update_through_service")

    def has_delete_permission(self, request, obj=None) -> bool:
        return is_operator(request.user) and self.offers("delete_through_service")

    def get_form(self, request, obj=None, **kwargs):
        if obj is None and self.add_form is not None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None and self.add_fields:
            return self.add_fields
        return super().get_fields(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def save_form(self, request, form, change):
        """Hand the validated form to the service, which checks, writes and audits; the object it
        returns is the one the admin logs and links to."""
        with operator_write(request):
            if change:
                current = self.model._base_manager.get(pk=form.instance.pk)
                return self.update_through_service(request, current, form)
            return self.create_through_service(request, form)

    def save_model(self, request, obj, form, change):
        """Nothing left to do: :meth:`save_form` had the service save it."""

    def save_related(self, request, form, formsets, change):
        """Related rows (members, groups, prompts) are the service's to write, never ``save_m2m``'s."""

    def delete_model(self, request, obj):
        with operator_write(request):
            self.delete_through_service(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic(), operator_write(request):
            for obj in queryset:
                self.delete_through_service(request, obj)

    def get_deleted_objects(self, objs, request):
        """What the deletion removes. Django's check of model permissions on the rows that cascade is
        dropped: whether the operator may delete is the service's decision."""
        if self.soft_delete:
            objs = list(objs)
            listed = [f"{capfirst(self.opts.verbose_name)}: {obj} (marked deleted; its contents and grants stay stored)" for obj in objs]
            return listed, {self.opts.verbose_name_plural: len(objs)}, set(), []
        deleted, counts, _django_permissions_needed, protected = super().get_deleted_objects(objs, request)
        return deleted, counts, set(), protected

    def _showing_refusals(self, request, view, *args):
        try:
            return view(*args)
        except AdminRefusal as refusal:
            self.message_user(request, str(refusal), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return self._showing_refusals(request, super().changeform_view, request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        return self._showing_refusals(request, super().delete_view, request, object_id, extra_context)

    def changelist_view(self, request, extra_context=None):
        if request.method != "POST":
            return super().changelist_view(request, extra_context)

        def run_action():
            # An action over several rows is all-or-nothing, like a single change.
            with transaction.atomic():
                return super(ServiceAdmin, self).changelist_view(request, extra_context)

        return self._showing_refusals(request, run_action)


def choices_filter(field: str, title: str, choices: list[tuple[str, str]]) -> type[admin.SimpleListFilter]:
    """A changelist filter on `field` that offers its values by `choices`' words rather than by the codes."""

    class ChoicesFilter(admin.SimpleListFilter):
        parameter_name = field

        def lookups(self, request, model_admin):
            return choices

        def queryset(self, request, queryset):
            return queryset.filter(**{field: self.value()}) if self.value() is not None else queryset

    ChoicesFilter.title = title
    return ChoicesFilter
