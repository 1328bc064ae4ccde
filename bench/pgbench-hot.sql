UPDATE bench_counters SET used = used + 1 WHERE id = 1 AND used + 1 <= lim RETURNING used;
