/**
 * deploy/ (Dockerfile, compose.yaml, k8s/) checked statically against the built CLI: no Docker
 * engine or cluster is needed (none was available where these files were written). Every
 * codeloop command line in the files must name a real subcommand with flags its --help lists;
 * serve's --port must be the port everything else points at; --secret-file paths must be where
 * the secret is mounted; the redis URL must name the redis service. Each check is also run
 * against a broken copy of the files, so a check that can no longer fail fails the test.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";

const root = path.resolve(import.meta.dirname, "../..");
const cli = path.join(root, "dist/cli/index.js");
const K8S_FILES = ["secret.yaml", "redis.yaml", "worker.yaml", "serve.yaml"] as const;
/** What .ci/run installs for judging (it also installs test-only packages: chromium, redis). */
const JUDGE_PACKAGES = ["bubblewrap", "g++", "python3", "pypy3"];

// ---- the files' shapes, as far as the checks read them ----

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  secrets?: (string | { source: string; target?: string })[];
  ports?: (string | number)[];
  healthcheck?: { test?: string[] | string };
  environment?: Record<string, string> | string[];
  volumes?: string[];
}
interface Compose {
  services: Record<string, ComposeService>;
  secrets?: Record<string, { file?: string }>;
}
interface Probe {
  httpGet?: { path?: string; port?: number | string };
}
interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  ports?: { containerPort: number; name?: string }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  resources?: { requests?: { cpu?: string | number } };
}
interface Volume {
  name: string;
  secret?: { secretName: string; items?: { key: string; path: string }[] };
}
interface PodSpec {
  containers: Container[];
  volumes?: Volume[];
  terminationGracePeriodSeconds?: number;
}
interface K8sDoc {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  spec?: {
    template?: { spec: PodSpec };
    selector?: Record<string, string> | { matchLabels?: Record<string, string> };
    ports?: { port: number; targetPort?: number | string }[];
  };
}
interface Deploy {
  dockerfile: string;
  ciRun: string;
  compose: Compose;
  k8s: Record<string, K8sDoc[]>;
}

function load(): Deploy {
  const read = (p: string) => readFileSync(path.join(root, p), "utf8");
  const k8s: Record<string, K8sDoc[]> = {};
  for (const f of K8S_FILES) {
    const docs = parseAllDocuments(read(`deploy/k8s/${f}`));
    if (!Array.isArray(docs)) throw new Error(`deploy/k8s/${f}: not YAML`);
    k8s[f] = docs.map((d) => {
      if (d.errors.length > 0) throw new Error(`deploy/k8s/${f}: ${d.errors[0]?.message}`);
      return d.toJS() as K8sDoc;
    });
  }
  return {
    dockerfile: read("deploy/Dockerfile"),
    ciRun: read(".ci/run"),
    compose: parse(read("deploy/compose.yaml")) as Compose,
    k8s,
  };
}

// ---- the CLI's help, once per subcommand ----

interface Help {
  exists: boolean;
  text: string;
  /** flag -> takes a value */
  flags: Map<string, boolean>;
  positionals: boolean;
}
const helps = new Map<string, Help>();
function help(sub: string): Help {
  const cached = helps.get(sub);
  if (cached) return cached;
  const r = spawnSync(process.execPath, [cli, sub, "--help"], { encoding: "utf8", timeout: 30_000 });
  const text = `${r.stdout}${r.stderr}`;
  // Commander prints the top-level help for an unknown name: the usage line names the command.
  const usage = text.match(/^Usage: codeloop (\S+)(.*)$/m);
  const exists = r.status === 0 && usage?.[1] === sub;
  const flags = new Map<string, boolean>();
  for (const m of text.matchAll(/^\s+(?:-\w, )?(--[a-z0-9][a-z0-9-]*)( [<[])?/gm)) {
    flags.set(m[1]!, m[2] !== undefined);
  }
  const h = { exists, text, flags, positionals: /[<[](?!options\])/.test(usage?.[2] ?? "") };
  helps.set(sub, h);
  return h;
}

// ---- command lines in the files ----

interface CommandLine {
  where: string;
  /** after the image's entrypoint: subcommand first */
  args: string[];
}

function flagValue(args: string[], flag: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === flag) return args[i + 1];
    if (a.startsWith(`${flag}=`)) return a.slice(flag.length + 1);
  }
  return undefined;
}

