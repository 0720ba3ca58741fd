// Boot: ask who logs here (once), find out whether this tab holds the device store or uses the
// tab that does, and show the app. The client core (Automerge's 3.6 MB wasm among it) loads in
// its own chunk, started at once but not waited for, so the first screen paints before the wasm
// has compiled. The service worker starts first of all, so even this screen opens offline.
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { DeviceSetup } from "./device-setup.js";
import { forgetSettings, loadSettings, saveSettings, type DeviceSettings } from "./device-settings.js";
import type { AuthSession } from "../core/index.js";
import { startAppShell } from "./offline/app-shell.js";
import "./styles.css";

startAppShell();
const rootElement = document.getElementById("root");
if (!rootElement) throw new Error("index.html has no #root element");
const root = createRoot(rootElement);
const core = Promise.all([import("./open-browser-client.js"), import("./app.js"), import("./tabs/tab-device.js")]);

function notice(text: string, tone: "info" | "error" = "info") {
  root.render(
    <div className="app">
      <p className={`notice notice-${tone}`} role={tone === "error" ? "alert" : "status"}>
        {text}
      </p>
    </div>,
  );
}

/** `session`: from a sign-in just made on this page (none: the one the device store kept). */
async function start(settings: DeviceSettings, session?: AuthSession): Promise<void> {
  notice("Opening your workouts…");
  try {
    const [{ openBrowserClient }, { App }, { TabDevice }] = await core;
    const device = new TabDevice(`ironflow-device-${settings.userId}`, () => openBrowserClient(settings, session));
    device.start();
    await device.ready;
    if (device.failure) throw device.failure;
    // Signing out keeps everything on the device: what waits syncs after signing in again.
    const switchUser = () => {
      void device
        .signOut()
        .then(() => device.close())
        .finally(() => {
          forgetSettings();
          // The next person starts on the list, not on the screen the last one left open.
          history.replaceState(null, "", window.location.pathname + window.location.search);
          window.location.reload();
        });
    };
    root.render(
      <StrictMode>
        <App device={device} settings={settings} onSwitchUser={switchUser} />
      </StrictMode>,
    );
  } catch (err) {
    notice(`IronFlow could not start on this browser: ${(err as Error).message}`, "error");
  }
}

const saved = loadSettings();
if (saved) {
  void start(saved);
} else {
  root.render(
    <DeviceSetup
      onDone={(settings, session) => {
        saveSettings(settings);
        void start(settings, session);
      }}
    />,
  );
}
