// The app's frame: who and which device, the sync status, what waits for the person, the
// screens, and whether this tab works offline and syncs itself or through another tab.
import type { DeviceSettings } from "./device-settings.js";
import type { AppDevice } from "./device/app-device.js";
import { AccountScreen } from "./account/account-screen.js";
import { SignedOutPrompt } from "./account/signed-out-prompt.js";
import { ActivityList } from "./activity/activity-list.js";
import { DataScreen } from "./transfer/data-screen.js";
import { needsPerson } from "./needs-person.js";
import { NewWorkoutForm } from "./new-workout-form.js";
import { ProfileScreen } from "./gym/profile-screen.js";
import { VolumeScreen } from "./gym/volume-screen.js";
import { ExerciseHistoryScreen } from "./gym/exercise-history-screen.js";
import { RecoveryScreen } from "./gym/recovery-screen.js";
import { ProgressionScreen } from "./gym/progression-screen.js";
import { useAppShell } from "./offline/app-shell.js";
import { UpdatePrompt } from "./offline/update-prompt.js";
import { ReviewPrompt } from "./review/review-prompt.js";
import { RefusedItems } from "./refused/refused-items.js";
import { SyncHealth } from "./health/sync-health.js";
import { NearbyScreen } from "./nearby/nearby-screen.js";
import { ConflictReview } from "./review/conflict-review.js";
import { DuplicateReview } from "./review/duplicate-review.js";
import { ReviewList } from "./review/review-list.js";
import { StatusBar } from "./status-bar.js";
import { useDeviceVersion } from "./use-device-version.js";
import { routeHref, useRoute, type Route } from "./use-route.js";
import { WorkoutEditor } from "./workout-editor.js";
import { WorkoutList } from "./workout-list.js";

interface Props {
  device: AppDevice & { usesLocks: boolean; failure: Error | undefined };
  settings: DeviceSettings;
  onSwitchUser: () => void;
}

export function App({ device, settings, onSwitchUser }: Props) {
  const route = useRoute();
  const wide = route.screen === "conflict" || route.screen === "duplicate";
  const reviewing = route.screen === "review" || route.screen === "conflict" || route.screen === "duplicate";
  return (
    <div className={wide ? "app app-wide" : "app"}>
      <header className="app-head">
        <h1>
          <a href="#/">IronFlow</a>
        </h1>
        <p className="who">
          <span data-testid="account">{settings.email}</span> · <span>{settings.deviceName}</span>{" "}
          <a className="link-button" href={routeHref({ screen: "volume" })}>
            Volume
          </a>{" "}
          <a className="link-button" href={routeHref({ screen: "recovery" })}>
            Recovery
          </a>{" "}
          <a className="link-button" href={routeHref({ screen: "progression" })}>
            Progression
          </a>{" "}
          <a className="link-button" href={routeHref({ screen: "profile" })}>
            Profile
          </a>{" "}
          <a className="link-button" href={routeHref({ screen: "account" })}>
            Account
          </a>
        </p>
      </header>
      {/* Above the status and the prompts, whose rows come and go as sync runs: a tab does not
          move between the press and the release of a tap (a click lost so failed a browser test). */}
      <ScreenTabs device={device} route={route} />
      <StatusBar device={device} />
      <SignedOutPrompt device={device} settings={settings} />
      <UpdatePrompt />
      {device.failure && (
        <p className="form-error" role="alert">
          This tab could not open your workouts: {device.failure.message}
        </p>
      )}
      {!reviewing && <ReviewPrompt device={device} />}
      <main>
        <Screen device={device} route={route} settings={settings} onSwitchUser={onSwitchUser} />
      </main>
      <Footer device={device} />
    </div>
  );
}

function Screen({ device, route, settings, onSwitchUser }: { device: AppDevice; route: Route; settings: DeviceSettings; onSwitchUser: () => void }) {
  switch (route.screen) {
    case "list":
      return <WorkoutList device={device} userId={settings.userId} />;
    case "new":
      return <NewWorkoutForm device={device} userId={settings.userId} />;
    case "workout":
      return <WorkoutEditor key={route.id} device={device} id={route.id} />;
    case "review":
      return <ReviewList device={device} />;
    case "conflict":
      return <ConflictReview key={route.id} device={device} id={route.id} deviceName={settings.deviceName} />;
    case "duplicate":
      return <DuplicateReview key={route.id} device={device} flagId={route.id} />;
    case "activity":
      return <ActivityList device={device} />;
    case "refused":
      return <RefusedItems device={device} />;
    case "data":
      return <DataScreen device={device} userId={settings.userId} />;
    case "account":
      return <AccountScreen device={device} settings={settings} onSignOut={onSwitchUser} />;
    case "health":
      return <SyncHealth device={device} userId={settings.userId} />;
    case "profile":
      return <ProfileScreen device={device} />;
    case "volume":
      return <VolumeScreen device={device} />;
    case "recovery":
      return <RecoveryScreen device={device} />;
    case "nearby":
      return <NearbyScreen device={device} />;
    case "progression":
      return <ProgressionScreen device={device} />;
    case "exercise":
      return <ExerciseHistoryScreen key={route.name} device={device} name={route.name} />;
  }
}

function ScreenTabs({ device, route }: { device: AppDevice; route: Route }) {
  useDeviceVersion(device);
  const counts = needsPerson(device);
  const current = (screens: Route["screen"][]) => (screens.includes(route.screen) ? "page" : undefined);
  const count = (n: number, what: string) =>
    n > 0 && (
      <span className="tab-count" aria-label={`${n} ${what}`}>
        {n}
      </span>
    );
  return (
    <nav className="screen-tabs" aria-label="Screens">
      <a href="#/" aria-current={current(["list", "new", "workout"])}>
        Workouts
      </a>
      <a href={routeHref({ screen: "review" })} aria-current={current(["review", "conflict", "duplicate"])}>
        Review {count(counts.conflicts + counts.duplicates, "waiting")}
      </a>
      <a href={routeHref({ screen: "activity" })} aria-current={current(["activity"])}>
        Activity {count(counts.unseen, "new")}
      </a>
      <a href={routeHref({ screen: "data" })} aria-current={current(["data", "refused"])}>
        Data
      </a>
    </nav>
  );
}

function Footer({ device }: { device: AppDevice & { usesLocks: boolean } }) {
  useDeviceVersion(device);
  const shell = useAppShell();
  return (
    <footer className="app-foot">
      {shell.supported && (
        <span data-testid="offline-ready" data-ready={shell.offlineReady}>
          {shell.offlineReady ? "Works offline on this device" : "Getting ready to work offline…"}
        </span>
      )}
      <a className="link-button" href={routeHref({ screen: "nearby" })}>
        Nearby device
      </a>
      <span data-testid="tab-role" data-role={device.role}>
        {device.role === "leader" ? "This tab syncs" : "Syncing through another IronFlow tab"}
      </span>
    </footer>
  );
}