/** Dockerfile instructions, continuation lines joined, comments dropped. */
function instructions(dockerfile: string): { op: string; rest: string }[] {
  const lines = dockerfile.split("\n").filter((l) => !/^\s*#/.test(l));
  const joined = lines.join("\n").replace(/\\\n/g, " ");
  return joined
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "")
    .map((l) => {
      const m = l.match(/^(\S+)\s*(.*)$/)!;
      return { op: m[1]!.toUpperCase(), rest: m[2]! };
    });
}

function jsonArray(rest: string | undefined, what: string, problems: string[]): string[] {
  try {
    const v = JSON.parse(rest ?? "") as unknown;
    if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v;
  } catch {}
  problems.push(`Dockerfile: ${what} is not a JSON array of strings (exec form)`);
  return [];
}

const isCodeloopImage = (image: string | undefined) => image?.split(":")[0]?.endsWith("codeloop") === true;

function deployments(d: Deploy): { file: string; doc: K8sDoc; pod: PodSpec }[] {
  return Object.entries(d.k8s).flatMap(([file, docs]) =>
    docs.flatMap((doc) =>
      doc?.kind === "Deployment" && doc.spec?.template ? [{ file, doc, pod: doc.spec.template.spec }] : [],
    ),
  );
}

function secrets(d: Deploy): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const docs of Object.values(d.k8s)) {
    for (const doc of docs) {
      if (doc?.kind !== "Secret") continue;
      out.set(
        doc.metadata.name,
        new Set([...Object.keys(doc.data ?? {}), ...Object.keys(doc.stringData ?? {})]),
      );
    }
  }
  return out;
}

