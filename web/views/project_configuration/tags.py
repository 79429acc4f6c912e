"""The Tags section of a project's Configuration page: the tags rows and objects may carry, with their colors."""

from projects.models import ProjectTag
from projects.selectors import tags_of
from projects.services.configuration.tag_colors import is_tag_color
from web.confirm import Confirmation
from web.forms.configuration import TagForm
from web.views.project_configuration.base import ConfigurationBase, Editor


class TagsSection(ConfigurationBase):
    """The tags of the project, and their create and edit dialogs."""

    def tag_editor(self, tag: ProjectTag | None = None, data=None) -> Editor:
        if tag is None:
            return Editor("tag-new", "Create tag", self.url("project-tag-create"), TagForm(data, prefix="tag-new"), kind="tag")
        initial = {"name": tag.name, "color": tag.color, "description": tag.description}
        form = TagForm(data, initial=initial, prefix=f"tag-{tag.pk.hex}")
        return Editor(f"tag-{tag.pk.hex}", f"Edit tag {tag.name}", self.url("project-tag-update", tag_id=tag.pk), form, kind="tag")

    def tags_context(self, failed: Editor | None) -> dict:
        tags = tags_of(self.project)
        entries = self.entries(tags, self.tag_editor, failed)
        for entry in entries:
            entry["swatch"] = swatch(entry["item"].color)
            entry["delete"] = self.tag_delete_confirmation(entry["item"]) if entry["editor"] else None
        context = {"tags": entries}
        if self.config_flags.can_update:
            context["new_tag"] = self.editor_or_failed(self.tag_editor(), failed)
        return context

    def tag_delete_confirmation(self, tag: ProjectTag) -> Confirmation:
        what = f"The tag {tag.name}"
        details = [part for part in (tag.description, f"color {tag.color}" if tag.color else "") if part]
        return Confirmation(
            key=f"delete-tag-{tag.pk.hex}",
            title=f"Delete the tag {tag.name}?",
            action=self.url("project-tag-delete", tag_id=tag.pk),
            button="Delete tag",
            back_url=self.url(anchor="tags"),
            goes=[
                f"{what} of {self.project.name}{' (' + ', '.join(details) + ')' if details else ''}: it is no longer offered.",
                "Rows and objects already tagged keep the name.",
            ],
        )


def swatch(color: str) -> str:
    return color if color and is_tag_color(color) else ""
