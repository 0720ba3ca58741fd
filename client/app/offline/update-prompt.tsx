// Above any screen: a new version of the app is installed and waits for the person's word.
import { updateNow, useAppShell } from "./app-shell.js";

export function UpdatePrompt() {
  const shell = useAppShell();
  if (shell.updateWaiting) {
    return (
      <section className="prompt" aria-label="Update available" data-testid="update-prompt">
        <p>
          <strong>Update available.</strong> A new version of IronFlow is ready. Switch when you are done typing: nothing you typed is lost.
        </p>
        <button type="button" className="button button-primary" onClick={updateNow}>
          Update now
        </button>
      </section>
    );
  }
  if (shell.reloadToUpdate) {
    return (
      <section className="prompt" aria-label="Update available" data-testid="update-prompt">
        <p>IronFlow was updated in another tab. Reload this one when you are ready.</p>
        <button type="button" className="button button-primary" onClick={() => window.location.reload()}>
          Reload
        </button>
      </section>
    );
  }
  return null;
}
