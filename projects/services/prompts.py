"""Prompts and functions: creating, replacing, changing and deleting them, and the versions they keep.

Prompts and functions share one table (:class:`projects.models.Prompt`). A function made through
``/v1/function`` carries ``function_data``; a prompt is a function whose ``function_data`` is
``{"type": "prompt"}`` (or absent), so every prompt is also a function, as in Braintrust.

Every write that changes a prompt takes a new :class:`projects.models.Transaction` and keeps the
prompt's new state as a :class:`projects.models.PromptVersion` under that transaction's id (the
``_xact_id`` clients see). Transaction ids only grow, so the state of a prompt "at version V" is the
latest state it kept at or before V, and a prompt that kept none by then did not exist at V.

The shape checks (``validate_*``) are here rather than in the API so that pages, admin and commands
refuse the same definitions with the same messages.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils.text import slugify

from accounts.models import Organization
from permissions.audit import record_event
from permissions.engine.guards import require, require_create
from permissions.engine.nodes import Node
from permissions.exceptions import NotFound, ValidationError
from permissions.types import PARENT_TYPE
from projects.models import Project, Prompt, PromptVersion, Transaction
from projects.references import require_readable_reference as require_organization_reference
from projects.services.objects import locked_live, object_create, object_delete

# What a version keeps: every field a client can set or read, never the id, project or creation date.
VERSIONED_FIELDS = (
    "name",
    "slug",
    "description",
    "prompt_data",
    "function_data",
    "function_schema",
    "origin",
    "tags",
    "metadata",
    "function_type",
)

FUNCTION_TYPES = tuple(Prompt.FunctionType.values)

# Braintrust's FunctionTypeEnum: the kinds of its global functions, which a "global" function_data names.
GLOBAL_FUNCTION_TYPES = (
    "llm",
    "scorer",
    "task",
    "tool",
    "custom_view",
    "preprocessor",
    "facet",
    "classifier",
    "tag",
    "parameters",
    "sandbox",
)

FUNCTION_DATA_TYPES = ("prompt", "code", "graph", "remote_eval", "global", "facet", "batched_facet", "parameters", "topic_map")

CODE_RUNTIMES = ("node", "python", "browser", "quickjs")

MESSAGE_ROLES = ("system", "user", "assistant", "tool", "function", "developer", "model")

TEMPLATE_FORMATS = ("mustache", "nunjucks", "none")

PROMPT_DATA_KEYS = ("prompt", "options", "parser", "tool_functions", "template_format", "mcp", "origin")


# Shapes


def _fail(path: str, what: str) -> None:
    raise ValidationError(f"{path} must be {what}.")


def _object(value: Any, path: str, *, keys: Iterable[str] | None = None) -> dict:
    if not isinstance(value, dict):
        _fail(path, "a JSON object")
    if keys is not None:
        unknown = sorted(set(value) - set(keys))
        if unknown:
            raise ValidationError(f"{path} has unknown fields: {', '.join(unknown)}.")
    return value


def _optional_object(value: Any, path: str) -> None:
    if value is not None:
        _object(value, path)


def _string(value: Any, path: str) -> None:
    if not isinstance(value, str):
        _fail(path, "a string")


def _one_of(value: Any, choices: Iterable[str], path: str) -> None:
    choices = tuple(choices)
    if value not in choices:
        _fail(path, f"one of {', '.join(choices)}, not {value!r}")


def _required(value: dict, path: str, *keys: str) -> None:
    missing = [key for key in keys if key not in value]
    if missing:
        raise ValidationError(f"{path} needs {', '.join(missing)}.")


def _list(value: Any, path: str) -> list:
    if not isinstance(value, list):
        _fail(path, "a list")
    return value


def _prompt_block(block: dict, path: str) -> None:
    _required(block, path, "type")
    _one_of(block["type"], ("chat", "completion"), f"{path}.type")
    if block["type"] == "chat":
        _required(block, path, "messages")
        for index, message in enumerate(_list(block["messages"], f"{path}.messages")):
            _object(message, f"{path}.messages[{index}]")
            _required(message, f"{path}.messages[{index}]", "role")
            _one_of(message["role"], MESSAGE_ROLES, f"{path}.messages[{index}].role")
        if block.get("tools") is not None:
            _string(block["tools"], f"{path}.tools")
    else:
        _required(block, path, "content")
        _string(block["content"], f"{path}.content")


def _tool_function(tool: Any, path: str) -> None:
    _object(tool, path)
    _required(tool, path, "type")
    _one_of(tool["type"], ("function", "global"), f"{path}.type")
    key = "id" if tool["type"] == "function" else "name"
    _required(tool, path, key)
    _string(tool[key], f"{path}.{key}")


def validate_prompt_data(value: Any) -> dict | None:
    """`value` if it is a prompt definition of Braintrust's ``PromptData`` shape (or null)."""
    if value is None:
        return None
    _object(value, "prompt_data", keys=PROMPT_DATA_KEYS)
    if value.get("prompt") is not None:
        _prompt_block(_object(value["prompt"], "prompt_data.prompt"), "prompt_data.prompt")
    if value.get("options") is not None:
        options = _object(value["options"], "prompt_data.options")
        for name in ("model", "position"):  # strings when present (the schema's answer allows no null)
            if name in options:
                _string(options[name], f"prompt_data.options.{name}")
        _optional_object(options.get("params"), "prompt_data.options.params")
    if value.get("parser") is not None:
        parser = _object(value["parser"], "prompt_data.parser")
        _required(parser, "prompt_data.parser", "type", "use_cot")
        _one_of(parser["type"], ("llm_classifier",), "prompt_data.parser.type")
        if not isinstance(parser["use_cot"], bool):
            _fail("prompt_data.parser.use_cot", "true or false")
        scores = parser.get("choice_scores")
        if scores is not None:
            for choice, score in _object(scores, "prompt_data.parser.choice_scores").items():
                if isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 1:
                    _fail(f"prompt_data.parser.choice_scores.{choice}", "a number from 0 to 1")
    if value.get("tool_functions") is not None:
        for index, tool in enumerate(_list(value["tool_functions"], "prompt_data.tool_functions")):
            _tool_function(tool, f"prompt_data.tool_functions[{index}]")
    if value.get("template_format") is not None:
        _one_of(value["template_format"], TEMPLATE_FORMATS, "prompt_data.template_format")
    _optional_object(value.get("mcp"), "prompt_data.mcp")
    _optional_object(value.get("origin"), "prompt_data.origin")
    return value


