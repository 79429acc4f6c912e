"""What every page shares on a small screen and on a first visit: the top bar's account menu, the login
page's product name, the favicon on every base template (the pages, the login page, the admin), the slider
of a human review score, empty lists as an empty state, and `make run` telling seed_demo where it serves."""

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.test import Client
from django.urls import reverse

from projects.events.targets import EventTarget
from projects.events.writes import insert_events
from projects.models import EventFeedback, ProjectScore
from tests.factories import ExperimentFactory, ProjectFactory, owner_of
from tests.factories_configuration import ProjectScoreFactory
from tests.worlds import client_for
from web.forms.objects import RowReviewForm

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
FAVICON = static("web/favicon.svg")


def favicon_link(html: str) -> bool:
    return f'<link rel="icon" href="{FAVICON}" type="image/svg+xml">' in html


@pytest.fixture
def experiment(org):
    project = ProjectFactory(org=org, name="support-bot")
    experiment = ExperimentFactory(project=project, name="baseline")
    insert_events(actor=owner_of(org), target=EventTarget.of(experiment), events=[{"id": "r1", "input": "x"}])
    return experiment


def experiment_url(experiment) -> str:
    kwargs = {
        "org_name": experiment.project.org.name,
        "project_id": experiment.project_id,
        "kind": "experiments",
        "object_id": experiment.pk,
    }
    return reverse("web:project-object", kwargs=kwargs)


# The favicon and the product name


def test_the_favicon_is_an_svg_file_among_the_static_files():
    path = finders.find("web/favicon.svg")
    assert path, "static/web/favicon.svg is missing"
    svg = Path(path).read_text()
    assert svg.startswith("<svg ") and 'xmlns="http://www.w3.org/2000/svg"' in svg and svg.rstrip().endswith("</svg>")


def test_the_login_page_names_the_product_and_links_the_favicon():
    html = Client().get("/login/").content.decode()
    assert favicon_link(html)
    assert "<span>Braintrust access</span>" in html
    assert "<title>Log in · Braintrust access</title>" in html


def test_the_organization_pages_link_the_favicon(org, people):
    assert favicon_link(client_for(people["owner"]).get(reverse("web:projects", kwargs={"org_name": org.name})).content.decode())


def test_the_admin_links_the_favicon(org, people):
    owner = people["owner"]
    owner.is_staff = True
    owner.save(update_fields=["is_staff"])
    assert favicon_link(client_for(owner).get("/admin/").content.decode())
    assert favicon_link(Client().get("/admin/login/").content.decode())


# The top bar


def test_the_top_bar_folds_the_account_into_one_disclosure(org, people):
    html = client_for(people["owner"]).get(reverse("web:projects", kwargs={"org_name": org.name})).content.decode()
    header = html.split('<header class="topbar">')[1].split("</header>")[0]
    menu = header.split('<details class="account-menu">')[1].split("</details>")[0]
    assert menu.lstrip().startswith("<summary>")
    assert people["owner"].email in menu and ">Log out</button>" in menu


# The slider score


@pytest.fixture
def slider(experiment):
    return ProjectScoreFactory(project=experiment.project, name="helpfulness", score_type=ProjectScore.ScoreType.SLIDER)


def test_a_slider_score_is_a_range_with_its_value_shown_and_a_no_score_box(org, people, experiment, slider):
    html = client_for(people["owner"]).get(experiment_url(experiment)).content.decode()
    name = RowReviewForm.field_name(slider)
    field = re.search(rf'<input type="range" name="{name}"[^>]*>', html)
    assert field, "the slider score is not a range input"
    assert all(attribute in field.group(0) for attribute in ('min="0"', 'max="1"', 'step="0.01"', 'value="0.5"'))
    field_id = f"id_r1_{name}"  # the review form of row r1
    assert f'<label for="{field_id}">helpfulness</label>' in html  # the same field name and label as before
    assert f'<output id="{field_id}-value" for="{field_id}">—</output>' in html
    assert f'name="{name}-none" value="1" checked' in html


@pytest.mark.parametrize(("data", "scores"), [({"": "0.4"}, {"helpfulness": 0.4}), ({"": "0.4", "-none": "1"}, None)])
def test_a_review_records_the_slider_unless_no_score_is_ticked(org, people, experiment, slider, data, scores):
    name = RowReviewForm.field_name(slider)
    post = {"row_id": "r1", "comment": "Looked at it", **{name + suffix: value for suffix, value in data.items()}}
    response = client_for(people["owner"]).post(experiment_url(experiment), post)
    assert response.status_code == 302
    assert EventFeedback.objects.get(row_id="r1").scores == scores


def test_a_slider_shows_the_value_posted_when_the_form_comes_back_with_an_error(slider):
    name = RowReviewForm.field_name(slider)
    form = RowReviewForm({"row_id": "r1", name: "1.5"}, scores=[slider])
    assert not form.is_valid()
    html = str(form[name])
    assert ">150%</output>" in html and 'value="1" checked' not in html


# Empty states


def test_an_empty_list_is_an_empty_state_not_bare_text(org, people):
    html = client_for(people["owner"]).get(reverse("web:projects", kwargs={"org_name": org.name})).content.decode()
    assert '<div class="empty-state"><p>No projects you can see yet.</p></div>' in html


def test_a_review_without_scores_says_where_scores_are_set_up(org, people, experiment):
    html = client_for(people["owner"]).get(experiment_url(experiment)).content.decode()
    dialog = html.split('id="review-1"')[1].split("</dialog>")[0]
    assert 'class="empty-state"' in dialog
    configuration = reverse("web:project-configuration", kwargs={"org_name": org.name, "project_id": experiment.project_id})
    assert f'href="{configuration}#human-review"' in dialog


# First start


def test_make_run_tells_seed_demo_its_host_and_port():
    makefile = (ROOT / "Makefile").read_text()
    run_target = makefile.split("\nrun:")[1].split("\n\n")[0]
    assert "manage.py seed_demo --host $(HOST) --port $(PORT)" in run_target


def test_the_readme_says_how_to_reset_the_demo_passwords():
    quick_start = (ROOT / "README.md").read_text().split("## Quick start")[1].split("\n## ")[0]
    assert "seed_demo --reset-passwords" in quick_start
