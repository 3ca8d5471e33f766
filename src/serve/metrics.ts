/** The service's counters in Prometheus text exposition format (version 0.0.4). */

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

function labels(l: Record<string, string>): string {
  const parts = Object.entries(l).map(
    ([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`,
  );
  return parts.length ? `{${parts.join(",")}}` : "";
}

export class Metrics {
  private requests = new Map<string, { route: string; status: string; n: number }>();
  private verdicts = new Map<string, number>();
  private latency = new Map<string, { buckets: number[]; sum: number; count: number }>();
  testsRun = 0;
  episodesStarted = 0;

  constructor(
    private readonly gauges: () => { queued: number; inFlight: number; capacity: number; episodes: number },
  ) {}

  request(route: string, status: number, seconds: number): void {
    const key = `${route}\0${status}`;
    const r = this.requests.get(key) ?? { route, status: String(status), n: 0 };
    r.n++;
    this.requests.set(key, r);
    let h = this.latency.get(route);
    if (!h) {
      h = { buckets: LATENCY_BUCKETS.map(() => 0), sum: 0, count: 0 };
      this.latency.set(route, h);
    }
    LATENCY_BUCKETS.forEach((b, i) => {
      if (seconds <= b) h.buckets[i]!++;
    });
    h.sum += seconds;
    h.count++;
  }

  /** A judged submission's overall verdict and the tests it ran. */
  judged(verdict: string, testsRun: number): void {
    this.verdicts.set(verdict, (this.verdicts.get(verdict) ?? 0) + 1);
    this.testsRun += testsRun;
  }

  render(): string {
    const g = this.gauges();
    const out: string[] = [];
    out.push("# HELP codeloop_requests_total HTTP requests by route and status.");
    out.push("# TYPE codeloop_requests_total counter");
    for (const r of [...this.requests.values()].sort((a, b) =>
      (a.route + a.status).localeCompare(b.route + b.status),
    ))
      out.push(`codeloop_requests_total${labels({ route: r.route, status: r.status })} ${r.n}`);
    out.push("# HELP codeloop_tests_run_total Tests run in the sandbox (judge, episodes, run_code).");
    out.push("# TYPE codeloop_tests_run_total counter");
    out.push(`codeloop_tests_run_total ${this.testsRun}`);
    out.push(
      "# HELP codeloop_verdicts_total Overall verdicts of judged submissions and programs run, by kind.",
    );
    out.push("# TYPE codeloop_verdicts_total counter");
    for (const [v, n] of [...this.verdicts].sort())
      out.push(`codeloop_verdicts_total${labels({ verdict: v })} ${n}`);
    out.push("# HELP codeloop_queue_depth Jobs waiting for a sandbox slot.");
    out.push("# TYPE codeloop_queue_depth gauge");
    out.push(`codeloop_queue_depth ${g.queued}`);
    out.push("# HELP codeloop_jobs_in_flight Jobs running in the sandbox.");
    out.push("# TYPE codeloop_jobs_in_flight gauge");
    out.push(`codeloop_jobs_in_flight ${g.inFlight}`);
    out.push("# HELP codeloop_capacity Jobs the sandbox runs at once.");
    out.push("# TYPE codeloop_capacity gauge");
    out.push(`codeloop_capacity ${g.capacity}`);
    out.push("# HELP codeloop_episodes Live RL episodes.");
    out.push("# TYPE codeloop_episodes gauge");
    out.push(`codeloop_episodes ${g.episodes}`);
    out.push("# HELP codeloop_episodes_started_total RL episodes started.");
    out.push("# TYPE codeloop_episodes_started_total counter");
    out.push(`codeloop_episodes_started_total ${this.episodesStarted}`);
    out.push("# HELP codeloop_request_duration_seconds Request latency by route.");
    out.push("# TYPE codeloop_request_duration_seconds histogram");
    for (const [route, h] of [...this.latency].sort()) {
      LATENCY_BUCKETS.forEach((b, i) =>
        out.push(
          `codeloop_request_duration_seconds_bucket${labels({ route, le: String(b) })} ${h.buckets[i]}`,
        ),
      );
      out.push(`codeloop_request_duration_seconds_bucket${labels({ route, le: "+Inf" })} ${h.count}`);
      out.push(`codeloop_request_duration_seconds_sum${labels({ route })} ${h.sum.toFixed(6)}`);
      out.push(`codeloop_request_duration_seconds_count${labels({ route })} ${h.count}`);
    }
    return `${out.join("\n")}\n`;
  }
}
