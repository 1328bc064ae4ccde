-- Consumes on PostgreSQL, one statement per round: the commands travel as arrays (parameters 1
-- to 9, one element per command), the counters' conditional upserts and the ledger inserts are
-- data-modifying CTEs of the same statement, and a key already in the ledger (prior) stops both.
--
-- One statement cannot update a row twice, so the commands of a round on one counter are folded
-- into one upsert of their sum, admitted all or nothing under the smallest of their caps (every
-- prefix then fits too, so each command's own sequential check holds); the ledger line of each
-- says the counter after it, in job order. A folded group that does not fit is exact for the
-- members that could not fit on their own either (used + q > cap: refused whatever the order);
-- the others come back marked retry, with nothing written, to be run alone. A hot account thus
-- costs one statement per batch instead of one per command.
--
-- Every read of a table is a lookup per command (a correlated subquery, or LATERAL ... LIMIT 1),
-- never a join: the statement's plan is prepared once and reused, and a join planned while the
-- ledger was still empty would scan it for good; a lookup probes the index whatever the table's
-- size was.
--
-- A refusal reports the counter as the statement's snapshot saw it, but at least cap - q + 1:
-- the upsert refused on the latest committed value, which another writer may have raised since
-- the snapshot.
--
-- A command whose state version sv (-1: none) is not the account's in the statement's snapshot
-- is stale: left out of live, nothing written. The snapshot is taken when the statement starts,
-- so a change committed before then (one whose answer a client has seen before sending the
-- consume) is always seen.
--
-- A keyed command that wrote no ledger line although its key was not prior lost a race: the key
-- was committed by another transaction while this statement ran, and its counter change would
-- count the key twice. The last column then fails the whole statement (a cast of a text that is
-- not a number, naming outcome::RACED; it depends on the row, so the planner cannot fold it
-- away), rolling back everything it wrote, and the caller runs the commands again alone.
--
-- Keys are never empty, so '' stands for no key (the arrays carry no NULLs).
WITH input AS (
  SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[],
    $7::bigint[], $8::bigint[], $9::bigint[]) AS t(account_id, metric, period, q, cap, key, at, job, sv)),
prior AS (
  SELECT i.job, l.metric, l.period, l.kind, l.quantity, l.delta, l.applied, l.used_after, l.idempotency_key,
    l.created_at FROM input i
  CROSS JOIN LATERAL (SELECT * FROM usage_ledger x WHERE x.account_id = i.account_id
    AND x.idempotency_key = NULLIF(i.key, '') LIMIT 1) l),
stale AS (
  SELECT i.job FROM input i WHERE i.sv >= 0 AND NOT EXISTS (SELECT 1 FROM prior p WHERE p.job = i.job)
  AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = i.account_id AND a.state_version = i.sv)),
-- later: what the commands after this one on the same counter add (its ledger line's used_after
-- is the folded total minus later).
live AS (
  SELECT i.*,
    (SUM(i.q) OVER (PARTITION BY i.account_id, i.metric, i.period ORDER BY i.job DESC
      ROWS UNBOUNDED PRECEDING))::bigint - i.q AS later,
    COUNT(*) OVER g AS members, (SUM(i.q) OVER g)::bigint AS total, MIN(i.cap) OVER g AS group_cap
  FROM input i WHERE NOT EXISTS (SELECT 1 FROM prior p WHERE p.job = i.job)
    AND NOT EXISTS (SELECT 1 FROM stale s WHERE s.job = i.job)
  WINDOW g AS (PARTITION BY i.account_id, i.metric, i.period)),
need AS (
  SELECT DISTINCT account_id, metric, period, total, group_cap FROM live WHERE total <= group_cap),
-- The conditional upsert, in one lock order: check and write in one atomic step.
c AS (
  INSERT INTO usage_counters AS u (account_id, metric, period, used)
  SELECT account_id, metric, period, total FROM need ORDER BY account_id, metric, period
  ON CONFLICT (account_id, metric, period) DO UPDATE SET used = u.used + excluded.used
  WHERE u.used <= (SELECT n.group_cap FROM need n WHERE n.account_id = excluded.account_id
    AND n.metric = excluded.metric AND n.period = excluded.period) - excluded.used
  RETURNING u.account_id, u.metric, u.period, u.used),
o AS (
  SELECT i.job, i.account_id, i.metric, i.period, i.q, NULLIF(i.key, '') AS key, i.at,
    c.used IS NOT NULL AS applied,
    COALESCE(c.used - i.later, GREATEST((SELECT x.used FROM usage_counters x
      WHERE x.account_id = i.account_id AND x.metric = i.metric AND x.period = i.period),
      i.cap - i.q + 1, 0)) AS used,
    c.used IS NULL AND i.members > 1 AND COALESCE((SELECT x.used FROM usage_counters x
      WHERE x.account_id = i.account_id AND x.metric = i.metric AND x.period = i.period), 0)
      <= i.cap - i.q AS retry
  FROM live i LEFT JOIN c ON c.account_id = i.account_id AND c.metric = i.metric AND c.period = i.period),
l AS (
  INSERT INTO usage_ledger
    (account_id, metric, period, kind, quantity, delta, applied, used_after, idempotency_key, created_at)
  SELECT account_id, metric, period, 'consume', q, CASE WHEN applied THEN q ELSE 0 END, applied, used,
    key, at FROM o WHERE NOT retry AND (applied OR key IS NOT NULL)
  ON CONFLICT (account_id, idempotency_key) DO NOTHING RETURNING account_id, idempotency_key)
-- One row per command: (job, fresh, applied, delta, used, the key's first ledger line in the order
-- of outcome::LEDGER_COLUMNS, retry, stale, race guard), the columns that outcome::read_outcome
-- decodes.
SELECT i.job, l.account_id IS NOT NULL, COALESCE(o.applied, false),
  CASE WHEN o.applied THEN i.q ELSE 0 END, COALESCE(o.used, 0),
  p.metric, p.period, p.kind, p.quantity, p.delta, p.applied, p.used_after, p.idempotency_key, p.created_at,
  COALESCE(o.retry, false),
  s.job IS NOT NULL,
  CASE WHEN i.key <> '' AND p.job IS NULL AND s.job IS NULL AND NOT COALESCE(o.retry, false)
    AND l.account_id IS NULL THEN ('idempotency key raced: ' || i.key)::bigint ELSE 0 END
FROM input i LEFT JOIN o ON o.job = i.job LEFT JOIN prior p ON p.job = i.job
LEFT JOIN stale s ON s.job = i.job
LEFT JOIN l ON l.account_id = i.account_id AND l.idempotency_key = NULLIF(i.key, '')