def _runtime_context(value: Any, path: str) -> None:
    _object(value, path)
    _required(value, path, "runtime", "version")
    _one_of(value["runtime"], CODE_RUNTIMES, f"{path}.runtime")
    _string(value["version"], f"{path}.version")


def _code_data(data: Any) -> None:
    path = "function_data.data"
    _object(data, path)
    _required(data, path, "type")
    _one_of(data["type"], ("bundle", "inline"), f"{path}.type")
    _required(data, path, "runtime_context")
    _runtime_context(data["runtime_context"], f"{path}.runtime_context")
    if data["type"] == "inline":
        _required(data, path, "code")
        _string(data["code"], f"{path}.code")
    else:
        _required(data, path, "location")
        _object(data["location"], f"{path}.location")


# What each kind of function_data needs beyond its type: field -> check.
_FUNCTION_DATA_FIELDS: dict[str, dict[str, Any]] = {
    "prompt": {},
    "code": {"data": _code_data},
    "graph": {"nodes": lambda v: _object(v, "function_data.nodes"), "edges": lambda v: _object(v, "function_data.edges")},
    "remote_eval": {
        "endpoint": lambda v: _string(v, "function_data.endpoint"),
        "eval_name": lambda v: _string(v, "function_data.eval_name"),
        "parameters": lambda v: _object(v, "function_data.parameters"),
    },
    "global": {"name": lambda v: _string(v, "function_data.name")},
    "facet": {"prompt": lambda v: _string(v, "function_data.prompt")},
    "batched_facet": {"facets": lambda v: _list(v, "function_data.facets")},
    "parameters": {"data": lambda v: _object(v, "function_data.data"), "__schema": lambda v: _object(v, "function_data.__schema")},
    "topic_map": {
        "source_facet": lambda v: _string(v, "function_data.source_facet"),
        "embedding_model": lambda v: _string(v, "function_data.embedding_model"),
    },
}


