"use strict";
// The web page's logic: load voices, POST /v1/tts, show the player and download link, or a clear error.
(function () {
  const $ = (id) => document.getElementById(id);
  let voices = [];
  let blobUrl = null;
  const EMOTION_LABELS = { neutral: "中性", happy: "开心", angry: "生气", sad: "悲伤", fear: "恐惧", hate: "厌恶",
                           surprise: "惊讶", arousal: "激动" };
  const IAM_HINT = "HTTP 403: this Function URL uses AWS_IAM auth, which a browser cannot sign. Reach the page " +
    "through 'sambert-lambda serve' or 'sam local start-api', or deploy with AuthType NONE plus API_KEY " +
    "(see docs/http-api.md, 'The web page').";

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
    if (resp.status === 403) return IAM_HINT;
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
    (v ? v.emotions : ["neutral"]).forEach((e) => {
      const label = EMOTION_LABELS[e] ? EMOTION_LABELS[e] + " (" + e + ")" : e;
      sel.add(new Option(label, e, e === "neutral", e === "neutral"));
    });
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

  function clearResult() {
    $("result").hidden = true;
    $("player").removeAttribute("src");
    $("download").removeAttribute("href");
    $("meta").textContent = "";
    if (blobUrl) { URL.revokeObjectURL(blobUrl); blobUrl = null; }
  }

  async function offerDownload(url, name) {
    // a real download: the audio as a same-origin blob (a cross-origin link would only navigate to S3)
    $("download").href = url;
    $("download").setAttribute("download", name);
    try {
      const resp = await fetch(url);
      if (!resp.ok) return;
      blobUrl = URL.createObjectURL(await resp.blob());
      $("download").href = blobUrl;
    } catch (e) { /* the bucket sends no CORS headers: the link stays the presigned URL */ }
  }

  async function synthesize(ev) {
    ev.preventDefault();
    showError("");
    clearResult();
    const text = $("text").value;
    if (!text.trim()) { showError("Please type some text first."); return; }
    const payload = {
      text: text, voice: $("voice").value || null, emotion: $("emotion").value || "neutral",
      speed: parseFloat($("speed").value || "1"), pitch: parseFloat($("pitch").value || "0"),
      volume: parseFloat($("volume").value || "0"), format: $("format").value,
    };
    if ($("sample-rate").value) payload.sample_rate = parseInt($("sample-rate").value, 10);
    if ($("ssml").checked) payload.ssml = true;
    $("synthesize").disabled = true;
    $("status").textContent = "Synthesizing…";
    try {
      const resp = await fetch("v1/tts", { method: "POST", headers: headers(), body: JSON.stringify(payload) });
      if (!resp.ok) { showError(await readError(resp)); return; }
      const r = await resp.json();
      $("player").src = r.url;
      await offerDownload(r.url, r.key.split("/").pop());
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
