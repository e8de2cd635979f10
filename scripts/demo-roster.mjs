// The demo's roster (README walkthrough, step 7): the people HR knows, built from the demo
// accounts' members so every member is known except one (contractor@partner.example: an account
// nobody owns) and one known person is a leaver who still has access (zoe.angstrom@acme-corp.example).
// Uploaded by `npm start` when the connector has no roster; `DELETE /v1/roster` removes it until
// the next start.

const DEMO_ACCOUNTS = ["3f2a9c1e7b5d4f60a8e2c4b6d8f01a23", "9b7e5d3c1a2f4e6d8c0b2a4f6e8d0c1b"];
export const DEMO_LEAVER = "zoe.angstrom@acme-corp.example";
export const DEMO_UNKNOWN = "contractor@partner.example";

const csvField = (v) => (/[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);

/** Uploads the demo roster unless one exists. Returns a sentence for the banner, or null. */
export async function seedDemoRoster({ api, adminToken, simulator }) {
  const auth = { Authorization: `Bearer ${adminToken}` };
  const current = await (await fetch(`${api}/v1/roster?limit=1`, { headers: auth })).json();
  if (current.roster) return null;
  const people = new Map();
  for (const id of DEMO_ACCOUNTS) {
    const response = await fetch(`${simulator}/__sim/accounts/${id}/members`);
    if (!response.ok) continue; // an account the user deleted from the simulator
    for (const m of (await response.json()).members) {
      const email = (m.user?.email ?? m.email ?? "").trim().toLowerCase();
      if (email === "" || email === DEMO_UNKNOWN) continue;
      const name = [m.user?.first_name, m.user?.last_name].filter(Boolean).join(" ");
      people.set(
        email,
        `${csvField(email)},${csvField(name)},${email === DEMO_LEAVER ? "leaver" : "active"}`,
      );
    }
  }
  const csv = `email,name,status\n${[...people.values()].join("\n")}\n`;
  const response = await fetch(`${api}/v1/roster`, {
    method: "PUT",
    headers: { ...auth, "Content-Type": "text/csv" },
    body: csv,
  });
  if (!response.ok) return `Could not upload the demo roster: ${response.status} ${await response.text()}`;
  return `Uploaded a demo roster of ${people.size} people (${DEMO_LEAVER} is a leaver; ${DEMO_UNKNOWN} is on no roster).`;
}
