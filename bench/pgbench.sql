\set id random(1, 1000)
UPDATE bench_counters SET used = used + 1 WHERE id = :id AND used + 1 <= lim RETURNING used;