function problems(d: Deploy): string[] {
  const out: string[] = [];
  const ins = instructions(d.dockerfile);
  const entry = jsonArray(ins.find((i) => i.op === "ENTRYPOINT")?.rest, "ENTRYPOINT", out);
  const cmd = jsonArray(ins.findLast((i) => i.op === "CMD")?.rest, "CMD", out);
  const lines: CommandLine[] = [{ where: "Dockerfile CMD", args: cmd }];

  // Dockerfile
  const script = entry[entry.length - 1] ?? "";
  if (entry[0] !== "node" || !script.endsWith("/dist/cli/index.js") || !path.isAbsolute(script)) {
    out.push(`Dockerfile: ENTRYPOINT ${JSON.stringify(entry)} is not node <absolute>/dist/cli/index.js`);
  }
  let workdir = "/";
  const copiedTo: string[] = [];
  for (const i of ins) {
    if (i.op === "FROM") workdir = "/";
    if (i.op === "WORKDIR") workdir = path.posix.resolve(workdir, i.rest);
    if (i.op === "COPY" && /--from=\S+/.test(i.rest) && /\bdist\/?\s/.test(`${i.rest} `)) {
      copiedTo.push(path.posix.resolve(workdir, i.rest.split(/\s+/).pop()!));
    }
  }
  const distDir = script.replace(/\/cli\/index\.js$/, "");
  if (!copiedTo.includes(distDir)) {
    out.push(
      `Dockerfile: nothing copies the builder's dist/ to ${distDir} (copied to: ${copiedTo.join(", ")})`,
    );
  }
  const runs = ins.filter((i) => i.op === "RUN").map((i) => i.rest);
  const aptInstalled = (text: string) =>
    [...text.matchAll(/apt-get install((?:\s+[^\s&;|>]+)+)/g)].flatMap((m) =>
      m[1]!
        .trim()
        .split(/\s+/)
        .filter((t) => !t.startsWith("-") && !t.startsWith("$")),
    );
  const installed = runs.flatMap(aptInstalled);
  const ciInstalled = aptInstalled(d.ciRun);
  for (const p of JUDGE_PACKAGES) {
    if (!installed.includes(p)) out.push(`Dockerfile: apt-get install lacks ${p}`);
    if (!ciInstalled.includes(p)) out.push(`.ci/run no longer installs ${p}: update JUDGE_PACKAGES`);
  }
  if (!runs.some((r) => r.includes("rm -rf /var/lib/apt/lists")))
    out.push("Dockerfile: apt lists not cleaned");
  if (runs.some((r) => /\bnpm ci\b/.test(r)))
    out.push("Dockerfile: uses npm ci (the lockfile lacks other platforms)");
  if (runs.some((r) => /--omit[= ]optional/.test(r)))
    out.push("Dockerfile: --omit=optional drops libsql's binary");
  if (!runs.some((r) => /npm install[^&;]*--omit[= ]dev/.test(r)))
    out.push("Dockerfile: no production install");
  const exposed = ins
    .filter((i) => i.op === "EXPOSE")
    .flatMap((i) => i.rest.split(/\s+/).map((p) => p.split("/")[0]));
  const cmdPort = flagValue(cmd, "--port");
  if (cmd[0] === "serve" && (cmdPort === undefined || !exposed.includes(cmdPort))) {
    out.push(`Dockerfile: CMD --port ${cmdPort} is not EXPOSEd (${exposed.join(", ")})`);
  }

  // compose
  const services = d.compose.services ?? {};
  for (const [name, svc] of Object.entries(services)) {
    if (!isCodeloopImage(svc.image) && svc.build === undefined) continue;
    const where = `compose ${name}`;
    if (!Array.isArray(svc.command)) {
      out.push(`${where}: command is not a list`);
      continue;
    }
    lines.push({ where, args: svc.command });
    const args = svc.command;
    const listed = (svc.secrets ?? []).map((s) => (typeof s === "string" ? { source: s, target: s } : s));
    const secretFile = flagValue(args, "--secret-file");
    if (secretFile !== undefined) {
      const m = secretFile.match(/^\/run\/secrets\/([^/]+)$/);
      const s = m && listed.find((l) => (l.target ?? l.source) === m[1]);
      if (!s)
        out.push(`${where}: --secret-file ${secretFile} is not /run/secrets/<a secret the service lists>`);
      else if (!d.compose.secrets?.[s.source])
        out.push(`${where}: secret ${s.source} is not defined at top level`);
    }
    const env = Array.isArray(svc.environment)
      ? Object.fromEntries(svc.environment.map((e) => [e.split("=")[0]!, e.split("=").slice(1).join("=")]))
      : (svc.environment ?? {});
    for (const [k, v] of Object.entries(env)) {
      if (k.startsWith("CODELOOP_") && !help(args[0] ?? "").text.includes(k)) {
        out.push(`${where}: ${args[0]} --help does not mention ${k}`);
      }
      if (/TOKEN|SECRET/.test(k) && !String(v).startsWith(`\${${k}`)) {
        out.push(`${where}: ${k} is a literal, not taken from the environment or an env file`);
      }
    }
    const queue = flagValue(args, "--queue");
    if (queue !== undefined) {
      const u = new URL(queue);
      const target = services[u.hostname];
      if (!target?.image?.startsWith("redis"))
        out.push(`${where}: --queue host ${u.hostname} is no redis service`);
      if ((u.port || "6379") !== "6379") out.push(`${where}: --queue port ${u.port} is not redis' 6379`);
    }
    const bench = flagValue(args, "--benchmark");
    if (
      bench !== undefined &&
      !(svc.volumes ?? []).some((v) => v.split(":")[1] === bench && /:ro$/.test(v))
    ) {
      out.push(`${where}: --benchmark ${bench} is not a read-only mounted volume`);
    }
    if (args[0] === "serve") {
      const port = flagValue(args, "--port");
      if (flagValue(args, "--host") !== "0.0.0.0") out.push(`${where}: serve does not listen on 0.0.0.0`);
      if (flagValue(args, "--token") !== undefined)
        out.push(`${where}: --token shows in ps; use the env var`);
      if (env.CODELOOP_SERVE_TOKEN === undefined) out.push(`${where}: no CODELOOP_SERVE_TOKEN`);
      const sides = (svc.ports ?? []).map((p) => String(p).split("/")[0]!.split(":").pop());
      if (!sides.includes(port))
        out.push(`${where}: ports ${sides.join(", ")} do not map container port ${port}`);
      const test = [svc.healthcheck?.test ?? []].flat().join(" ");
      const probe = test.match(/http:\/\/(?:127\.0\.0\.1|localhost):(\d+)\/healthz/);
      if (probe?.[1] !== port)
        out.push(`${where}: healthcheck ${probe?.[0]} is not /healthz on port ${port}`);
      if (/\bcurl\b|\bwget\b/.test(test)) out.push(`${where}: healthcheck uses a tool the image lacks`);
    }
  }

  // k8s
  const k8sSecrets = secrets(d);
  const k8sServices = Object.values(d.k8s)
    .flat()
    .filter((x) => x?.kind === "Service");
  for (const { file, doc, pod } of deployments(d)) {
    for (const c of pod.containers) {
      if (!isCodeloopImage(c.image)) continue;
      const where = `k8s/${file} ${doc.metadata.name}/${c.name}`;
      if (c.command !== undefined && JSON.stringify(c.command) !== JSON.stringify(entry)) {
        out.push(`${where}: command overrides the image's entrypoint`);
      }
      const args = c.args ?? [];
      lines.push({ where, args });
      for (const e of c.env ?? []) {
        const ref = e.valueFrom?.secretKeyRef;
        if (ref && !k8sSecrets.get(ref.name)?.has(ref.key)) {
          out.push(`${where}: env ${e.name} names key ${ref.key} of Secret ${ref.name}, which has none`);
        }
        if (/TOKEN|SECRET/.test(e.name) && !ref) out.push(`${where}: env ${e.name} is not from a Secret`);
        if (e.name.startsWith("CODELOOP_") && !help(args[0] ?? "").text.includes(e.name)) {
          out.push(`${where}: ${args[0]} --help does not mention ${e.name}`);
        }
      }
      const mountOf = (p: string) =>
        (c.volumeMounts ?? []).find(
          (m) => p === m.mountPath || p.startsWith(`${m.mountPath.replace(/\/$/, "")}/`),
        );
      const secretFile = flagValue(args, "--secret-file");
      if (secretFile !== undefined) {
        const m = mountOf(secretFile);
        const vol = m && pod.volumes?.find((v) => v.name === m.name)?.secret;
        const rel = m ? path.posix.relative(m.mountPath, secretFile) : "";
        const key = vol?.items ? vol.items.find((i) => i.path === rel)?.key : rel;
        if (!vol || key === undefined || !k8sSecrets.get(vol.secretName)?.has(key)) {
          out.push(`${where}: --secret-file ${secretFile} is no key of a mounted Secret`);
        }
      }
      const bench = flagValue(args, "--benchmark");
      if (bench !== undefined && !(mountOf(bench)?.readOnly === true)) {
        out.push(`${where}: --benchmark ${bench} is not on a read-only volumeMount`);
      }
      const queue = flagValue(args, "--queue");
      if (queue !== undefined) {
        const u = new URL(queue);
        const svc = k8sServices.find((s) => s.metadata.name === u.hostname);
        const sel = svc?.spec?.selector as Record<string, string> | undefined;
        const backing = deployments(d).find(
          (x) =>
            sel &&
            Object.entries(sel).every(
              ([k, v]) =>
                (x.doc.spec?.selector as { matchLabels?: Record<string, string> })?.matchLabels?.[k] === v,
            ),
        );
        if (!svc || !backing?.pod.containers.some((x) => x.image?.startsWith("redis"))) {
          out.push(`${where}: --queue host ${u.hostname} is no Service of a redis Deployment`);
        } else if (!svc.spec?.ports?.some((p) => String(p.port) === (u.port || "6379"))) {
          out.push(`${where}: --queue port ${u.port || 6379} is not a port of Service ${u.hostname}`);
        }
      }
      const workers = flagValue(args, "--workers");
      const cpu = c.resources?.requests?.cpu;
      const cores =
        typeof cpu === "string" && cpu.endsWith("m") ? Number(cpu.slice(0, -1)) / 1000 : Number(cpu);
      if (workers !== undefined && cores !== Number(workers)) {
        out.push(`${where}: cpu request ${cpu} does not match --workers ${workers}`);
      }
      if (!(pod.terminationGracePeriodSeconds! >= 30)) out.push(`${where}: no terminationGracePeriodSeconds`);
      if (args[0] === "serve") {
        const port = Number(flagValue(args, "--port"));
        if (flagValue(args, "--host") !== "0.0.0.0") out.push(`${where}: serve does not listen on 0.0.0.0`);
        if (flagValue(args, "--token") !== undefined)
          out.push(`${where}: --token shows in ps; use the env var`);
        if (!c.env?.some((e) => e.name === "CODELOOP_SERVE_TOKEN" && e.valueFrom?.secretKeyRef)) {
          out.push(`${where}: CODELOOP_SERVE_TOKEN not from the Secret`);
        }
        const resolve = (p: number | string | undefined) =>
          typeof p === "string" && !/^\d+$/.test(p)
            ? c.ports?.find((x) => x.name === p)?.containerPort
            : Number(p);
        if (!c.ports?.some((p) => p.containerPort === port))
          out.push(`${where}: containerPort is not --port ${port}`);
        for (const [name, probe] of [
          ["readinessProbe", c.readinessProbe],
          ["livenessProbe", c.livenessProbe],
        ] as const) {
          if (probe?.httpGet?.path !== "/healthz" || resolve(probe.httpGet.port) !== port) {
            out.push(`${where}: ${name} is not GET /healthz on --port ${port}`);
          }
        }
        const front = k8sServices.filter((s) => s.metadata.name === doc.metadata.name);
        const targets = front.flatMap((s) => s.spec?.ports ?? []).map((p) => resolve(p.targetPort ?? p.port));
        if (front.length === 0 || !targets.every((t) => t === port)) {
          out.push(`${where}: Service ${doc.metadata.name} does not target --port ${port}`);
        }
      }
    }
  }

  // every command line: a real subcommand, flags its --help lists, values where they take one
  for (const { where, args } of lines) {
    const sub = args[0] ?? "";
    const h = help(sub);
    if (!h.exists) {
      out.push(`${where}: codeloop has no subcommand ${JSON.stringify(sub)}`);
      continue;
    }
    for (let i = 1; i < args.length; i++) {
      const a = args[i]!;
      if (!a.startsWith("-")) {
        if (!h.positionals) out.push(`${where}: ${sub} takes no argument ${JSON.stringify(a)}`);
        continue;
      }
      const flag = a.split("=")[0]!;
      const takesValue = h.flags.get(flag);
      if (takesValue === undefined) out.push(`${where}: ${sub} has no flag ${flag}`);
      else if (takesValue && !a.includes("=")) {
        const v = args[i + 1];
        if (v === undefined || v.startsWith("--")) out.push(`${where}: ${flag} lacks its value`);
        i++;
      }
    }
    const port = flagValue(args, "--port");
    if (port !== undefined && !(Number.isInteger(Number(port)) && Number(port) > 0 && Number(port) < 65536)) {
      out.push(`${where}: --port ${port} is not a port`);
    }
  }
  for (const need of ["serve", "worker"]) {
    if (!lines.some((l) => l.where.startsWith("compose") && l.args[0] === need))
      out.push(`compose: no ${need}`);
    if (!lines.some((l) => l.where.startsWith("k8s") && l.args[0] === need)) out.push(`k8s: no ${need}`);
  }
  return out;
}

