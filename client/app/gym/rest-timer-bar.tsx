// The rest timer on screen: time left, +30 s and Skip; when the rest is over the phone vibrates
// (navigator.vibrate, where the browser has it), a short tone plays, and screen readers hear
// "Rest over". Ticks once a second from the stored end time, so it never drifts.
import { useEffect, useState } from "react";
import { endRest, extendRest, formatRest, markSignalled, useRest } from "./rest-timer.js";

const VIBRATION = [300, 150, 300];

export function RestTimerBar() {
  const rest = useRest();
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!rest) return;
    setNow(Date.now());
    const tick = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(tick);
  }, [rest]);

  const left = rest ? (rest.endsAt - now) / 1000 : 0;
  const over = rest !== undefined && left <= 0;
  useEffect(() => {
    if (!over || rest.signalled) return;
    markSignalled();
    signalEnd();
  }, [over, rest]);

  if (!rest) return null;
  return (
    <section className={`rest-bar ${over ? "rest-over" : ""}`} aria-label="Rest timer" data-testid="rest-timer" data-left={Math.max(0, Math.ceil(left))}>
      <div className="rest-text">
        <span className="rest-time" role="timer" aria-live="off">
          {over ? "Rest over" : `Rest ${formatRest(left)}`}
        </span>
        <span className="rest-after">after {rest.after}</span>
      </div>
      <progress className="rest-progress" max={rest.seconds} value={Math.max(0, left)} aria-label="Rest left" />
      <p className="visually-hidden" role="status">
        {over ? "Rest over" : ""}
      </p>
      {!over && (
        <button type="button" className="button button-quiet" onClick={() => extendRest(30)}>
          +30 s
        </button>
      )}
      <button type="button" className="button button-quiet" onClick={endRest}>
        {over ? "Dismiss" : "Skip"}
      </button>
    </section>
  );
}

function signalEnd(): void {
  if (typeof navigator.vibrate === "function") navigator.vibrate(VIBRATION);
  try {
    const audio = new AudioContext();
    const tone = audio.createOscillator();
    tone.frequency.value = 880;
    tone.connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.25);
    tone.onended = () => void audio.close();
  } catch {
    // No audio here (or not allowed before a tap): the vibration and the screen say it.
  }
}
