-- The first command recorded under a key: what a repeated release answers.
SELECT kind, metric, quantity, applied, delta, used_after
FROM usage_ledger
WHERE account_id = $1 AND idempotency_key = $2
