"""The forms of AI providers (Settings) and of a project's environment variables (Configuration).

A value is typed into a password field that is never filled back in, so that a form shown again (after
an error) never carries it into the page.
"""

import re
from collections.abc import Callable
from typing import TypeVar

from django import forms

from permissions.exceptions import ValidationError

T = TypeVar("T")

MAX_VALUE_LENGTH = 65_536  # the services' own limit, checked here to show it next to the field

PROVIDER_TYPES = ("openai", "anthropic", "google", "mistral", "azure", "bedrock", "vertex", "together", "groq", "custom")


def secret_input(label: str, *, required: bool, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        strip=False,
        max_length=MAX_VALUE_LENGTH,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password", "spellcheck": "false"}),
        help_text=help_text,
    )


class AISecretForm(forms.Form):
    """A new AI provider key."""

    name = forms.CharField(label="Name", max_length=255, help_text="How prompts and the SDK refer to it, e.g. OPENAI_API_KEY.")
    type = forms.CharField(
        label="Provider",
        max_length=255,
        required=False,
        widget=forms.TextInput(attrs={"list": "provider-types"}),
        help_text="openai, anthropic, google, ... (free text).",
    )
    secret = secret_input("API key", required=True, help_text="Stored encrypted; only its last four characters are shown again.")


class ReplaceValueForm(forms.Form):
    """A new value for an existing secret or variable."""

    value = secret_input("New value", required=True)

    def __init__(self, *args, label: str = "New value", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["value"].label = label


class EnvVarForm(forms.Form):
    """A new environment variable of a project."""

    name = forms.CharField(label="Name", max_length=255, help_text="e.g. DATABASE_URL")
    value = secret_input("Value", required=False, help_text="Stored encrypted; only its last four characters are shown again.")


def next_to_the_field(save: Callable[[dict], T]) -> Callable[[dict], T]:
    """`save`, whose refusals lose the field name the API's messages start with ("name: a ... already
    exists"): on a page the message is shown next to that field already."""

    def saved(data: dict) -> T:
        try:
            return save(data)
        except ValidationError as exc:
            messages = [re.sub(r"^[a-z_]+: ", "", message) for message in exc.messages]
            raise ValidationError(" ".join(message[:1].upper() + message[1:] for message in messages)) from exc

    return saved
