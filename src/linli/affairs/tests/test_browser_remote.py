"""Issue 16 item 5 in a real browser: a remote point and a window connect by video (WebRTC, peer to peer) with
signalling over the project's own WebSocket, and frames flow both ways — the resident's camera to the window,
the clerk's camera to the remote point, and the remote point's document camera as a second track to the window.

Chromium runs with a fake camera and microphone (`--use-fake-device-for-media-stream`) and grants them without
asking (`--use-fake-ui-for-media-stream`); both pages run in separate browser contexts (two "machines") against
the ASGI live server (pages and /ws/ under uvicorn). Loopback is allowed as an ICE candidate: the test machine
may have no other network.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from linli.affairs.models import RemoteSession, RemoteSessionStatus
from linli.affairs.tests.factories_queue import appointment_today, build_queue_world
from linli.core.testing.browser import session_cookie, shoot, watch_errors
from linli.core.testing.plugin import CHROMIUM, CHROMIUM_ARGS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MEDIA_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
    # Host candidates as plain addresses, never mDNS names: a CI sandbox may not resolve multicast DNS.
    "--disable-features=WebRtcHideLocalIpsWithMdns",
]

# The state of a page's call, for the message of a connection that never came (CI has no screen to look at).
DIAGNOSE_JS = """async () => {
  const api = window.linliRemote || {};
  const pc = api.pc;
  const out = {state: api.state, pc: null, candidates: []};
  if (!pc) { return out; }
  out.pc = {connection: pc.connectionState, ice: pc.iceConnectionState, gathering: pc.iceGatheringState,
            signaling: pc.signalingState};
  (await pc.getStats()).forEach((s) => {
    if (s.type === "local-candidate" || s.type === "remote-candidate" || s.type === "candidate-pair") {
      out.candidates.push([s.type, s.address || "", s.port || "", s.protocol || "", s.state || ""].join(" "));
    }
  });
  return out;
}"""

# framesDecoded of every inbound video RTP stream of the page's peer connection.
FRAMES_JS = """async () => {
  const pc = window.linliRemote && window.linliRemote.pc;
  if (!pc) { return []; }
  const stats = await pc.getStats();
  const out = [];
  stats.forEach((s) => { if (s.type === "inbound-rtp" && s.kind === "video") { out.push(s.framesDecoded || 0); } });
  return out;
}"""


@pytest.fixture
def media_browser(chromium_browser: Any) -> Iterator[Any]:
    """A second Chromium of the same Playwright, launched with the fake media devices."""
    browser = chromium_browser.browser_type.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *MEDIA_ARGS])
    try:
        yield browser
    finally:
        browser.close()


def _page(browser: Any, server: Any, user: Any) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context.set_default_timeout(15_000)
    context.grant_permissions(["camera", "microphone"], origin=server.url)
    context.add_cookies([session_cookie(server, user)])
    page = watch_errors(context.new_page())
    page.console_lines = []
    page.on("console", lambda msg: page.console_lines.append(f"{msg.type}: {msg.text}"))
    return page


def _wait_connected(*pages: Any, timeout: float = 30_000) -> None:
    """Both sides' calls reach 'connected', or the assertion says where each one stood."""
    try:
        for page in pages:
            page.wait_for_selector("#rv-state[data-state='connected']", timeout=timeout)
    except Exception as exc:  # playwright's TimeoutError: say what the peer connections saw
        report = [(page.evaluate(DIAGNOSE_JS), page.console_lines[-20:], page.errors) for page in pages]
        raise AssertionError(f"the call did not connect: {report}") from exc


def _frames_flow(page: Any, tracks: int, timeout: float = 30.0) -> list[int]:
    """framesDecoded per inbound video stream, once `tracks` of them have decoded frames (polled via getStats)."""
    deadline = time.monotonic() + timeout
    frames: list[int] = []
    while time.monotonic() < deadline:
        frames = list(page.evaluate(FRAMES_JS))
        if len([n for n in frames if n > 0]) >= tracks:
            return frames
        page.wait_for_timeout(300)
    raise AssertionError(f"fewer than {tracks} video tracks decoded frames: {frames}")


