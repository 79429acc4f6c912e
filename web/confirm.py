"""The question every delete, remove and revoke of the pages asks before it is done.

A :class:`Confirmation` says what goes and what it takes with it, in words the view computes (counts and
names come from the page's own queries, never from the template). ``templates/web/confirm_dialog.html``
shows it as a ``<dialog>`` opened from the row (``confirm_opener.html``), and the same template shows it
as a page of its own: the opener is a link to the delete address, whose GET is that page, so that the
question is asked without JavaScript too. What cannot be undone lightly (a group) asks for its name to be
typed: the button waits for it in the browser, and :class:`ConfirmNameForm` checks it again on the server.
"""

from dataclasses import dataclass, field

from django import forms


class ConfirmNameForm(forms.Form):
    """The name typed to confirm: it must be exactly `name` (spaces around it aside)."""

    confirm_name = forms.CharField(required=False, max_length=1000)

    def __init__(self, data=None, *, name: str, **kwargs):
        super().__init__(data, **kwargs)
        self.name = name
        field = self.fields["confirm_name"]
        field.label = f"Type {name} to confirm"
        field.widget.attrs.update(autocomplete="off", spellcheck="false", **{"data-confirm-name": name})

    def clean_confirm_name(self) -> str:
        typed = self.cleaned_data["confirm_name"].strip()
        if typed != self.name:
            raise forms.ValidationError(f"Type the name {self.name} exactly as it is written to confirm. Nothing was deleted.")
        return typed


@dataclass
class Confirmation:
    """One delete, remove or revoke, asked: the question, what goes (a list), the danger button, where
    it posts, and where Cancel goes on its own page."""

    key: str  # the dialog's id, unique on the page
    title: str  # the question: "Delete the group Reviewers?"
    action: str  # where the confirmed POST goes; its GET shows this confirmation as a page
    button: str  # the danger button: "Delete group"
    back_url: str  # where Cancel goes from the page
    goes: list[str] = field(default_factory=list)  # what goes, and what it takes with it
    typed_name: str = ""  # a name to type before the button works
    hidden: list[tuple[str, str]] = field(default_factory=list)  # fields the POST carries as they are
    name_form: ConfirmNameForm | None = None

    def __post_init__(self) -> None:
        if self.typed_name and self.name_form is None:
            self.name_form = ConfirmNameForm(name=self.typed_name, auto_id=f"{self.key}-%s")

    def check(self, data) -> bool:
        """Whether the POSTed `data` confirms it (the typed name, when one is asked); if not, the form
        keeps its error for the page that shows the confirmation again."""
        if not self.typed_name:
            return True
        self.name_form = ConfirmNameForm(data, name=self.typed_name, auto_id=f"{self.key}-%s")
        return self.name_form.is_valid()


def counted(count: int, singular: str, plural: str = "") -> str:
    """ "1 member", "3 members"."""
    return f"{count} {singular if count == 1 else (plural or singular + 's')}"


def named(names: list[str], *, limit: int = 5) -> str:
    """ "a, b and c"; past `limit` names, "a, b, c, d, e and 3 more"."""
    shown = names[:limit]
    rest = len(names) - len(shown)
    if rest:
        return f"{', '.join(shown)} and {rest} more"
    if len(shown) < 2:
        return "".join(shown)
    return f"{', '.join(shown[:-1])} and {shown[-1]}"
