-- A release's ledger line. A key already in the ledger inserts nothing and returns no row: the
-- caller then undoes its counter change and answers the first outcome.
INSERT INTO usage_ledger
  (account_id, metric, period, kind, quantity, delta, applied, used_after, idempotency_key, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (account_id, idempotency_key) DO NOTHING
RETURNING id
