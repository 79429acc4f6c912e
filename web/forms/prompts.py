"""The prompt editor's forms: a prompt's name, slug and description, its chat messages (one form each, in a
formset that adds, removes and orders them), its model and parameters, and its tools.

What the editor saves is Braintrust's ``PromptData``: :func:`editor_prompt_data` writes the fields the
editor shows into the prompt's definition and keeps every other field of it (a parser, tool functions,
other parameters) as it was.
"""

import json
from typing import Any

from django import forms
from django.forms import formset_factory

from projects.prompt_templates import message_text

EDITOR_ROLES = ("system", "user", "assistant", "tool")
RESPONSE_FORMATS = (("", "Model's default"), ("text", "Text"), ("json_object", "JSON object"))
NUMBER_PARAMS = ("temperature", "max_tokens", "top_p")


class MessageForm(forms.Form):
    """One chat message: its role and content."""

    role = forms.ChoiceField(label="Role", choices=[(role, role.capitalize()) for role in EDITOR_ROLES], initial="user")
    content = forms.CharField(
        label="Content", required=False, strip=False, widget=forms.Textarea(attrs={"rows": 3, "data-template-source": ""})
    )


class BaseMessageFormSet(forms.BaseFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        form.fields["ORDER"].label = "Position"
        form.fields["ORDER"].widget.attrs.update({"min": "1", "class": "position"})
        form.fields["DELETE"].label = "Remove"

    def messages(self) -> list[dict]:
        """The messages kept, in the order their positions give."""
        return [{"role": form.cleaned_data["role"], "content": form.cleaned_data.get("content") or ""} for form in self.ordered_forms]


MessageFormSet = formset_factory(MessageForm, formset=BaseMessageFormSet, extra=0, can_delete=True, can_order=True)


def message_formset(data=None, *, messages: list[dict] | None = None, add: bool = False) -> BaseMessageFormSet:
    """The messages' formset, bound to `data` (with one row more when `add`), or showing `messages`."""
    if data is not None:
        if add:
            data = data.copy()
            data["messages-TOTAL_FORMS"] = str(int(data.get("messages-TOTAL_FORMS") or 0) + 1)
        return MessageFormSet(data, prefix="messages")
    initial = [{**message, "ORDER": index + 1} for index, message in enumerate(messages or ())]
    return MessageFormSet(prefix="messages", initial=initial)


class PromptEditorForm(forms.Form):
    """A prompt's own fields, its model, parameters and tools (the messages are a formset of their own)."""

    name = forms.CharField(label="Name", max_length=255)
    slug = forms.SlugField(
        label="Slug", max_length=255, required=False, help_text="How code refers to the prompt; made from the name when left empty."
    )
    description = forms.CharField(label="Description", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    model = forms.CharField(label="Model", max_length=255, required=False, help_text="Such as gpt-4o.")
    temperature = forms.FloatField(
        label="Temperature", required=False, min_value=0, max_value=2, widget=forms.NumberInput(attrs={"step": "0.01"})
    )
    max_tokens = forms.IntegerField(label="Max tokens", required=False, min_value=1, max_value=1_000_000)
    top_p = forms.FloatField(label="Top p", required=False, min_value=0, max_value=1, widget=forms.NumberInput(attrs={"step": "0.01"}))
    response_format = forms.ChoiceField(label="Response format", required=False, choices=RESPONSE_FORMATS)
    tools = forms.CharField(
        label="Tools",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text='A JSON list of tool definitions, such as [{"type": "function", "function": {"name": "lookup"}}].',
    )
    completion = forms.CharField(
        label="Completion prompt",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6, "data-template-source": ""}),
    )

    def __init__(self, *args, completion: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.is_completion = completion
        if not completion:
            del self.fields["completion"]

    def clean_tools(self) -> list[dict] | None:
        text = self.cleaned_data.get("tools", "").strip()
        if not text:
            return None
        try:
            tools = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"Tools must be valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno}).") from None
        if not isinstance(tools, list) or not all(isinstance(tool, dict) for tool in tools):
            raise forms.ValidationError("Tools must be a JSON list of objects, one for each tool.")
        return tools

    @classmethod
    def initial_of(cls, prompt) -> dict:
        """What the editor shows for `prompt` (a prompt or a version's snapshot, as a dict of its fields)."""
        data = prompt.get("prompt_data") or {}
        options = data.get("options") or {}
        params = options.get("params") or {}
        block = data.get("prompt") or {}
        tools = block.get("tools")
        response_format = (params.get("response_format") or {}).get("type", "") if isinstance(params.get("response_format"), dict) else ""
        return {
            "name": prompt.get("name"),
            "slug": prompt.get("slug"),
            "description": prompt.get("description") or "",
            "model": options.get("model", ""),
            **{key: params.get(key) for key in NUMBER_PARAMS},
            "response_format": response_format,
            "tools": shown_tools(tools),
            "completion": message_text(block.get("content")) if block.get("type") == "completion" else "",
        }


