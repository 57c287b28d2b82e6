"use strict";
// The web page's logic: load voices, POST /v1/tts, show the player and download link, or a clear error.
(function () {
  const $ = (id) => document.getElementById(id);
  let voices = [];

  function headers() {
    const h = { "Content-Type": "application/json" };
    const key = $("api-key").value.trim();
    if (key) h["Authorization"] = "Bearer " + key;
    return h;
  }

  function showError(message) {
    const el = $("error");
    el.textContent = message;
    el.hidden = !message;
  }

  async function readError(resp) {
    try {
      const body = await resp.json();
      if (body && body.error) return body.error.message + " (" + body.error.code + ", HTTP " + resp.status + ")";
    } catch (e) { /* not JSON */ }
    return "HTTP " + resp.status + " " + resp.statusText;
  }

  function fillEmotions() {
    const v = voices.find((x) => x.name === $("voice").value);
    const sel = $("emotion");
    sel.innerHTML = "";
    (v ? v.emotions : ["neutral"]).forEach((e) => sel.add(new Option(e, e, e === "neutral", e === "neutral")));
  }

  async function loadVoices() {
    try {
      const resp = await fetch("v1/voices", { headers: headers() });
      if (!resp.ok) { showError("Could not load voices: " + (await readError(resp))); return; }
      const body = await resp.json();
      voices = body.voices;
      const sel = $("voice");
      sel.innerHTML = "";
      voices.forEach((v) => sel.add(new Option(v.name, v.name, v.default, v.default)));
      fillEmotions();
      $("test-voice-banner").hidden = !voices.some((v) => v.test_voice);
      showError("");
    } catch (e) {
      showError("Could not reach the service: " + e.message);
    }
  }

  async function synthesize(ev) {
    ev.preventDefault();
    showError("");
    const text = $("text").value;
    if (!text.trim()) { showError("Please type some text first."); return; }
    const payload = {
      text: text, voice: $("voice").value || null, emotion: $("emotion").value || "neutral",
      speed: parseFloat($("speed").value || "1"), format: $("format").value,
    };
    $("synthesize").disabled = true;
    $("status").textContent = "Synthesizing…";
    try {
      const resp = await fetch("v1/tts", { method: "POST", headers: headers(), body: JSON.stringify(payload) });
      if (!resp.ok) { showError(await readError(resp)); return; }
      const r = await resp.json();
      $("player").src = r.url;
      $("download").href = r.url;
      $("download").setAttribute("download", r.key.split("/").pop());
      $("meta").textContent = r.duration_seconds.toFixed(2) + " s · " + r.voice + " · " + r.emotion +
        (r.cached ? " · cached" : "") + (r.test_voice ? " · test voice (not speech)" : "");
      $("result").hidden = false;
      if (r.test_voice) $("test-voice-banner").hidden = false;
    } catch (e) {
      showError("Request failed: " + e.message);
    } finally {
      $("synthesize").disabled = false;
      $("status").textContent = "";
    }
  }

  $("voice").addEventListener("change", fillEmotions);
  $("tts-form").addEventListener("submit", synthesize);
  $("api-key").addEventListener("change", loadVoices);
  loadVoices();
})();