def validate_function_data(value: Any) -> dict:
    """`value` if it is one of Braintrust's ``FunctionData`` shapes: its ``type`` and what that type needs."""
    _object(value, "function_data")
    _required(value, "function_data", "type")
    _one_of(value["type"], FUNCTION_DATA_TYPES, "function_data.type")
    needs = _FUNCTION_DATA_FIELDS[value["type"]]
    _required(value, "function_data", *needs)
    for field, check in needs.items():
        check(value[field])
    if value["type"] == "global":
        if value.get("function_type") is not None:
            _one_of(value["function_type"], GLOBAL_FUNCTION_TYPES, "function_data.function_type")
        _optional_object(value.get("config"), "function_data.config")
    return value


def validate_function_schema(value: Any) -> dict | None:
    """`value` if it is null or ``{"parameters": ..., "returns": ...}`` (JSON schemas, either optional)."""
    if value is not None:
        _object(value, "function_schema", keys=("parameters", "returns"))
    return value


def validate_origin(value: Any) -> dict | None:
    """`value` if it is null or names an object by ``object_type`` and ``object_id`` (and ``internal``)."""
    if value is None:
        return None
    _object(value, "origin", keys=("object_type", "object_id", "internal"))
    _required(value, "origin", "object_type", "object_id")
    _one_of(value["object_type"], PARENT_TYPE, "origin.object_type")
    try:
        UUID(value["object_id"] if isinstance(value["object_id"], str) else "")
    except ValueError:
        _fail("origin.object_id", "a UUID")
    if value.get("internal") is not None and not isinstance(value["internal"], bool):
        _fail("origin.internal", "true, false or null")
    return value


def clean_slug(slug: str) -> str:
    """`slug`, if it is a slug already: lowercase letters, digits, hyphens and underscores."""
    slug = (slug or "").strip()
    if not slug:
        raise ValidationError("A prompt needs a slug.")
    if len(slug) > 255:
        raise ValidationError("A prompt slug is at most 255 characters.")
    if slugify(slug) != slug:
        raise ValidationError(
            f"slug must be lowercase letters, digits, hyphens and underscores (such as {slugify(slug) or 'my-prompt'!r})."
        )
    return slug


def validate_function_type(value: str | None) -> str | None:
    if value is not None:
        _one_of(value, FUNCTION_TYPES, "function_type")
    return value


def validate_tags(value: Any) -> list[str] | None:
    if value is not None and (not isinstance(value, list) or not all(isinstance(tag, str) for tag in value)):
        _fail("tags", "a list of strings")
    return value


# References


def require_readable_reference(*, actor, org: Organization, node: Node) -> None:
    """The actor may refer to `node` from an object of `org`: :func:`projects.references.require_readable_reference`."""
    require_organization_reference(actor=actor, org_id=org.pk, node=node)


def _check_origin(*, actor, org: Organization, origin: dict | None) -> None:
    if origin is not None:
        require_readable_reference(actor=actor, org=org, node=Node(origin["object_type"], origin["object_id"]))


# Versions


def prompt_state(prompt: Prompt) -> dict:
    """The fields a version keeps, as they are on `prompt` now."""
    return {field: getattr(prompt, field) for field in VERSIONED_FIELDS}


def _keep_version(*, actor, prompt: Prompt) -> None:
    xact = Transaction.objects.create()
    prompt.xact_id = xact.pk
    prompt.save(update_fields=["xact_id"])
    PromptVersion.objects.create(prompt=prompt, xact_id=xact.pk, snapshot=prompt_state(prompt), created_by=actor)


_MAX_XACT_ID = 2**63 - 1  # transaction ids are 64-bit


def parse_version(raw: str) -> int:
    """A ``version`` parameter: a transaction id (Braintrust's hexadecimal version identifiers are not served)."""
    if not (raw.isascii() and raw.isdigit()) or int(raw) > _MAX_XACT_ID:
        raise ValidationError(f"version must be a transaction id (a whole number), not {raw!r}.")
    return int(raw)


