// The app's frame: who and which device, the sync status, a new version waiting, the current
// screen, and whether the app works offline here.
import type { IronFlowClient } from "../core/index.js";
import type { DeviceSettings } from "./device-settings.js";
import { NewWorkoutForm } from "./new-workout-form.js";
import { useAppShell } from "./offline/app-shell.js";
import { UpdatePrompt } from "./offline/update-prompt.js";
import { StatusBar } from "./status-bar.js";
import { useAutoSync } from "./use-auto-sync.js";
import { routeHref, useRoute } from "./use-route.js";
import { WorkoutEditor } from "./workout-editor.js";
import { WorkoutList } from "./workout-list.js";

interface Props {
  client: IronFlowClient;
  settings: DeviceSettings;
  onSwitchUser(): void;
}

export function App({ client, settings, onSwitchUser }: Props) {
  useAutoSync(client);
  const route = useRoute();
  return (
    <div className="app">
      <header className="app-head">
        <h1>
          <a href="#/">IronFlow</a>
        </h1>
        <p className="who">
          <span data-testid="user-id">{settings.userId}</span> · <span>{settings.deviceName}</span>{" "}
          <button type="button" className="link-button" onClick={onSwitchUser}>
            Switch user
          </button>
        </p>
      </header>
      <StatusBar client={client} />
      <UpdatePrompt />
      <main>
        {route.screen === "list" && (
          <>
            <a className="button button-primary button-block" href={routeHref({ screen: "new" })}>
              + New workout
            </a>
            <WorkoutList client={client} />
          </>
        )}
        {route.screen === "new" && <NewWorkoutForm client={client} />}
        {route.screen === "workout" && <WorkoutEditor key={route.id} client={client} id={route.id} />}
      </main>
      <OfflineReady />
    </div>
  );
}

function OfflineReady() {
  const shell = useAppShell();
  if (!shell.supported) return null;
  return (
    <footer className="app-foot">
      <span data-testid="offline-ready" data-ready={shell.offlineReady}>
        {shell.offlineReady ? "Works offline on this device" : "Getting ready to work offline…"}
      </span>
    </footer>
  );
}
