// A device in its own process, for tests that kill it: logs workouts one after another and
// prints "saved <id>" once each is saved on the device. Args: dataDir relayUrl count
import { openNodeClient } from "../../client/node/open-node-client.js";
import { testAccount } from "./accounts.js";
import { workout } from "./devices.js";

const [dataDir, relayUrl, count] = process.argv.slice(2);
const client = await openNodeClient({ dataDir: dataDir!, relayUrl: relayUrl!, account: testAccount("user-1"), deviceName: "killed-phone", syncOnChange: false });
for (let i = 0; i < Number(count); i++) {
  const id = await client.create("workout", workout(`Session ${i}`, [{ name: "Deadlift", sets: [[5, 180], [5, 180], [3, 190]] }]));
  process.stdout.write(`saved ${id}\n`);
}
process.stdout.write("done\n");
