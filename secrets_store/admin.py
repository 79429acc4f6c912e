"""The admin of AI secrets and environment variables: the value is never shown, only its preview.

Operators see the rows whose organization (AI secrets) or object (environment variables) they may read,
and add, change and delete them through the services, which check, encrypt and audit. A value is typed
into a password field that is never filled back in; left empty on a change, the stored value stays.
"""

from django import forms
from django.contrib import admin

from permissions.admin.bases import ServiceAdmin, changed, cleaned
from secrets_store.models import AISecret, EnvVar
from secrets_store.selectors import readable_ai_secrets, visible_env_vars
from secrets_store.services.ai_secrets import ai_secret_create, ai_secret_delete, ai_secret_update
from secrets_store.services.env_vars import env_var_create, env_var_delete, env_var_update
from secrets_store.services.values import MAX_VALUE_LENGTH

_VALUE_HELP = "Stored encrypted and never shown again. Leave empty to keep the current value."


def _value_field() -> forms.CharField:
    return forms.CharField(
        label="New value",
        required=False,
        strip=False,
        max_length=MAX_VALUE_LENGTH,
        widget=forms.PasswordInput(render_value=False),
        help_text=_VALUE_HELP,
    )


def _new_value(form: forms.Form) -> dict:
    """The service's ``value`` argument: only when the operator typed one."""
    value = form.cleaned_data.get("new_value")
    return {"value": value} if value else {}


class AISecretForm(forms.ModelForm):
    new_value = _value_field()

    class Meta:
        model = AISecret
        fields = ("org", "name", "type", "metadata")


class EnvVarForm(forms.ModelForm):
    new_value = _value_field()

    class Meta:
        model = EnvVar
        fields = ("org", "object_type", "object_id", "name", "secret_type", "metadata")


_SHOWN_ABOUT_THE_VALUE = ("preview_secret", "secret_updated_at", "secret_updated_by")


@admin.register(AISecret)
class AISecretAdmin(ServiceAdmin):
    form = AISecretForm
    list_display = ("name", "type", "org", "preview_secret", "secret_updated_at", "created")
    list_select_related = ("org",)
    list_filter = ("org",)
    search_fields = ("name", "type", "org__name")
    autocomplete_fields = ("org",)
    add_fields = ("org", "name", "type", "metadata", "new_value")
    fields = ("id", "org", "name", "type", "metadata", "new_value", *_SHOWN_ABOUT_THE_VALUE, "created", "updated_at")
    readonly_fields = ("id", "org", *_SHOWN_ABOUT_THE_VALUE, "created", "updated_at")

    def visible_to_staff(self, queryset, user):
        return queryset.filter(pk__in=readable_ai_secrets(user).values("pk"))

    def create_through_service(self, request, form):
        value = form.cleaned_data.get("new_value") or None
        return ai_secret_create(actor=request.user, **cleaned(form, "org", "name", "type", "metadata"), secret=value)

    def update_through_service(self, request, obj, form):
        value = _new_value(form)
        return ai_secret_update(actor=request.user, secret=obj, **changed(form, "name", "type", "metadata"), **value)

    def delete_through_service(self, request, obj):
        ai_secret_delete(actor=request.user, secret=obj)


@admin.register(EnvVar)
class EnvVarAdmin(ServiceAdmin):
    form = EnvVarForm
    list_display = ("name", "object_type", "object_id", "org", "preview_secret", "secret_updated_at", "created")
    list_select_related = ("org",)
    list_filter = ("object_type", "org")
    search_fields = ("name", "org__name")
    autocomplete_fields = ("org",)
    add_fields = ("org", "object_type", "object_id", "name", "secret_type", "metadata", "new_value")
    fields = ("id", "org", "object_type", "object_id", "name", "secret_type", "metadata", "new_value", *_SHOWN_ABOUT_THE_VALUE, "created")
    readonly_fields = ("id", "org", "object_type", "object_id", *_SHOWN_ABOUT_THE_VALUE, "created")

    def visible_to_staff(self, queryset, user):
        return queryset.filter(pk__in=visible_env_vars(user, None).values("pk"))

    def create_through_service(self, request, form):
        fields = cleaned(form, "org", "object_type", "object_id", "name", "secret_type", "metadata")
        return env_var_create(actor=request.user, **fields, value=form.cleaned_data.get("new_value") or None)

    def update_through_service(self, request, obj, form):
        return env_var_update(actor=request.user, env_var=obj, **changed(form, "name", "secret_type", "metadata"), **_new_value(form))

    def delete_through_service(self, request, obj):
        env_var_delete(actor=request.user, env_var=obj)
