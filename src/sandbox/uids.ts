import { type Server, createServer } from "node:net";

/**
 * Sandbox uids leased by this process. Two codeloop processes (or two sandboxes in one) that
 * ran programs under the same uid would count each other's processes against RLIMIT_NPROC and
 * could signal each other's programs, so every uid is held exclusively while in use.
 *
 * The lock is an abstract Unix socket named after the uid: binding it fails with EADDRINUSE
 * while another process holds it, and the kernel releases it when the holder exits, however
 * it exits (SIGKILL included), so there are no stale lock files to clean up. Abstract names
 * are per network namespace: processes in other containers do not see each other's leases,
 * which matters only if they also share the kernel's uids (see docs/sandbox.md).
 */
export class UidLease {
  private constructor(
    readonly uids: number[],
    private readonly servers: Server[],
  ) {}

  static async acquire(count: number, base = 64000, span = 4096): Promise<UidLease> {
    const uids: number[] = [];
    const servers: Server[] = [];
    for (let uid = base; uid < base + span && uids.length < count; uid++) {
      const server = await tryListen(`\0codeloop-sandbox-uid-${uid}`);
      if (server) {
        uids.push(uid);
        servers.push(server);
      }
    }
    if (uids.length < count) {
      for (const s of servers) s.close();
      throw new Error(
        `no free sandbox uids: ${count} needed in ${base}..${base + span - 1}, ${uids.length} free (other codeloop processes hold the rest)`,
      );
    }
    return new UidLease(uids, servers);
  }

  release(): void {
    for (const s of this.servers) s.close();
    this.servers.length = 0;
  }
}

function tryListen(name: string): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(undefined));
    server.listen({ path: name }, () => {
      // A lease must not keep the process alive, nor accept anything.
      server.unref();
      server.on("connection", (s) => s.destroy());
      resolve(server);
    });
  });
}
