/**
 * The run folder's on-disk layout: file names, the SQLite tables and their version. Kept apart
 * from the code that reads and writes them so that a change to the format is one visible diff.
 */

export const RUN_FILES = { config: "config.json", db: "run.db", log: "run.log" } as const;

/**
 * Bumped when the tables change; a store refuses a database written by a newer layout, and
 * migrates an older one when it opens it. 2: grade versions name their judge, turns their
 * selection rule (an older codeloop must not add grades labelled with a judge it is not).
 */
export const STORE_SCHEMA_VERSION = 2;

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS run (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  created_at TEXT NOT NULL,
  config_hash TEXT NOT NULL,
  seed INTEGER NOT NULL,
  codeloop_version TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS problems (
  ordinal INTEGER PRIMARY KEY,
  problem_id TEXT NOT NULL UNIQUE,
  title TEXT,
  difficulty TEXT,
  tags TEXT
);
CREATE TABLE IF NOT EXISTS trajectories (
  problem_id TEXT NOT NULL REFERENCES problems(problem_id),
  trajectory INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed')),
  submitted_turn INTEGER,
  submitted_candidate INTEGER,
  error TEXT,
  started_at TEXT,
  finished_at TEXT,
  PRIMARY KEY (problem_id, trajectory)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS trajectories_status ON trajectories(status);
CREATE TABLE IF NOT EXISTS turns (
  problem_id TEXT NOT NULL,
  trajectory INTEGER NOT NULL,
  turn INTEGER NOT NULL,
  parent_turn INTEGER,
  parent_candidate INTEGER,
  messages TEXT NOT NULL,
  history TEXT NOT NULL CHECK (history IN ('append', 'replace')),
  selection TEXT,
  started_at TEXT NOT NULL,
  finished_at TEXT NOT NULL,
  PRIMARY KEY (problem_id, trajectory, turn),
  FOREIGN KEY (problem_id, trajectory) REFERENCES trajectories(problem_id, trajectory)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS candidates (
  problem_id TEXT NOT NULL,
  trajectory INTEGER NOT NULL,
  turn INTEGER NOT NULL,
  candidate INTEGER NOT NULL,
  raw_answer TEXT NOT NULL,
  code TEXT,
  extraction TEXT NOT NULL,
  finish_reason TEXT,
  prompt_tokens INTEGER NOT NULL,
  completion_tokens INTEGER NOT NULL,
  tokens_approximate INTEGER NOT NULL,
  latency_ms REAL NOT NULL,
  cached INTEGER NOT NULL,
  model_error TEXT,
  seed INTEGER NOT NULL,
  public_verdict TEXT,
  public_passed INTEGER,
  public_total INTEGER,
  public_tests TEXT,
  selected INTEGER NOT NULL,
  verifier_score REAL,
  PRIMARY KEY (problem_id, trajectory, turn, candidate),
  FOREIGN KEY (problem_id, trajectory, turn) REFERENCES turns(problem_id, trajectory, turn)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS excluded_problems (
  problem_id TEXT PRIMARY KEY,
  reasons TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS facts (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS grade_versions (
  version INTEGER PRIMARY KEY,
  created_at TEXT NOT NULL,
  note TEXT NOT NULL,
  -- JUDGE_VERSION of the codeloop that opened the version; NULL in runs made before it was kept.
  judge_version TEXT
);
CREATE TABLE IF NOT EXISTS grades (
  problem_id TEXT NOT NULL,
  trajectory INTEGER NOT NULL,
  turn INTEGER NOT NULL,
  candidate INTEGER NOT NULL,
  version INTEGER NOT NULL REFERENCES grade_versions(version),
  verdict TEXT NOT NULL,
  passed INTEGER NOT NULL,
  total INTEGER NOT NULL,
  tests TEXT NOT NULL,
  infrastructure_failure INTEGER NOT NULL,
  graded_at TEXT NOT NULL,
  PRIMARY KEY (problem_id, trajectory, turn, candidate, version),
  FOREIGN KEY (problem_id, trajectory, turn, candidate)
    REFERENCES candidates(problem_id, trajectory, turn, candidate)
) WITHOUT ROWID;
`;
