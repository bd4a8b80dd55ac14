/** Writes schema/datacenter.schema.json (`npm run schema`). */
import { writeFileSync } from "fs";
import * as path from "path";
import { generateSpecSchema, ROOT } from "./schema-generator";

writeFileSync(path.join(ROOT, "schema/datacenter.schema.json"), JSON.stringify(generateSpecSchema(), null, 2) + "\n");
console.log("wrote schema/datacenter.schema.json");