def test_remote_point_and_window_video_both_ways_with_document_camera(asgi_live_server, media_browser):
    server = asgi_live_server
    world = build_queue_world()
    appt = appointment_today(world, resource=world.remote, item=world.items["ltc"])

    # The remote point's console: today's remote appointment, "call a window".
    remote = _page(media_browser, server, world.remote_staff)
    remote.goto(f"{server.url}/staff/affairs/remote/")
    remote.click(f"#call-{appt.code}")
    remote.wait_for_selector("#rv-state[data-state='waiting']")
    session = RemoteSession.objects.get()
    assert session.status == RemoteSessionStatus.WAITING and session.appointment == appt

    # A clerk at window 1 sees the request and answers it.
    clerk = _page(media_browser, server, world.clerks[0])
    clerk.goto(f"{server.url}/staff/affairs/window/?counter={world.counters[0].pk}")
    clerk.click(f"#answer-{session.pk}")
    clerk.wait_for_selector("#rv-page[data-side='clerk']")

    # Both sides connect: the resident's camera reaches the clerk, the clerk's reaches the remote point.
    _wait_connected(clerk, remote)
    assert max(_frames_flow(clerk, 1)) > 0
    assert max(_frames_flow(remote, 1)) > 0

    # The remote point opens its document camera: a second video track reaches the clerk.
    remote.click("#rv-doc-start")
    frames = _frames_flow(clerk, 2)
    assert len([n for n in frames if n > 0]) >= 2, frames
    clerk.wait_for_function("() => document.getElementById('rv-doc').videoWidth > 0")
    assert "长期护理保险申请" in remote.inner_text("h1")
    shoot(clerk, "affairs-remote-clerk")
    shoot(remote, "affairs-remote-point")

    session.refresh_from_db()
    assert session.status == RemoteSessionStatus.ACTIVE and session.clerk == world.clerks[0]
    assert session.connected_at is not None  # the clerk's browser reported media flowing

    # The clerk hangs up: the session is logged with its duration, the remote side sees the call end.
    clerk.click("#rv-hangup")
    clerk.wait_for_url("**/staff/affairs/window/**")
    remote.wait_for_selector("#rv-state[data-state='waiting']")
    session.refresh_from_db()
    assert session.status == RemoteSessionStatus.ENDED and session.ended_at >= session.connected_at
    assert session.end_reason == "clerk-hangup" and session.ended_by == world.clerks[0]
    appt.refresh_from_db()
    assert appt.status == "completed"
    for page in (remote, clerk):
        assert page.errors == [], page.errors


def test_a_stranger_cannot_join_the_signalling(asgi_live_server, media_browser):
    server = asgi_live_server
    world = build_queue_world()
    remote = _page(media_browser, server, world.remote_staff)
    remote.goto(f"{server.url}/staff/affairs/remote/")
    remote.click("#call-walk-in")
    remote.wait_for_selector("#rv-state")
    session = RemoteSession.objects.get()
    stranger = _page(media_browser, server, world.clerks[1])  # a clerk who did not answer
    stranger.goto(f"{server.url}/staff/affairs/window/")
    code = stranger.evaluate(
        """(url) => new Promise((resolve) => {
            const ws = new WebSocket(url);
            ws.onclose = (e) => resolve(e.code);
            setTimeout(() => resolve(-1), 5000);
        })""",
        server.url.replace("http://", "ws://") + f"/ws/affairs/remote/{session.room}/",
    )
    assert code == 4403


def test_recording_only_when_the_street_turns_it_on_with_notice_on_both_screens(
    asgi_live_server, media_browser, settings, tmp_path
):
    from linli.affairs.services.remote import remote_policy_for

    settings.LINLI_PRIVATE_ROOT = tmp_path / "private"
    server = asgi_live_server
    world = build_queue_world()
    policy = remote_policy_for(world.street)
    policy.recording_enabled = True
    policy.save()
    remote = _page(media_browser, server, world.remote_staff)
    remote.goto(f"{server.url}/staff/affairs/remote/")
    assert "录音录像" in remote.inner_text("#recording-notice")
    remote.click("#call-walk-in")
    # The session page's own call script running (the list page also shows the recording notice).
    remote.wait_for_selector("#rv-state[data-state='waiting']")
    assert "录音录像" in remote.inner_text("#recording-notice")
    session = RemoteSession.objects.get()
    assert session.recording
    clerk = _page(media_browser, server, world.clerks[0])
    clerk.goto(f"{server.url}/staff/affairs/window/?counter={world.counters[0].pk}")
    clerk.click(f"#answer-{session.pk}")
    clerk.wait_for_selector("#rv-page[data-side='clerk'] #recording-notice")
    _wait_connected(clerk, remote)  # both screens; a failure reports both peers
    clerk.wait_for_function("() => window.linliRemote.recorded > 0", timeout=20_000)
    clerk.click("#rv-hangup")
    clerk.wait_for_url("**/staff/affairs/window/**")
    session.refresh_from_db()
    assert session.status == RemoteSessionStatus.ENDED and session.recording_bytes > 1000
    with session.recording_file.open("rb") as f:
        assert f.read(4) == b"\x1aE\xdf\xa3"  # a WebM (EBML) file
    # Only the street's administrators may download it.
    assert clerk.request.get(f"{server.url}/staff/affairs/remote/sessions/{session.pk}/recording/").status == 404
    head = _page(media_browser, server, world.head)
    got = head.request.get(f"{server.url}/staff/affairs/remote/sessions/{session.pk}/recording/")
    assert got.status == 200 and got.headers["content-type"] == "video/webm"
