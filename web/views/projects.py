"""Projects: the list of the projects a person may read or read something in, and "Create project" when they
may create one."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

from projects.selectors import projects_seen_by
from projects.services.objects import project_create
from web.context import OrgPage
from web.forms.projects import ProjectForm
from web.views.outcomes import save_form


class ProjectsPage(OrgPage):
    template_name = "web/projects.html"
    section = "projects"

    def get_context_data(self, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(projects=list(self.visible_projects().select_related("created_by").order_by("name")), form=form or ProjectForm())
        return context

    def visible_projects(self):
        return projects_seen_by(self.request.user, self.org)

    def post(self, request, *args, **kwargs):
        form = ProjectForm(request.POST)
        project = save_form(
            form,
            lambda data: project_create(actor=request.user, org=self.org, name=data["name"], description=data["description"]),
            error_field="name",
        )
        if project is None:
            return self.render_to_response(self.get_context_data(form=form), status=400)
        messages.success(request, f"Created the project {project.name}.")
        return redirect(reverse("web:projects", kwargs={"org_name": self.org.name}))