def prompt_version_snapshot(*, prompt: Prompt, version: int) -> PromptVersion | None:
    """The state `prompt` had at `version`: its latest version kept at or before it, or None if the prompt
    did not exist then or no transaction has that id."""
    if not Transaction.objects.filter(pk=version).exists():
        return None
    return PromptVersion.objects.filter(prompt=prompt, xact_id__lte=version).order_by("-xact_id").first()


def prompts_at_version(prompts: QuerySet, version: int, *, slug: str | None = None, name: str | None = None) -> QuerySet:
    """`prompts` that existed at `version`, each annotated with ``version_xact_id`` (the version it had then);
    `slug` and `name` match the state at that version. An unknown transaction id matches nothing."""
    if not Transaction.objects.filter(pk=version).exists():
        return prompts.none()
    latest = PromptVersion.objects.filter(prompt=OuterRef("pk"), xact_id__lte=version).order_by("-xact_id").values("xact_id")[:1]
    prompts = prompts.annotate(version_xact_id=Subquery(latest)).filter(version_xact_id__isnull=False)
    matches = {f"snapshot__{field}": value for field, value in (("slug", slug), ("name", name)) if value}
    if matches:
        state = PromptVersion.objects.filter(prompt=OuterRef("pk"), xact_id=OuterRef("version_xact_id"), **matches)
        prompts = prompts.filter(Exists(state))
    return prompts


def versions_of(prompts: list[Prompt]) -> dict[tuple[UUID, int], PromptVersion]:
    """The versions that `prompts` (annotated by :func:`prompts_at_version`) had, in one query."""
    if not prompts:
        return {}
    versions = PromptVersion.objects.filter(prompt_id__in=[p.pk for p in prompts], xact_id__in={p.version_xact_id for p in prompts}).only(
        "prompt_id", "xact_id", "snapshot"
    )
    return {(v.prompt_id, v.xact_id): v for v in versions}


# Writes


@dataclass(frozen=True)
class FunctionFields:
    """What a function has beyond a prompt's fields."""

    function_data: dict | None = None
    function_schema: dict | None = None
    origin: dict | None = None


def _clean_function_fields(function: FunctionFields) -> FunctionFields:
    return FunctionFields(
        function_data=validate_function_data(function.function_data),
        function_schema=validate_function_schema(function.function_schema),
        origin=validate_origin(function.origin),
    )


@transaction.atomic
def prompt_create(
    *,
    actor,
    project: Project,
    name: str,
    slug: str,
    description: str | None = None,
    prompt_data: dict | None = None,
    tags: list[str] | None = None,
    function_type: str | None = None,
    function: FunctionFields | None = None,
) -> Prompt:
    """Create a prompt in `project` (create on a new prompt under it), or a function when `function` is
    given; its first version is kept at once."""
    require_create(actor, "prompt", project)
    extra = {}
    if function is not None:
        function = _clean_function_fields(function)
        _check_origin(actor=actor, org=project.org, origin=function.origin)
        extra = {"is_function": True, **vars(function)}
    prompt = object_create(
        actor=actor,
        project=project,
        object_type="prompt",
        name=name,
        description=description or "",
        slug=clean_slug(slug),
        prompt_data=validate_prompt_data(prompt_data),
        tags=validate_tags(tags),
        function_type=validate_function_type(function_type),
        **extra,
    )
    _keep_version(actor=actor, prompt=prompt)
    return prompt


def _locked(prompt: Prompt) -> Prompt:
    locked = locked_live(Prompt, prompt.pk)
    if locked is None:
        raise NotFound("prompt", prompt.pk)
    return locked