def shown_tools(tools: Any) -> str:
    """A prompt's tools as a person reads them: indented JSON, or as they are when they are not JSON."""
    if not tools:
        return ""
    try:
        return json.dumps(json.loads(tools), indent=2, ensure_ascii=False)
    except (TypeError, ValueError):
        return str(tools)


def editor_can_edit(prompt_data: dict | None) -> bool:
    """Whether the editor shows everything of `prompt_data`'s prompt, so that saving it loses nothing: a
    completion, or chat messages of the editor's roles whose content is text and that carry nothing else
    (no tool calls, no images)."""
    block = (prompt_data or {}).get("prompt") or {}
    if block.get("type") == "completion":
        return isinstance(block.get("content"), str)
    messages = block.get("messages") or []
    return all(
        isinstance(m, dict) and set(m) <= {"role", "content"} and m.get("role") in EDITOR_ROLES and isinstance(m.get("content", ""), str)
        for m in messages
    )


def _same_tools(stored: Any, tools: list[dict]) -> bool:
    try:
        return isinstance(stored, str) and json.loads(stored) == tools
    except ValueError:
        return False


def editor_prompt_data(existing: dict | None, data: dict, messages: list[dict]) -> dict:
    """`existing` (a prompt definition) with what the editor shows replaced by the form's `data` and
    `messages`: the chat messages (or a completion prompt's content), the tools, the model, the
    temperature, max tokens, top p and response format. A field left empty is removed."""
    result = dict(existing or {})
    block: dict[str, Any]
    if "completion" in data:
        block = {"type": "completion", "content": data.get("completion") or ""}
    else:
        block = {"type": "chat", "messages": messages}
        if data.get("tools"):
            stored = ((existing or {}).get("prompt") or {}).get("tools")
            # tools as they were written, when they say the same: a save that changes nothing keeps no version
            block["tools"] = stored if _same_tools(stored, data["tools"]) else json.dumps(data["tools"], indent=2, ensure_ascii=False)
    result["prompt"] = block
    options = dict(result.get("options") or {})
    params = dict(options.get("params") or {})
    for key in NUMBER_PARAMS:
        if data.get(key) is not None:
            params[key] = data[key]
        else:
            params.pop(key, None)
    if data.get("response_format"):
        params["response_format"] = {"type": data["response_format"]}
    else:
        params.pop("response_format", None)
    _set_or_drop(options, "params", params)
    _set_or_drop(options, "model", (data.get("model") or "").strip())
    _set_or_drop(result, "options", options)
    return result


def _set_or_drop(target: dict, key: str, value: Any) -> None:
    if value:
        target[key] = value
    else:
        target.pop(key, None)


class RenameForm(forms.Form):
    name = forms.CharField(label="New name", max_length=255)

    def __init__(self, *args, singular: str = "object", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].label = f"New {singular} name"


class PlaygroundPromptForm(forms.Form):
    """A prompt to add to a playground, among those the person may read."""

    prompt = forms.ChoiceField(label="Prompt")

    def __init__(self, *args, choices: list[tuple[str, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["prompt"].choices = [("", "Choose a prompt"), *choices]


class PlaygroundDatasetForm(forms.Form):
    """The dataset a playground tries its prompts on, among those the person may read (or none)."""

    dataset = forms.ChoiceField(label="Dataset", required=False)

    def __init__(self, *args, choices: list[tuple[str, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dataset"].choices = [("", "No dataset"), *choices]