describe("deploy files agree with the CLI", () => {
  it("the built CLI is there", () => {
    expect(help("serve").exists, `run npm run build (${cli})`).toBe(true);
    expect(help("no-such-command").exists).toBe(false);
  });

  it("has no problems", () => {
    expect(problems(load())).toEqual([]);
  });

  // Each check, against a broken copy of the files: a check that cannot fail fails here.
  type Mutation = [string, (d: Deploy) => void, RegExp];
  const compose = (d: Deploy, name: string) => d.compose.services[name]!;
  const k8sContainer = (d: Deploy, file: string) =>
    d.k8s[file]!.find((x) => x.kind === "Deployment")!.spec!.template!.spec.containers[0]!;
  const edit = (args: string[] | string | undefined, from: string, to: string) => {
    const a = args as string[];
    a[a.indexOf(from)] = to;
  };
  const mutations: Mutation[] = [
    [
      "misspelled compose worker flag",
      (d) => edit(compose(d, "worker").command, "--secret-file", "--secretfile"),
      /worker has no flag --secretfile/,
    ],
    [
      "misspelled k8s serve flag",
      (d) => edit(k8sContainer(d, "serve.yaml").args, "--benchmark", "--benchmarks"),
      /serve has no flag --benchmarks/,
    ],
    [
      "unknown subcommand",
      (d) => edit(k8sContainer(d, "worker.yaml").args, "worker", "workers"),
      /no subcommand "workers"/,
    ],
    [
      "flag without its value",
      (d) => {
        compose(d, "serve").command = ["serve", "--host", "0.0.0.0", "--port"];
      },
      /--port lacks its value/,
    ],
    [
      "compose serve port",
      (d) => edit(compose(d, "serve").command, "8080", "8081"),
      /ports 8080 do not map container port 8081/,
    ],
    [
      "compose healthcheck port",
      (d) => {
        compose(d, "serve").healthcheck!.test = [
          "CMD",
          "node",
          "-e",
          "fetch('http://127.0.0.1:9090/healthz')",
        ];
      },
      /healthcheck .* is not \/healthz on port 8080/,
    ],
    [
      "k8s serve port",
      (d) => edit(k8sContainer(d, "serve.yaml").args, "8080", "9000"),
      /containerPort is not --port 9000/,
    ],
    [
      "k8s probe port",
      (d) => {
        k8sContainer(d, "serve.yaml").livenessProbe!.httpGet!.port = 8000;
      },
      /livenessProbe is not GET \/healthz/,
    ],
    [
      "Dockerfile CMD flag",
      (d) => {
        d.dockerfile = d.dockerfile.replace('"--host"', '"--hots"');
      },
      /Dockerfile CMD: serve has no flag --hots/,
    ],
    [
      "Dockerfile EXPOSE",
      (d) => {
        d.dockerfile = d.dockerfile.replace("EXPOSE 8080", "EXPOSE 80");
      },
      /is not EXPOSEd/,
    ],
    [
      "Dockerfile ENTRYPOINT",
      (d) => {
        d.dockerfile = d.dockerfile.replace("dist/cli/index.js", "dist/index.js");
      },
      /ENTRYPOINT/,
    ],
    [
      "Dockerfile without pypy3",
      (d) => {
        d.dockerfile = d.dockerfile.replace("python3 pypy3", "python3");
      },
      /apt-get install lacks pypy3/,
    ],
    [
      "Dockerfile npm ci",
      (d) => {
        d.dockerfile = d.dockerfile.replace("npm install --no-audit", "npm ci --no-audit");
      },
      /uses npm ci/,
    ],
    [
      "compose secret path",
      (d) => edit(compose(d, "worker").command, "/run/secrets/queue_secret", "/run/secrets/queue-secret"),
      /--secret-file \/run\/secrets\/queue-secret/,
    ],
    [
      "compose secret not listed",
      (d) => {
        compose(d, "worker").secrets = [];
      },
      /is not \/run\/secrets\/<a secret the service lists>/,
    ],
    [
      "k8s secret path",
      (d) => edit(k8sContainer(d, "worker.yaml").args, "/etc/codeloop/queue-secret", "/etc/codeloop/secret"),
      /--secret-file \/etc\/codeloop\/secret is no key/,
    ],
    [
      "k8s Secret key renamed",
      (d) => {
        const s = d.k8s["secret.yaml"]![0]!;
        s.stringData = { "queue-secret": "x", token: "y" };
      },
      /names key serve-token of Secret codeloop, which has none/,
    ],
    [
      "compose redis host",
      (d) => edit(compose(d, "worker").command, "redis://redis:6379", "redis://queue:6379"),
      /--queue host queue is no redis service/,
    ],
    [
      "k8s redis host",
      (d) => edit(k8sContainer(d, "worker.yaml").args, "redis://redis:6379", "redis://redis-master:6379"),
      /--queue host redis-master is no Service/,
    ],
    [
      "k8s cpu vs workers",
      (d) => edit(k8sContainer(d, "worker.yaml").args, "2", "4"),
      /cpu request 2 does not match --workers 4/,
    ],
    [
      "literal token",
      (d) => {
        compose(d, "serve").environment = { CODELOOP_SERVE_TOKEN: "hunter2" };
      },
      /is a literal/,
    ],
  ];
  it.each(mutations)("catches: %s", (_name, mutate, expected) => {
    const d = load();
    mutate(d);
    const found = problems(d);
    expect(
      found.some((p) => expected.test(p)),
      found.join("\n"),
    ).toBe(true);
  });
});
