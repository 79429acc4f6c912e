"""Help texts and errors are read with their field: templates/web/field.html gives them Django's own ids
("<id>_helptext", "<id>_error"), which Django names in the widget's aria-describedby (and marks the widget
aria-invalid="true" when it has errors); a group of boxes names them on its fieldset. The errors of a whole
form (templates/web/form_errors.html) carry an id too."""

from html.parser import HTMLParser

import pytest
from django import forms
from django.template.loader import render_to_string
from django.urls import reverse

from tests.factories import OrganizationFactory, owner_of
from tests.worlds import client_for

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Element:
    def __init__(self, tag: str, attrs: dict[str, str]) -> None:
        self.tag, self.attrs, self.parts = tag, attrs, []

    @property
    def text(self) -> str:
        return " ".join("".join(self.parts).split())


class Elements(HTMLParser):
    """Every element of a page, with its attributes and the text it holds."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.all: list[Element] = []
        self.open: list[Element] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {name: value or "" for name, value in attrs})
        self.all.append(element)
        if tag not in VOID:
            self.open.append(element)

    def handle_endtag(self, tag):
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index].tag == tag:
                del self.open[index:]
                break

    def handle_data(self, data):
        for element in self.open:
            element.parts.append(data)

    def by_id(self, element_id: str) -> Element:
        found = [element for element in self.all if element.attrs.get("id") == element_id]
        assert len(found) == 1, f"{len(found)} elements with the id {element_id!r}"
        return found[0]

    def named(self, name: str) -> Element:
        found = [element for element in self.all if element.attrs.get("name") == name and element.tag in {"input", "select", "textarea"}]
        assert found, f"no field named {name!r}"
        return found[0]

    def descriptions(self, element: Element) -> list[str]:
        """The texts `element`'s aria-describedby points at, each id resolving to exactly one element."""
        return [self.by_id(element_id).text for element_id in element.attrs.get("aria-describedby", "").split()]

    def dangling_references(self) -> list[str]:
        ids = {element.attrs["id"] for element in self.all if "id" in element.attrs}
        return [
            f"<{element.tag}> {attribute}={reference!r}"
            for element in self.all
            for attribute in ("aria-describedby", "aria-labelledby", "aria-controls")
            for reference in element.attrs.get(attribute, "").split()
            if reference not in ids
        ]


class TokenForm(forms.Form):
    name = forms.CharField(label="Name")
    expires_on = forms.DateField(label="Expires after", required=False, help_text="The last day it works.")
    groups = forms.MultipleChoiceField(
        label="Groups", required=False, widget=forms.CheckboxSelectMultiple, choices=[("a", "Admins")], help_text="Whom it acts as."
    )

    def clean(self):
        raise forms.ValidationError("Tokens are turned off.")


def rendered(form: forms.Form) -> Elements:
    html = render_to_string("web/form_errors.html", {"form": form})
    html += "".join(render_to_string("web/field.html", {"field": field}) for field in form)
    return Elements(html)


def test_a_help_text_is_named_by_its_fields_aria_describedby():
    page = rendered(TokenForm())
    field = page.named("expires_on")
    assert field.attrs["aria-describedby"] == "id_expires_on_helptext"
    assert page.descriptions(field) == ["The last day it works."]
    assert "aria-invalid" not in field.attrs
    assert "aria-describedby" not in page.named("name").attrs  # nothing to describe it


def test_an_error_is_named_by_its_invalid_field_after_the_help_text():
    page = rendered(TokenForm({"name": "", "expires_on": "someday"}))
    expires_on, name = page.named("expires_on"), page.named("name")
    assert expires_on.attrs["aria-invalid"] == "true"
    assert expires_on.attrs["aria-describedby"] == "id_expires_on_helptext id_expires_on_error"
    assert page.descriptions(expires_on) == ["The last day it works.", "Enter a valid date."]
    assert name.attrs["aria-invalid"] == "true"
    assert page.descriptions(name) == ["This field is required."]
    assert page.by_id("id_name_error").attrs["role"] == "alert"


def test_a_group_of_boxes_names_its_help_text_on_its_fieldset():
    page = rendered(TokenForm())
    fieldset = next(element for element in page.all if element.tag == "fieldset")
    assert page.descriptions(fieldset) == ["Whom it acts as."]
    legend = next(element for element in page.all if element.tag == "legend")
    assert legend.text == "Groups"
    assert not any(element.tag == "label" and element.attrs.get("for") == "" for element in page.all)


def test_the_errors_of_the_whole_form_carry_an_id():
    page = rendered(TokenForm({"name": "ci"}))
    assert page.by_id("non-field-errors").text == "Tokens are turned off."
    prefixed = rendered(TokenForm({"name": "ci"}, prefix="token"))
    assert prefixed.by_id("token-non-field-errors").text == "Tokens are turned off."


@pytest.mark.django_db
def test_the_organization_page_reads_the_api_urls_help_and_error_with_the_field():
    org = OrganizationFactory(name="Acme")
    client = client_for(owner_of(org))
    url = reverse("web:organization", kwargs={"org_name": org.name})

    page = Elements(client.get(url).content.decode())
    assert page.descriptions(page.named("api_url")) == ["Where SDKs send requests for this organization."]

    response = client.post(url, {"name": "Acme", "api_url": "not a url", "proxy_url": "", "realtime_url": ""})
    page = Elements(response.content.decode())
    api_url = page.named("api_url")
    assert api_url.attrs["aria-invalid"] == "true"
    assert page.descriptions(api_url) == ["Where SDKs send requests for this organization.", "Enter a valid URL."]
    assert "aria-invalid" not in page.named("proxy_url").attrs


@pytest.mark.django_db
def test_no_aria_reference_on_the_organization_page_points_nowhere():
    org = OrganizationFactory(name="Acme")
    response = client_for(owner_of(org)).get(reverse("web:organization", kwargs={"org_name": org.name}))
    assert Elements(response.content.decode()).dangling_references() == []


@pytest.mark.django_db
def test_the_api_key_dialog_shown_again_names_its_error_on_the_field():
    org = OrganizationFactory(name="Acme")
    client = client_for(owner_of(org))
    response = client.post(reverse("web:api-keys", kwargs={"org_name": org.name}), {"name": "ci", "expires_on": "2001-01-01"})
    page = Elements(response.content.decode())
    expires_on = page.named("expires_on")
    assert expires_on.attrs["aria-invalid"] == "true"
    assert page.descriptions(expires_on)[-1] == "Choose today or a later day."
    assert page.dangling_references() == []
