// The agent's opt-in alerts while the tab is hidden: a short WebAudio beep (no
// audio file) and a browser notification (asked for only when "Notify me" is
// ticked). Preferences stay in this browser.

const KEYS = { sound: "chatelly.inbox.sound", notify: "chatelly.inbox.notify" };
let audio = null;

export function pref(name) {
  try {
    return localStorage.getItem(KEYS[name]) === "1";
  } catch {
    return false;
  }
}

export function setPref(name, on) {
  try {
    localStorage.setItem(KEYS[name], on ? "1" : "0");
  } catch {
    // private mode: the choice lasts for this page only
  }
}

/** Ask for the browser's permission; true when notifications may be shown. */
export async function askPermission() {
  if (!("Notification" in window)) return false;
  if (Notification.permission === "granted") return true;
  if (Notification.permission === "denied") return false;
  try {
    return (await Notification.requestPermission()) === "granted";
  } catch {
    return false;
  }
}

export function beep() {
  try {
    audio = audio || new AudioContext();
    const now = audio.currentTime;
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = "sine";
    osc.frequency.setValueAtTime(880, now);
    gain.gain.setValueAtTime(0.0001, now);
    gain.gain.exponentialRampToValueAtTime(0.2, now + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + 0.25);
    osc.connect(gain).connect(audio.destination);
    osc.start(now);
    osc.stop(now + 0.3);
  } catch {
    // no audio output: nothing to do
  }
}

/** Alert the agent about something new, only while the tab is hidden. */
export function alertAgent(title, body, chatId) {
  if (!document.hidden) return;
  if (pref("sound")) beep();
  if (!pref("notify") || !("Notification" in window) || Notification.permission !== "granted") return;
  try {
    const note = new Notification(title, { body: body.slice(0, 140), tag: `chatelly-chat-${chatId}` });
    note.addEventListener("click", () => {
      window.focus();
      location.hash = `#/inbox/${chatId}`;
      note.close();
    });
  } catch {
    // some browsers only notify from a service worker
  }
}
