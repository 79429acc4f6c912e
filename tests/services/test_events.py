"""The data plane's services: insert (replace, deep merge, delete), versions, traces, cursors, tags,
feedback, computed scores, aggregates and summaries, and who may do each."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st

from permissions.exceptions import AccessDenied, NotFound, ValidationError
from projects.events.merge import deep_merge, delete_from_arrays
from projects.events.reads import fetch_events
from projects.events.summaries import summarize_dataset, summarize_experiment
from projects.events.targets import EventTarget
from projects.events.writes import ComputedScores, _update_rows, apply_computed_scores, insert_events, record_feedback, rows_written
from projects.models import EventFeedback, EventRow, EventVersion, ProjectScore
from tests.access_helpers import grant
from tests.factories import DatasetFactory, ExperimentFactory, OrganizationFactory, ProjectFactory, PromptFactory, add_member, owner_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return OrganizationFactory()


@pytest.fixture
def owner(org):
    return owner_of(org)


@pytest.fixture
def experiment(org):
    return ExperimentFactory(project=ProjectFactory(org=org))


@pytest.fixture
def logs(experiment):
    return EventTarget.of(experiment.project)


def _fetch(owner, target, **kwargs):
    return fetch_events(actor=owner, target=target, **kwargs)


def _by_id(page):
    return {event["id"]: event for event in page.events}


# Merging, as Braintrust documents it


def test_deep_merge_follows_braintrusts_documented_example():
    existing = {"input": {"a": {"b": 10}, "c": {"d": 20}}, "output": {"a": 20}}
    update = {"input": {"a": {"q": 30}, "c": {"e": 30}, "bar": "baz"}, "output": {"d": 40}}
    merged = deep_merge(existing, update, stop_paths=[["input", "a"], ["output"]])
    assert merged == {"input": {"a": {"q": 30}, "c": {"d": 20, "e": 30}, "bar": "baz"}, "output": {"d": 40}}
    assert existing["input"]["c"] == {"d": 20}  # the stored row is not changed in place


def test_array_delete_removes_values_at_nested_paths_only():
    row = {"tags": ["foo", "bar", "baz"], "metadata": {"categories": ["x", "y"]}, "input": 3}
    delete_from_arrays(row, [{"path": ["tags"], "delete": ["foo", "bar"]}, {"path": ["metadata", "categories"], "delete": ["y"]}])
    delete_from_arrays(row, [{"path": ["input"], "delete": [3]}, {"path": ["missing", "x"], "delete": [1]}])
    assert row == {"tags": ["baz"], "metadata": {"categories": ["x"]}, "input": 3}


_json = st.recursive(st.none() | st.integers() | st.text(max_size=3), lambda inner: st.dictionaries(st.text(max_size=2), inner, max_size=3))


def _naive_merge(old, new):
    if isinstance(old, dict) and isinstance(new, dict):
        result = dict(old)
        for key, value in new.items():
            result[key] = _naive_merge(old[key], value) if key in old else value
        return result
    return new


@settings(max_examples=200)
@given(st.dictionaries(st.text(max_size=2), _json, max_size=4), st.dictionaries(st.text(max_size=2), _json, max_size=4))
def test_deep_merge_agrees_with_a_naive_recursive_merge(existing, update):
    assert deep_merge(existing, update) == _naive_merge(existing, update)


# Insert


def test_insert_replaces_by_default_and_merges_with_is_merge(owner, logs):
    insert_events(actor=owner, target=logs, events=[{"id": "foo", "input": {"a": 5, "b": 10}}])
    insert_events(actor=owner, target=logs, events=[{"id": "foo", "_is_merge": True, "input": {"b": 11, "c": 20}}])
    assert _by_id(_fetch(owner, logs))["foo"]["input"] == {"a": 5, "b": 11, "c": 20}
    insert_events(actor=owner, target=logs, events=[{"id": "foo", "input": {"b": 11, "c": 20}}])
    assert _by_id(_fetch(owner, logs))["foo"]["input"] == {"b": 11, "c": 20}


def test_insert_answers_one_row_id_per_event_generating_missing_ones(owner, logs):
    ids = insert_events(actor=owner, target=logs, events=[{"id": "given"}, {"input": 1}])
    assert ids[0] == "given" and len(ids[1]) == 36
    assert EventRow.objects.filter(row_id__in=ids).count() == 2


def test_object_delete_hides_the_row_and_a_past_version_still_shows_it(owner, logs):
    insert_events(actor=owner, target=logs, events=[{"id": "r", "input": 1}])
    version = EventRow.objects.get(row_id="r").xact_id
    insert_events(actor=owner, target=logs, events=[{"id": "r", "_object_delete": True}])
    assert _fetch(owner, logs).events == []
    assert [e["id"] for e in _fetch(owner, logs, version=version).events] == ["r"]


def test_a_version_is_a_snapshot_of_every_row(owner, logs):
    insert_events(actor=owner, target=logs, events=[{"id": "a", "output": 1}, {"id": "b", "output": 1}])
    snapshot = EventRow.objects.get(row_id="a").xact_id
    insert_events(actor=owner, target=logs, events=[{"id": "a", "output": 2}, {"id": "c", "output": 1}])
    then = _by_id(_fetch(owner, logs, version=snapshot))
    assert set(then) == {"a", "b"} and then["a"]["output"] == 1
    now = _by_id(_fetch(owner, logs))
    assert set(now) == {"a", "b", "c"} and now["a"]["output"] == 2
    assert EventVersion.objects.filter(row_id="a").count() == 2


def test_parent_id_makes_a_subspan_of_the_parents_trace(owner, logs):
    insert_events(actor=owner, target=logs, events=[{"id": "abc", "input": "foo"}])
    insert_events(actor=owner, target=logs, events=[{"id": "llm_call", "_parent_id": "abc", "metrics": {"tokens": 1}}])
    rows = _by_id(_fetch(owner, logs))
    assert rows["llm_call"]["root_span_id"] == rows["abc"]["root_span_id"]
    assert rows["llm_call"]["span_parents"] == [rows["abc"]["span_id"]]
    assert rows["abc"]["is_root"] is True and rows["llm_call"]["is_root"] is False


def test_a_parent_that_does_not_exist_refuses_the_batch_and_writes_nothing(owner, logs):
    with pytest.raises(ValidationError, match="No row with id 'ghost'"):
        insert_events(actor=owner, target=logs, events=[{"id": "ok"}, {"id": "child", "_parent_id": "ghost"}])
    assert not EventRow.objects.exists()


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"scores": {"accuracy": 1.5}}, "scores.accuracy"),
        ({"scores": {"accuracy": True}}, "scores.accuracy"),
        ({"tags": "prod"}, "tags"),
        ({"metadata": [1]}, "metadata"),
        ({"metrics": {"tokens": "many"}}, "metrics.tokens"),
        ({"flavor": "x"}, "flavor"),
        ({"_merge_paths": ["input"]}, "_merge_paths"),
        ({"_array_delete": [{"path": "tags", "delete": []}]}, "_array_delete"),
        ({"created": "yesterday"}, "created"),
        ({"id": ""}, "id"),
        ({"_is_merge": "yes"}, "_is_merge"),
    ],
)
def test_a_malformed_event_refuses_the_batch_naming_the_field(owner, logs, event, message):
    with pytest.raises(ValidationError, match=message):
        insert_events(actor=owner, target=logs, events=[{"id": "fine"}, event])
    assert not EventRow.objects.exists() and not EventVersion.objects.exists()


def test_datasets_refuse_span_only_fields(owner, org):
    dataset = DatasetFactory(project=ProjectFactory(org=org))
    with pytest.raises(ValidationError, match="scores"):
        insert_events(actor=owner, target=EventTarget.of(dataset), events=[{"input": 1, "scores": {"a": 1}}])


def test_tags_are_indexed_and_filter_whole_traces(owner, logs):
    insert_events(
        actor=owner,
        target=logs,
        events=[
            {"id": "prod-root", "tags": ["production"]},
            {"id": "staging-root", "tags": ["staging"]},
        ],
    )
    insert_events(actor=owner, target=logs, events=[{"id": "prod-child", "_parent_id": "prod-root"}])
    assert set(_by_id(_fetch(owner, logs, tags=["production"]))) == {"prod-root", "prod-child"}
    assert set(_by_id(_fetch(owner, logs, tags=["staging"]))) == {"staging-root"}
    insert_events(
        actor=owner,
        target=logs,
        events=[{"id": "staging-root", "_is_merge": True, "_array_delete": [{"path": ["tags"], "delete": ["staging"]}]}],
    )
    assert _fetch(owner, logs, tags=["staging"]).events == []


def test_tag_filter_on_a_past_version_sees_the_tags_of_then(owner, logs):
    insert_events(actor=owner, target=logs, events=[{"id": "r", "tags": ["old"]}])
    version = EventRow.objects.get(row_id="r").xact_id
    insert_events(actor=owner, target=logs, events=[{"id": "r", "tags": ["new"]}])
    assert [e["id"] for e in _fetch(owner, logs, version=version, tags=["old"]).events] == ["r"]
    assert _fetch(owner, logs, version=version, tags=["new"]).events == []


# Fetch: traces, limit and cursor


def _traces(owner, target, count: int) -> None:
    for index in range(count):
        insert_events(actor=owner, target=target, events=[{"id": f"root{index}"}])
        insert_events(actor=owner, target=target, events=[{"id": f"child{index}", "_parent_id": f"root{index}"}])


def test_limit_counts_traces_and_the_cursor_walks_every_trace_once_newest_first(owner, logs):
    _traces(owner, logs, 5)
    seen, cursor = [], None
    while True:
        page = _fetch(owner, logs, limit=2, cursor=cursor)
        roots = [e["id"] for e in page.events if e["is_root"]]
        assert len(page.events) == 2 * len(roots)
        seen += roots
        if page.cursor is None:
            break
        cursor = page.cursor
    assert seen == [f"root{i}" for i in reversed(range(5))]


def test_a_cursor_keeps_its_snapshot_while_new_rows_arrive(owner, logs):
    _traces(owner, logs, 3)
    first = _fetch(owner, logs, limit=1)
    insert_events(actor=owner, target=logs, events=[{"id": "late"}])
    rest = _fetch(owner, logs, cursor=first.cursor)
    assert "late" not in _by_id(rest)
    assert {e["id"] for e in rest.events if e["is_root"]} == {"root0", "root1"}


@pytest.mark.parametrize("cursor", ["nonsense", "eyJrIjoiYSJ9", "eyJrIjoxfQ"])
def test_a_foreign_cursor_is_refused(owner, logs, cursor):
    with pytest.raises(ValidationError, match="cursor"):
        _fetch(owner, logs, limit=1, cursor=cursor)


def test_an_empty_cursor_is_the_first_page(owner, logs):
    _traces(owner, logs, 2)
    assert _fetch(owner, logs, limit=1, cursor="").events == _fetch(owner, logs, limit=1).events != []


def test_fetch_costs_the_same_number_of_queries_for_one_trace_and_for_many(owner, logs):
    _traces(owner, logs, 1)
    with CaptureQueriesContext(connection) as one:
        _fetch(owner, logs, limit=50)
    _traces_more = [{"id": f"x{i}"} for i in range(60)]
    insert_events(actor=owner, target=logs, events=_traces_more)
    with CaptureQueriesContext(connection) as many:
        page = _fetch(owner, logs, limit=50)
    assert len(page.events) == 50
    assert len(many) == len(one) <= 5


# Access


def test_fetching_needs_read_and_inserting_needs_update_on_the_object(org, owner, experiment):
    target = EventTarget.of(experiment)
    reader, stranger = add_member(org), add_member(org)
    grant(org, experiment, user=reader, permission="read")
    insert_events(actor=owner, target=target, events=[{"id": "r"}])
    assert _fetch(reader, target).events
    with pytest.raises(AccessDenied, match="update"):
        insert_events(actor=reader, target=target, events=[{"id": "r2"}])
    with pytest.raises(AccessDenied, match="update"):
        record_feedback(actor=reader, target=target, items=[{"id": "r", "scores": {"a": 1}}])
    with pytest.raises(NotFound):
        _fetch(stranger, target)


def test_a_logging_service_account_with_update_on_project_log_may_insert_logs_only(org, owner, experiment):
    logger = add_member(org)
    grant(org, EventTarget.of(experiment.project).node, user=logger, permission="update")
    insert_events(actor=logger, target=EventTarget.of(experiment.project), events=[{"input": "hi"}])
    with pytest.raises(NotFound):
        insert_events(actor=logger, target=EventTarget.of(experiment), events=[{"input": "hi"}])


# Feedback and computed scores


def test_feedback_is_kept_as_history_and_applied_to_the_row(owner, logs):
    insert_events(actor=owner, target=logs, events=[{"id": "r", "scores": {"auto": 0.5}, "tags": ["a"], "metadata": {"m": {"x": 1}}}])
    record_feedback(
        actor=owner, target=logs, items=[{"id": "r", "scores": {"human": 1}, "comment": "good", "tags": ["b"], "metadata": {"m": {"y": 2}}}]
    )
    record_feedback(actor=owner, target=logs, items=[{"id": "r", "scores": {"human": 0}, "expected": "better", "source": "app"}])
    row = _by_id(_fetch(owner, logs))["r"]
    assert row["scores"] == {"auto": 0.5, "human": 0}
    assert row["expected"] == "better" and row["tags"] == ["a", "b"]
    assert row["metadata"] == {"m": {"x": 1}}, "feedback metadata describes the feedback, not the row"
    assert EventFeedback.objects.order_by("id").first().metadata == {"m": {"y": 2}}
    assert [c["comment"] for c in row["comments"]] == ["good"]
    assert list(EventFeedback.objects.order_by("id").values_list("source", flat=True)) == ["external", "app"]
    assert EventVersion.objects.filter(row_id="r").count() == 3


def test_feedback_on_a_missing_row_refuses_everything(owner, logs):
    insert_events(actor=owner, target=logs, events=[{"id": "r"}])
    with pytest.raises(ValidationError, match="ghost"):
        record_feedback(actor=owner, target=logs, items=[{"id": "r", "scores": {"a": 1}}, {"id": "ghost", "scores": {"a": 1}}])
    assert not EventFeedback.objects.exists()
    assert "a" not in (_by_id(_fetch(owner, logs))["r"]["scores"] or {})


def test_computed_scores_and_scorer_errors_land_on_the_row(owner, logs):
    insert_events(actor=owner, target=logs, events=[{"id": "r", "scores": {"given": 1}}])
    results = {"r": ComputedScores({"ExactMatch": 0}, {"Levenshtein": "boom"}), "ghost": ComputedScores({"x": 1}, {})}
    assert apply_computed_scores(target=logs, results=results) == {"r"}
    row = _by_id(_fetch(owner, logs))["r"]
    assert row["scores"] == {"given": 1, "ExactMatch": 0}
    assert row["metadata"]["scoring_errors"] == {"Levenshtein": "boom"}
    assert not EventRow.objects.filter(row_id="ghost").exists()


def test_rows_written_is_sent_on_commit_with_the_inserted_ids(owner, logs, django_capture_on_commit_callbacks):
    received = []

    def listener(sender, target, row_ids, **kwargs):
        received.append((target, row_ids))

    rows_written.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            insert_events(actor=owner, target=logs, events=[{"id": "a"}, {"id": "b", "_object_delete": True}])
    finally:
        rows_written.disconnect(listener)
    assert received == [(logs, ["a"])]


# Aggregates and summaries


def _score(project, name, score_type, categories):
    return ProjectScore.objects.create(project=project, name=name, score_type=score_type, categories=categories)


def test_aggregate_scores_are_computed_on_every_fetched_row(owner, experiment):
    project = experiment.project
    _score(project, "overall", "weighted", {"accuracy": 3, "style": 1})
    _score(project, "worst", "minimum", ["accuracy", "style"])
    _score(project, "best", "maximum", ["accuracy", "style"])
    target = EventTarget.of(experiment)
    insert_events(
        actor=owner, target=target, events=[{"id": "r", "scores": {"accuracy": 1, "style": 0}}, {"id": "s", "scores": {"other": 1}}]
    )
    rows = _by_id(_fetch(owner, target))
    assert rows["r"]["scores"] == {"accuracy": 1, "style": 0, "overall": 0.75, "worst": 0, "best": 1}
    assert rows["s"]["scores"] == {"other": 1}


def test_a_summary_means_every_score_and_counts_improvements_against_the_comparison(owner, experiment):
    project = experiment.project
    base = ExperimentFactory(project=project)
    _score(project, "worst", "minimum", ["accuracy", "style"])
    rows = {
        base: [
            {"input": "q1", "scores": {"accuracy": 0.5, "style": 1}, "metrics": {"start": 0, "end": 4, "tokens": 10}},
            {"input": "q2", "scores": {"accuracy": 1, "style": 1}, "metrics": {"start": 0, "end": 2}},
        ],
        experiment: [
            {"input": "q1", "scores": {"accuracy": 1, "style": 1}, "metrics": {"start": 0, "end": 2, "tokens": 20}},
            {"input": "q2", "scores": {"accuracy": 0, "style": 1}, "metrics": {"start": 0, "end": 2}},
        ],
    }
    for target, events in rows.items():
        insert_events(actor=owner, target=EventTarget.of(target), events=events)
    summary = summarize_experiment(actor=owner, experiment=experiment, comparison=base)
    accuracy = summary["scores"]["accuracy"]
    assert accuracy["score"] == 0.5 and accuracy["diff"] == pytest.approx(-0.25)
    assert (accuracy["improvements"], accuracy["regressions"]) == (1, 1)
    assert summary["scores"]["worst"]["score"] == 0.5  # aggregates are summarized too
    duration = summary["metrics"]["duration"]
    assert duration["metric"] == 2 and duration["diff"] == -1 and (duration["improvements"], duration["regressions"]) == (1, 0)
    assert summary["metrics"]["tokens"]["metric"] == 20
    assert summary["comparison_experiment_name"] == base.name


def test_summarizing_against_an_experiment_one_cannot_read_is_refused(org, experiment):
    reader = add_member(org)
    grant(org, experiment, user=reader, permission="read")
    hidden = ExperimentFactory(project=experiment.project)
    with pytest.raises(NotFound):
        summarize_experiment(actor=reader, experiment=experiment, comparison=hidden)


def test_a_dataset_summary_counts_live_records(owner, org):
    dataset = DatasetFactory(project=ProjectFactory(org=org))
    insert_events(actor=owner, target=EventTarget.of(dataset), events=[{"id": "a", "input": 1}, {"id": "b", "input": 2}])
    insert_events(actor=owner, target=EventTarget.of(dataset), events=[{"id": "b", "_object_delete": True}])
    assert summarize_dataset(actor=owner, dataset=dataset)["data_summary"] == {"total_records": 1}


def test_the_prepared_row_update_stores_what_a_plain_save_would(owner, logs):
    insert_events(actor=owner, target=logs, events=[{"id": "fast"}, {"id": "slow"}])
    fast, slow = EventRow.objects.get(row_id="fast"), EventRow.objects.get(row_id="slow")
    state = {"data": {"input": {"ü": [1, None, "x"]}, "scores": {"a": 0.25}}, "is_deleted": True, "xact_id": 99, "trace_order": 7}
    for row in (fast, slow):
        for name, value in state.items():
            setattr(row, name, value)
    _update_rows([fast])
    slow.save(update_fields=list(state))
    fast.refresh_from_db()
    slow.refresh_from_db()
    assert {name: getattr(fast, name) for name in state} == {name: getattr(slow, name) for name in state} == state


# References across projects


def test_logs_may_name_a_prompt_of_another_project_only_with_read_on_it(org, owner):
    production, staging = ProjectFactory(org=org, name="production"), ProjectFactory(org=org, name="staging")
    prompt = PromptFactory(project=production)
    staging_logger = add_member(org)
    grant(org, EventTarget.of(staging).node, user=staging_logger, permission="update")
    event = {"input": "hi", "metadata": {"prompt": {"id": str(prompt.pk), "version": "1"}}}
    with pytest.raises(ValidationError, match=r"metadata\.prompt\.id: no prompt"):
        insert_events(actor=staging_logger, target=EventTarget.of(staging), events=[event])
    grant(org, prompt, user=staging_logger, permission="update")
    with pytest.raises(AccessDenied, match="'read'"):
        insert_events(actor=staging_logger, target=EventTarget.of(staging), events=[event])
    grant(org, prompt, user=staging_logger, permission="read")
    insert_events(actor=staging_logger, target=EventTarget.of(staging), events=[event])
    assert EventRow.objects.filter(project=staging).count() == 1


def test_a_reference_to_another_organizations_object_is_refused_as_missing(org, owner, logs):
    foreign = DatasetFactory(project=ProjectFactory(org=OrganizationFactory()))
    origin = {"object_type": "dataset", "object_id": str(foreign.pk), "id": "row-1"}
    with pytest.raises(ValidationError, match="origin: no dataset"):
        insert_events(actor=owner, target=logs, events=[{"input": 1, "origin": origin}])
    assert not EventRow.objects.exists()


def test_a_row_copied_from_a_readable_dataset_keeps_its_origin(org, owner, logs):
    dataset = DatasetFactory(project=ProjectFactory(org=org))
    origin = {"object_type": "dataset", "object_id": str(dataset.pk), "id": "row-1"}
    insert_events(actor=owner, target=logs, events=[{"id": "r", "origin": origin}])
    assert _by_id(_fetch(owner, logs))["r"]["origin"] == origin


@pytest.mark.parametrize(
    "origin",
    [
        {"object_type": "folder", "object_id": "x", "id": "1"},
        {"object_type": "dataset", "object_id": "nope", "id": "1"},
        {"object_type": "dataset"},
    ],
)
def test_a_malformed_origin_is_refused(owner, logs, origin):
    with pytest.raises(ValidationError, match="origin"):
        insert_events(actor=owner, target=logs, events=[{"origin": origin}])


def test_dataset_feedback_takes_no_scores_or_expected(owner, org):
    dataset = DatasetFactory(project=ProjectFactory(org=org))
    target = EventTarget.of(dataset)
    insert_events(actor=owner, target=target, events=[{"id": "r", "input": 1}])
    for field, value in (("scores", {"a": 1}), ("expected", 2)):
        with pytest.raises(ValidationError, match=field):
            record_feedback(actor=owner, target=target, items=[{"id": "r", field: value}])
    record_feedback(actor=owner, target=target, items=[{"id": "r", "comment": "typo in the input", "tags": ["fix"]}])
    assert EventFeedback.objects.count() == 1
