"""The pages' routes: sign-in, and everything inside an organization under ``/app/<org_name>/``."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from web.forms.sign_in import ThrottledAuthenticationForm
from web.views import (
    ai_providers,
    audit,
    check_access,
    credentials,
    dataset_snapshots,
    environments,
    groups,
    home,
    invitations,
    members,
    object_actions,
    organization,
    project_configuration,
    project_pages,
    projects,
    prompt_environments,
    prompt_pages,
    sdk_links,
    who_could,
)

app_name = "web"

org_patterns = [
    path("", projects.ProjectsPage.as_view(), name="projects"),
    path("settings/members/", members.MembersPage.as_view(), name="members"),
    path("settings/members/invite/", members.InviteMembers.as_view(), name="members-invite"),
    path("settings/members/<uuid:user_id>/groups/", members.ChangeMemberGroups.as_view(), name="member-groups"),
    path("settings/members/<uuid:user_id>/remove/", members.RemoveMember.as_view(), name="member-remove"),
    path("settings/members/invitations/<uuid:invitation_id>/revoke/", members.RevokeInvitation.as_view(), name="invitation-revoke"),
    path("settings/members/invitations/<uuid:invitation_id>/resend/", members.ResendInvitation.as_view(), name="invitation-resend"),
    *groups.urlpatterns,
    *credentials.urlpatterns,
    *organization.urlpatterns,
    *environments.urlpatterns,
    *ai_providers.urlpatterns,
    *audit.urlpatterns,
    *prompt_environments.urlpatterns,
    *prompt_pages.urlpatterns,  # before the project pages: a prompt's and a playground's own pages answer for them
    *project_pages.urlpatterns,
    *object_actions.urlpatterns,
    *dataset_snapshots.urlpatterns,
    *project_configuration.urlpatterns,
    *check_access.urlpatterns,
    *who_could.urlpatterns,
    *sdk_links.urlpatterns,  # after the project pages: their p/<uuid:project_id>/... routes win
]

urlpatterns = [
    path("", home.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=ThrottledAuthenticationForm),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password-reset/", auth_views.PasswordResetView.as_view(success_url="/password-reset/sent/"), name="password_reset"),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(success_url="/password-reset/done/"),
        name="password_reset_confirm",
    ),
    path("password-reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    *invitations.urlpatterns,
    path("app/<str:org_name>/", include(org_patterns)),
]
