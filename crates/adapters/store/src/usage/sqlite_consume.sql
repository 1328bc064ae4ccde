-- Consumes on SQLite, any number in one script whose statement count does not grow with the
-- batch (the driver hands every statement's result across threads, so statements per command
-- were the cost).
--
-- The commands arrive as one JSON array (the only parameter), each
-- [job, account, metric, period, q, cap, key, at, sv], inserted in order into a temporary table
-- whose trigger applies each one as it lands: the conditional upsert unless its key is in the
-- ledger, its outcome (changes() says whether the upsert wrote), its ledger line when applied or
-- keyed. The connection holds the only write lock of SQLite meanwhile, so nothing interleaves,
-- and a later command sees what earlier ones wrote (a repeated key replays).
--
-- A command whose state version sv (NULL: none) is not the account's is stale: no upsert, no
-- ledger line.
--
-- The temporary objects belong to the connection and are created once.
CREATE TEMP TABLE IF NOT EXISTS consume_batch
  (job INTEGER, account_id INTEGER, metric TEXT, period TEXT, q INTEGER, cap INTEGER, key TEXT, at INTEGER,
   sv INTEGER);
CREATE TEMP TABLE IF NOT EXISTS consume_outcome
  (job INTEGER PRIMARY KEY, account_id INTEGER, key TEXT, prior INTEGER, stale INTEGER, applied INTEGER,
   delta INTEGER, used INTEGER);
CREATE TEMP TRIGGER IF NOT EXISTS consume_each AFTER INSERT ON consume_batch BEGIN
  -- Check and write in one atomic step: never read-then-write.
  INSERT INTO usage_counters (account_id, metric, period, used)
    SELECT NEW.account_id, NEW.metric, NEW.period, NEW.q
    WHERE NEW.q <= NEW.cap AND NOT EXISTS (SELECT 1 FROM usage_ledger
      WHERE account_id = NEW.account_id AND idempotency_key = NEW.key)
      AND (NEW.sv IS NULL OR EXISTS (SELECT 1 FROM accounts WHERE id = NEW.account_id AND state_version = NEW.sv))
    ON CONFLICT (account_id, metric, period) DO UPDATE SET used = usage_counters.used + excluded.used
    WHERE usage_counters.used <= NEW.cap - excluded.used;
  INSERT INTO consume_outcome (job, account_id, key, prior, stale, applied, delta, used)
    SELECT NEW.job, NEW.account_id, NEW.key,
      EXISTS (SELECT 1 FROM usage_ledger WHERE account_id = NEW.account_id AND idempotency_key = NEW.key),
      NEW.sv IS NOT NULL AND NOT EXISTS (SELECT 1 FROM accounts WHERE id = NEW.account_id AND state_version = NEW.sv),
      changes() > 0, CASE WHEN changes() > 0 THEN NEW.q ELSE 0 END,
      COALESCE((SELECT used FROM usage_counters
        WHERE account_id = NEW.account_id AND metric = NEW.metric AND period = NEW.period), 0);
  INSERT INTO usage_ledger
    (account_id, metric, period, kind, quantity, delta, applied, used_after, idempotency_key, created_at)
    SELECT NEW.account_id, NEW.metric, NEW.period, 'consume', NEW.q, o.delta, o.applied, o.used, NEW.key, NEW.at
    FROM consume_outcome o WHERE o.job = NEW.job AND NOT o.prior AND NOT o.stale
      AND (o.applied OR NEW.key IS NOT NULL);
END;
DELETE FROM consume_batch;
DELETE FROM consume_outcome;
INSERT INTO consume_batch SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'),
  json_extract(value, '$[2]'), json_extract(value, '$[3]'), json_extract(value, '$[4]'),
  json_extract(value, '$[5]'), json_extract(value, '$[6]'), json_extract(value, '$[7]'),
  json_extract(value, '$[8]')
  FROM json_each(?) ORDER BY key;
-- One row per command: (job, fresh, applied, delta, used, the key's first ledger line in the order of
-- outcome::LEDGER_COLUMNS, 0, stale), the columns that outcome::read_outcome decodes (SQLite never
-- folds commands, so retry is always 0).
SELECT o.job, NOT o.prior, o.applied, o.delta, o.used,
  l.metric, l.period, l.kind, l.quantity, l.delta, l.applied, l.used_after, l.idempotency_key, l.created_at,
  0, o.stale AND NOT o.prior
  FROM consume_outcome o
  LEFT JOIN usage_ledger l ON o.prior AND l.account_id = o.account_id AND l.idempotency_key = o.key
  ORDER BY o.job;
