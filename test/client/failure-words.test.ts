// The words a person reads when a document of a newer app cannot be opened here, or when the
// relay is older than this app.
import { describe, expect, it } from "vitest";
import { notOpened, refusalInWords } from "../../client/app/failure-words.js";
import { SchemaTooNew } from "../../schema/document-version.js";

describe("failure words for a newer schema", () => {
  it("a document of a newer app says to update the app, and that it is kept", () => {
    const words = notOpened(new SchemaTooNew(3), "workout");
    expect(words).toContain("update the app");
    expect(words).toContain("kept as it is");
    expect(notOpened(new Error("disk gone"), "workout")).toBe("Could not open this workout: disk gone");
  });

  it("a relay older than this app is not called one that lost data; a newer app's change says to update", () => {
    const relayWords = "FAILED_PRECONDITION: document schema 3 is newer than this relay reads (up to 2): update the relay; the change stays on the device";
    const words = refusalInWords({ code: "FAILED_PRECONDITION", message: relayWords });
    expect(words).toContain("older than this app");
    expect(words).not.toContain("lost data");
    const newerApp = refusalInWords({ code: "FAILED_PRECONDITION", message: new SchemaTooNew(3).message });
    expect(newerApp).toContain("update the app");
    expect(newerApp).toContain("kept on this device");
    expect(refusalInWords({ code: "FAILED_PRECONDITION", message: "FAILED_PRECONDITION: version 7 is from the future" })).toContain("lost data");
  });
});
