// The rest timer on screen: time left, +30 s and Skip; when the rest is over the phone vibrates
// (navigator.vibrate, where the browser has it), a short tone plays, and screen readers hear
// "Rest over". Draws from the stored end time on each second boundary, so it never drifts.
import { useEffect, useState } from "react";
import { endRest, extendRest, formatRest, markSignalled, useRest, type Rest } from "./rest-timer.js";

const VIBRATION = [300, 150, 300];

export function RestTimerBar() {
  const rest = useRest();
  useSecondTicks(rest);
  // Read at every render, never kept in state: a `now` kept from an earlier render (the editor's
  // mount, the last tick) is older than the rest's start, so a fresh 60 s rest drew as 61 or more.
  const left = rest ? (rest.endsAt - Date.now()) / 1000 : 0;
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

/**
 * Renders again as each whole second of the rest runs out (and once more at its end), timed from
 * the stored end, so the countdown changes on the second rather than up to a second late.
 */
function useSecondTicks(rest: Rest | undefined): void {
  const [, setTicks] = useState(0);
  useEffect(() => {
    if (!rest) return;
    let timer: ReturnType<typeof setTimeout>;
    const schedule = () => {
      const untilNextSecond = (rest.endsAt - Date.now()) % 1000;
      timer = setTimeout(() => {
        setTicks((n) => n + 1);
        if (Date.now() < rest.endsAt) schedule();
      }, untilNextSecond > 0 ? untilNextSecond : 1000);
    };
    schedule();
    return () => clearTimeout(timer);
  }, [rest]);
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
