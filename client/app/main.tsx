// Boot: ask who logs here (once), take this browser's device store, open the client, show the app.
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import type { IronFlowClient } from "../core/index.js";
import { App } from "./app.js";
import { DeviceSetup } from "./device-setup.js";
import { forgetSettings, loadSettings, saveSettings, type DeviceSettings } from "./device-settings.js";
import { openBrowserClient } from "./open-browser-client.js";
import { holdDeviceLock } from "./single-tab.js";
import "./styles.css";

const root = createRoot(document.getElementById("root")!);

function notice(text: string, tone: "info" | "error" = "info") {
  root.render(
    <div className="app">
      <p className={`notice notice-${tone}`} role={tone === "error" ? "alert" : "status"}>
        {text}
      </p>
    </div>,
  );
}

async function start(settings: DeviceSettings): Promise<void> {
  notice("Opening your workouts…");
  let client: IronFlowClient;
  try {
    client = await openBrowserClient(settings);
  } catch (err) {
    notice(`This browser's storage could not be opened: ${(err as Error).message}`, "error");
    return;
  }
  const switchUser = () => {
    void client.close().finally(() => {
      forgetSettings();
      window.location.reload();
    });
  };
  root.render(
    <StrictMode>
      <App client={client} settings={settings} onSwitchUser={switchUser} />
    </StrictMode>,
  );
}

function boot(settings: DeviceSettings) {
  holdDeviceLock(`ironflow-device-${settings.userId}`, () => start(settings), () =>
    notice("IronFlow is open in another tab. Close it and this one takes over."),
  );
}

const saved = loadSettings();
if (saved) {
  boot(saved);
} else {
  root.render(
    <DeviceSetup
      onDone={(settings) => {
        saveSettings(settings);
        boot(settings);
      }}
    />,
  );
}