def _change(*, actor, prompt: Prompt, changes: dict[str, Any], action: str = "prompt.update", note: dict | None = None) -> Prompt:
    """Apply `changes` (already valid) to the locked `prompt`; keep a version and audit `action` (with `note`
    in its after state) if anything changed."""
    before = prompt_state(prompt)
    if "name" in changes:
        changes["name"] = (changes["name"] or "").strip()
        if not changes["name"] or len(changes["name"]) > 255:
            raise ValidationError("A prompt needs a name of 1 to 255 characters.")
    if "slug" in changes:
        changes["slug"] = clean_slug(changes["slug"])
        taken = Prompt.objects.alive().filter(project_id=prompt.project_id, slug=changes["slug"]).exclude(pk=prompt.pk)
        if taken.exists():
            raise ValidationError(f"A prompt with slug {changes['slug']!r} already exists in this project.")
    for field, value in changes.items():
        setattr(prompt, field, value)
    after = prompt_state(prompt)
    if after == before:
        return prompt
    try:
        with transaction.atomic():
            prompt.save(update_fields=list(changes))
    except IntegrityError as exc:
        raise ValidationError(f"A prompt with slug {prompt.slug!r} already exists in this project.") from exc
    _keep_version(actor=actor, prompt=prompt)
    changed = [field for field in VERSIONED_FIELDS if before[field] != after[field]]
    record_event(
        actor=actor,
        org=prompt.project.org,
        action=action,
        target=prompt,
        before={field: before[field] for field in changed},
        after={**{field: after[field] for field in changed}, "_xact_id": str(prompt.xact_id), **(note or {})},
    )
    return prompt


@transaction.atomic
def prompt_replace(
    *,
    actor,
    prompt: Prompt,
    name: str,
    description: str | None = None,
    prompt_data: dict | None = None,
    tags: list[str] | None = None,
    function_type: str | None = None,
    function: FunctionFields | None = None,
) -> Prompt:
    """Replace every field of `prompt` a create sets (PUT), keeping its slug; a function's own fields are
    replaced too when `function` is given and kept otherwise. Needs update on the prompt."""
    require(actor, "update", prompt)
    prompt = _locked(prompt)
    changes: dict[str, Any] = {
        "name": name,
        "description": description or "",
        "prompt_data": validate_prompt_data(prompt_data),
        "tags": validate_tags(tags),
        "function_type": validate_function_type(function_type),
    }
    if function is not None:
        function = _clean_function_fields(function)
        if function.origin != prompt.origin:
            _check_origin(actor=actor, org=prompt.project.org, origin=function.origin)
        changes.update(vars(function))
    return _change(actor=actor, prompt=prompt, changes=changes)


@transaction.atomic
def prompt_update(
    *,
    actor,
    prompt: Prompt,
    name: str | None = None,
    slug: str | None = None,
    description: str | None = None,
    prompt_data: dict | None = None,
    tags: list[str] | None = None,
    function_type: str | None = None,
    function_data: dict | None = None,
) -> Prompt:
    """Change the fields given (None leaves a field as it is), keeping a new version. Needs update."""
    require(actor, "update", prompt)
    prompt = _locked(prompt)
    given = {
        "name": name,
        "slug": slug,
        "description": description,
        "prompt_data": validate_prompt_data(prompt_data),
        "tags": validate_tags(tags),
        "function_type": validate_function_type(function_type),
        "function_data": None if function_data is None else validate_function_data(function_data),
    }
    return _change(actor=actor, prompt=prompt, changes={field: value for field, value in given.items() if value is not None})


@transaction.atomic
def prompt_restore(*, actor, prompt: Prompt, version: int) -> Prompt:
    """Keep a new version of `prompt` equal to the one it kept at `version` (its ``_xact_id``): every versioned
    field as it was then. Needs update on the prompt; an origin that differs from the current one is a
    reference again, checked as on a change. Restoring the state the prompt has already keeps nothing."""
    require(actor, "update", prompt)
    prompt = _locked(prompt)
    kept = PromptVersion.objects.filter(prompt=prompt, xact_id=version).first()
    if kept is None:
        raise ValidationError(f"The prompt has no version {version}.")
    state = {field: kept.snapshot.get(field) for field in VERSIONED_FIELDS}
    state["description"] = state["description"] or ""
    if state["origin"] is not None and state["origin"] != prompt.origin:
        _check_origin(actor=actor, org=prompt.project.org, origin=state["origin"])
    changes = {field: value for field, value in state.items() if value != getattr(prompt, field)}
    return _change(actor=actor, prompt=prompt, changes=changes, action="prompt.restore", note={"restored_from": str(version)})


def prompt_delete(*, actor, prompt: Prompt) -> Prompt:
    """Soft delete: the prompt leaves lists and its slug is free again; its versions and grants stay stored."""
    return object_delete(actor=actor, obj=prompt)
