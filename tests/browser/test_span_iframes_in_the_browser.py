"""A span iframe that asks for the span gets it in a real browser: the tool page, served from another
origin, receives ``{type: "data_update", data: <the span>}`` when it loads and again when it asks with
``{type: "request_data"}``; the frame stays sandboxed, and a frame that did not ask receives nothing."""

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in, with_password
from tests.factories import ProjectFactory, insert_as_owner, owner_of
from tests.factories_configuration import SpanIframeFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The team's tool: it shows every message it receives, and asks for the span again once it has one.
TOOL = b"""<!doctype html><meta charset="utf-8"><title>Tool</title><ol id="got"></ol><script>
var asked = false;
window.addEventListener("message", function (event) {
  var item = document.createElement("li");
  item.textContent = event.data.type + " " + event.data.data.id + " " + event.data.data.input;
  document.getElementById("got").appendChild(item);
  if (!asked) { asked = true; parent.postMessage({type: "request_data"}, "*"); }
});
</script>"""


class _ToolPage(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(TOOL)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def tool_url() -> Iterator[str]:
    """The tool, on 127.0.0.1 (the live server is localhost: another origin)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ToolPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/tool"
    server.shutdown()
    server.server_close()


def test_a_span_iframe_that_asks_for_the_span_receives_it_on_load_and_on_request(page, live_server, tool_url, settings):
    settings.SPAN_IFRAME_ALLOW_LOOPBACK_HTTP = True
    project = ProjectFactory(name="support-bot")
    insert_as_owner(project, [{"id": "r1", "input": "hello", "output": "hi"}])
    SpanIframeFactory(project=project, name="Poster", url=f"{tool_url}?with=span", post_message=True)
    SpanIframeFactory(project=project, name="Quiet", url=f"{tool_url}?without=span")
    owner = with_password(owner_of(project.org))
    log_in(page, owner.email)
    page.goto(f"/app/{project.org.name}/p/{project.pk}/logs/?row=r1")
    page.locator("section.span-iframes").scroll_into_view_if_needed()

    poster = page.frame_locator('iframe[title="Poster"]').locator("#got li")
    expect(poster).to_have_text(["data_update r1 hello", "data_update r1 hello"])
    quiet = page.frame_locator('iframe[title="Quiet"]')
    expect(quiet.locator("#got")).to_be_attached()
    expect(quiet.locator("#got li")).to_have_count(0)
