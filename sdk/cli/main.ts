/** Entry point of the `dcnet` CLI (`bin/dcnet`, `npm start`). See ./program.ts. */
import { runCli } from "./program";

runCli(process.argv).then((code) => {
  process.exitCode = code;
});
