// Copies the licence of every package bundled (per esbuild's metafile) next to the bundles.
const fs = require("fs"), path = require("path");
const out = process.argv[2];
const meta = JSON.parse(fs.readFileSync("src/generated/meta.json"));
const names = new Set();
for (const input of Object.keys(meta.inputs)) {
  const m = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/g);
  if (m) names.add(m[m.length - 1].replace("node_modules/", ""));
}
const lines = [];
for (const name of [...names].sort()) {
  const dir = path.join("node_modules", name);
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json")));
  const target = path.join(out, "licenses", name.replace("/", "__") + ".txt");
  const file = fs.readdirSync(dir).find((f) => /^(licen[cs]e|copying)/i.test(f));
  let text;
  if (file) text = fs.readFileSync(path.join(dir, file), "utf8");
  else {
    // no licence file shipped: the README's licence section and the package's own statement
    const readme = fs.readdirSync(dir).find((f) => /^readme/i.test(f));
    const body = readme ? fs.readFileSync(path.join(dir, readme), "utf8") : "";
    const section = (body.match(/#+\s*licen[cs]e[\s\S]*$/i) || [""])[0];
    const author = typeof pkg.author === "string" ? pkg.author : (pkg.author && pkg.author.name) || "";
    text = `${name}@${pkg.version}\nLicense: ${pkg.license || "(not stated in package.json)"}\nAuthor: ${author}\n` +
      `Repository: ${JSON.stringify(pkg.repository || "")}\n\n${section}`;
  }
  fs.writeFileSync(target, text);
  lines.push(`${name}@${pkg.version} ${pkg.license || "see file"} licenses/${path.basename(target)}`);
}
fs.writeFileSync(path.join(out, "licenses", "PACKAGES.txt"), lines.join("\n") + "\n");
