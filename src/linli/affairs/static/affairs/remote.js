/* Remote video window (远程帮办): a WebRTC call between the remote point's browser and a window's browser.
 *
 * Media goes peer to peer; the project's own WebSocket (ws/affairs/remote/<room>/) carries only the signalling.
 * "Perfect negotiation" (W3C WebRTC 1.0 §10.7): the remote point is the polite peer, the clerk the impolite one,
 * so either side may add a track at any time (the remote point's document camera, the clerk's shared screen) and
 * an offer collision sorts itself out. Each side says "hello" when its socket opens; a fresh hello resets the
 * call (the other side reloaded), a hello in reply starts it. ICE servers come from the page (LINLI_ICE_SERVERS).
 * The first remote stream shows in the main video, the second (document camera / shared screen) below it.
 * `window.linliRemote` exposes the peer connection and the state for tests. */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("rv-config").textContent);
  var t = document.getElementById("rv-i18n").dataset;
  var stateEl = document.getElementById("rv-state");
  var remoteVideo = document.getElementById("rv-remote");
  var docVideo = document.getElementById("rv-doc");
  var localVideo = document.getElementById("rv-local");
  var polite = cfg.side === "remote";
  var pc = null;
  var ws = null;
  var makingOffer = false;
  var ignoreOffer = false;
  var localStream = null;
  var extraStreams = [];
  var shown = {};
  var connectedSent = false;
  var ended = !cfg.live;
  var delay = 1000;
  var inbox = Promise.resolve();
  var api = window.linliRemote = { pc: null, side: cfg.side, state: "new", extra: 0, recorded: 0 };
  var recorder = null;
  var recorderStream = null;
  var uploads = Promise.resolve();
  var chunkSeq = 0;

  function setState(state, text) {
    stateEl.dataset.state = state;
    stateEl.textContent = text;
    api.state = state;
  }

  function send(obj) {
    if (ws && ws.readyState === 1) { ws.send(JSON.stringify(obj)); }
  }

  function addStream(stream) {
    stream.getTracks().forEach(function (track) { pc.addTrack(track, stream); });
  }

  function closePc() {
    if (pc) { pc.close(); }
    pc = null;
    api.pc = null;
    shown = {};
    remoteVideo.srcObject = null;
    docVideo.srcObject = null;
  }

  function newPc() {
    closePc();
    pc = new RTCPeerConnection({ iceServers: cfg.ice_servers || [] });
    api.pc = pc;
    var mine = pc;
    pc.onicecandidate = function (e) {
      if (e.candidate) { send({ type: "signal", data: { candidate: e.candidate.toJSON() } }); }
    };
    pc.onnegotiationneeded = function () {
      makingOffer = true;
      mine.setLocalDescription().then(function () {
        send({ type: "signal", data: { description: mine.localDescription } });
      }).catch(function (err) { console.warn("offer", err); }).then(function () { makingOffer = false; });
    };
    pc.ontrack = function (e) {
      var stream = e.streams[0] || new MediaStream([e.track]);
      var el = shown[stream.id];
      if (!el) {
        el = Object.keys(shown).length === 0 ? remoteVideo : docVideo;
        shown[stream.id] = el;
      }
      if (el.srcObject !== stream) { el.srcObject = stream; }
      if (el === remoteVideo) { record(stream); }
    };
    pc.onconnectionstatechange = function () {
      if (mine !== pc) { return; }
      if (pc.connectionState === "connected") {
        setState("connected", t.connected);
        if (cfg.side === "clerk" && !connectedSent) { connectedSent = true; send({ type: "connected" }); }
      } else if (pc.connectionState === "failed") {
        pc.restartIce();
      } else if (pc.connectionState === "disconnected") {
        setState("waiting", t.waiting);
      }
    };
    if (localStream) {
      addStream(localStream);
    } else {
      pc.addTransceiver("audio", { direction: "recvonly" });
      pc.addTransceiver("video", { direction: "recvonly" });
    }
    extraStreams.forEach(addStream);
  }

  function onSignal(data) {
    if (!pc) { newPc(); }
    var mine = pc;
    if (data && data.description) {
      var description = data.description;
      var collision = description.type === "offer" && (makingOffer || mine.signalingState !== "stable");
      ignoreOffer = !polite && collision;
      if (ignoreOffer) { return Promise.resolve(); }
      return mine.setRemoteDescription(description).then(function () {
        if (description.type !== "offer") { return null; }
        return mine.setLocalDescription().then(function () {
          send({ type: "signal", data: { description: mine.localDescription } });
        });
      });
    }
    if (data && data.candidate) {
      return mine.addIceCandidate(data.candidate).catch(function (err) { if (!ignoreOffer) { throw err; } });
    }
    return Promise.resolve();
  }

  // A call that has made no ICE progress STUCK_MS after the last hello (a signalling step lost, or one that never
  // settled) starts again from a fresh hello, as a reload of either page would: both sides make new peer
  // connections and negotiate anew. Alone in the room, the hello reaches no one.
  var STUCK_MS = 10000;
  var watchdog = null;
  function watch() {
    window.clearTimeout(watchdog);
    watchdog = window.setTimeout(function () {
      if (ended || !ws || ws.readyState !== 1 || api.state === "connected") { return; }
      if (pc && pc.iceConnectionState !== "new") { watch(); return; }
      inbox = Promise.resolve();
      closePc();
      send({ type: "hello" });
      watch();
    }, STUCK_MS);
  }

  function onMessage(msg) {
    if (msg.type === "hello") {
      watch();
      if (!msg.reply) {
        send({ type: "hello", reply: true });
        newPc();
      } else if (!pc) {
        newPc();
      }
    } else if (msg.type === "signal") {
      return onSignal(msg.data);
    } else if (msg.type === "bye") {
      closePc();
      setState("waiting", t.waiting);
    }
    return null;
  }

  function connect() {
    if (ended) { return; }
    var proto = location.protocol === "https:" ? "wss://" : "ws://";
    ws = new WebSocket(proto + location.host + cfg.ws);
    ws.onopen = function () { delay = 1000; send({ type: "hello" }); watch(); };
    ws.onmessage = function (e) {
      var msg;
      try { msg = JSON.parse(e.data); } catch (err) { return; }
      inbox = inbox.then(function () { return onMessage(msg); }).catch(function (err) { console.warn("signal", err); });
    };
    ws.onclose = function (e) {
      if (e.code === 4403) { ended = true; setState("ended", t.ended); return; }
      if (!ended) { window.setTimeout(connect, delay); delay = Math.min(delay * 2, 15000); }
    };
  }

  // Recording, only when the street turned it on (both screens show the notice): the clerk's browser records the
  // resident's side and uploads it in 5-second chunks as the call goes, so a closed tab loses seconds, not the call.
  function record(stream) {
    // A call started again (the watchdog above) brings the resident's side as a new stream: a recorder that has
    // not yet produced a chunk from the old one gives way to one on the new.
    if (recorder && recorderStream !== stream && chunkSeq === 0) {
      recorder.ondataavailable = null;
      try { recorder.stop(); } catch (e) { /* already inactive */ }
      recorder = null;
    }
    if (!cfg.record || recorder || typeof window.MediaRecorder === "undefined") { return; }
    recorderStream = stream;
    try { recorder = new window.MediaRecorder(stream, { mimeType: "video/webm" }); } catch (e) { recorder = null; return; }
    var token = document.querySelector("#rv-hangup").form.querySelector("[name=csrfmiddlewaretoken]").value;
    recorder.ondataavailable = function (e) {
      if (!e.data || !e.data.size) { return; }
      var seq = chunkSeq++;
      var blob = e.data;
      uploads = uploads.then(function () {
        return fetch(cfg.recording_url + "?seq=" + seq, {
          method: "POST", body: blob, credentials: "same-origin",
          headers: { "X-CSRFToken": token, "Content-Type": "video/webm" }
        }).then(function (r) { if (r.ok) { api.recorded += blob.size; } });
      }).catch(function () {});
    };
    recorder.start(5000);
  }

  function addExtra(stream) {
    extraStreams.push(stream);
    api.extra = extraStreams.length;
    if (pc) { addStream(stream); }
  }

  // The remote point's document camera: any camera of the machine (a second USB camera over the desk).
  var docSelect = document.getElementById("rv-doc-device");
  var docStart = document.getElementById("rv-doc-start");
  if (docSelect && docStart) {
    navigator.mediaDevices.enumerateDevices().then(function (devices) {
      devices.filter(function (d) { return d.kind === "videoinput"; }).forEach(function (d, i) {
        var opt = document.createElement("option");
        opt.value = d.deviceId;
        opt.textContent = d.label || ("Camera " + (i + 1));
        docSelect.appendChild(opt);
      });
      if (docSelect.options.length > 1) { docSelect.selectedIndex = docSelect.options.length - 1; }
    }).catch(function () {});
    docStart.addEventListener("click", function () {
      var video = docSelect.value ? { deviceId: { exact: docSelect.value } } : true;
      navigator.mediaDevices.getUserMedia({ video: video, audio: false }).then(function (stream) {
        docStart.disabled = true;
        addExtra(stream);
      }).catch(function () { setState("no-media", t.noMedia); });
    });
  }

  // The clerk shares a screen (a form, a policy page) with the remote point.
  var share = document.getElementById("rv-share");
  if (share && navigator.mediaDevices && navigator.mediaDevices.getDisplayMedia) {
    share.addEventListener("click", function () {
      navigator.mediaDevices.getDisplayMedia({ video: true, audio: false }).then(function (stream) {
        share.disabled = true;
        addExtra(stream);
      }).catch(function () {});
    });
  } else if (share) {
    share.hidden = true;
  }

  var mute = document.getElementById("rv-mute");
  mute.addEventListener("click", function () {
    if (!localStream) { return; }
    var on = mute.getAttribute("aria-pressed") !== "true";
    localStream.getAudioTracks().forEach(function (track) { track.enabled = !on; });
    mute.setAttribute("aria-pressed", on ? "true" : "false");
    mute.textContent = on ? t.unmute : t.mute;
  });

  var hangup = document.getElementById("rv-hangup");
  hangup.form.addEventListener("submit", function (e) {
    if (recorder && recorder.state !== "inactive") {
      e.preventDefault();
      var sent = false;
      var leave = function () { if (!sent) { sent = true; hangup.form.submit(); } };
      recorder.onstop = function () {
        uploads.then(leave);
        window.setTimeout(leave, 8000);
      };
      recorder.stop();
    }
    ended = true;
    send({ type: "bye" });
    closePc();
    if (localStream) { localStream.getTracks().forEach(function (track) { track.stop(); }); }
  });

  if (ended) { setState("ended", t.ended); return; }
  setState("waiting", t.waiting);
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    setState("no-media", t.noMedia);
    connect();
    return;
  }
  navigator.mediaDevices.getUserMedia({ video: true, audio: true }).then(function (stream) {
    localStream = stream;
    localVideo.srcObject = stream;
  }).catch(function () {
    setState("no-media", t.noMedia);
  }).then(connect);
})();
