"""The routes of Braintrust's SDK outside /v1, at the paths the SDK calls."""

from django.urls import path

from api.sdk import base_experiment, comparison, login, logs3, overflow, register, version

urlpatterns = [
    path("api/apikey/login", login.ApiKeyLoginView.as_view(), name="sdk-login"),
    path("api/base_experiment/get_id", base_experiment.BaseExperimentView.as_view(), name="sdk-base-experiment"),
    path("version", version.VersionView.as_view(), name="sdk-version"),
    path("ping", version.PingView.as_view(), name="sdk-ping"),
    path("logs3", logs3.Logs3View.as_view(), name="sdk-logs3"),
    path("experiment-comparison2", comparison.ExperimentComparisonView.as_view(), name="sdk-experiment-comparison"),
    *overflow.urlpatterns,
    *register.urlpatterns,
]
